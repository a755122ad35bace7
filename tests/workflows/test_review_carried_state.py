"""A run started by continue-as-new carries the state the workflow needs, not the review's history
(patch history-left-in-database): a review open for months used to carry every transition it had
ever recorded into each new run's input. On the dev server, with the fake activities."""

from datetime import timedelta

from review_fakes import (
    AUTHOR,
    REVIEWER,
    FakeReviewActivities,
    finding,
    review_worker,
    rid,
    start_review,
    submit_input,
    wait_for_state,
    wait_until,
)
from temporalio.api.enums.v1 import EventType

from models.enums import DecisionKind, ReviewAction, ReviewState
from models.messages import (
    ClaimRequest,
    CommentRequest,
    DecisionRequest,
    ResubmitRequest,
    SubmitProductInput,
)
from workflows.review import ProductReviewWorkflow as WF


async def _started_input(env, handle) -> SubmitProductInput:
    history = await handle.fetch_history()
    started = history.events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    (inp,) = await env.client.data_converter.decode(
        started.workflow_execution_started_event_attributes.input.payloads, [SubmitProductInput]
    )
    return inp


async def test_a_run_started_by_continue_as_new_carries_no_history(temporal_env):
    fakes = FakeReviewActivities({1: [finding("GEN-IO-03")], 2: []})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq, submit_input(continue_as_new_after_events=30))
        first_run = handle.first_execution_run_id
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        for n in range(8):
            await handle.execute_update(
                WF.comment, CommentRequest(actor=REVIEWER, text=f"Remark {n}", request_id=rid())
            )
        latest = temporal_env.client.get_workflow_handle(handle.id)
        await wait_until(latest, lambda s: s.state == ReviewState.IN_REVIEW)
        assert (await latest.describe()).run_id != first_run, "no continue-as-new happened"

        carried = (await _started_input(temporal_env, latest)).carried_state
        assert carried is not None
        assert carried.history == []  # it was every transition so far
        assert 1 < carried.next_seq <= len(fakes.records) + 1
        assert carried.last_submitted_at == fakes.records[0].transition.at
        assert carried.processed_request_ids  # a retried request is still answered once

        # A return and resubmission in the new run: due dates count from the new submission.
        await latest.execute_update(
            WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.RETURN, reason="r", request_id=rid())
        )
        await latest.execute_update(
            WF.resubmit,
            ResubmitRequest(
                actor=AUTHOR, version_id=102, version_no=2, version_label="v2", title="t", request_id=rid()
            ),
        )
        status = await wait_until(latest, lambda s: s.state == ReviewState.IN_REVIEW and s.version_no == 2)
    # The query answers the current run's transitions, numbered on from the carried ones (the
    # earlier runs' are in the database: service/review_history.py).
    seqs = [h.seq for h in status.history]
    assert seqs[0] > 1 and seqs == list(range(seqs[0], fakes.records[-1].transition.seq + 1))
    assert [r.transition.seq for r in fakes.records] == list(range(1, len(fakes.records) + 1))
    resubmitted = next(r.transition for r in fakes.records if r.transition.action == ReviewAction.RESUBMIT)
    assert status.due_at is not None and status.due_at - resubmitted.at > timedelta(days=1)
