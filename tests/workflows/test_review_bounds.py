"""Free texts and due dates have bounds the workflow itself enforces: a request that reaches it
past them (a client that skipped the checks of the service layer) is refused before anything is
recorded, so the database and the workflow never disagree."""

from datetime import UTC, datetime, timedelta

from review_fakes import (
    HEAD,
    REVIEWER,
    FakeReviewActivities,
    refusal,
    review_worker,
    rid,
    start_review,
    submit_input,
    wait_for_state,
)
from temporalio.client import WorkflowUpdateFailedError

from models.enums import DecisionKind, ReviewAction, ReviewState
from models.limits import DUE_DATE_MAX_AHEAD, REASON_MAX_CHARS
from models.messages import ClaimRequest, DecisionRequest, MoveDueDateRequest, SlaPolicy
from workflows.review import ProductReviewWorkflow as WF


async def claimed(env, tq):
    handle = await start_review(env, tq)
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
    return handle


async def refused_before_recording(update) -> str:
    try:
        await update
    except WorkflowUpdateFailedError as err:
        return str(err.cause)
    raise AssertionError("the update was accepted but should have been refused")


async def test_a_due_date_in_year_9999_is_refused_and_nothing_is_recorded(temporal_env):
    """It used to be recorded in the database, then overflow the escalation arithmetic in the
    workflow: the database said 9999-12-31, the workflow the old date."""
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed(temporal_env, tq)
        before = await handle.query(WF.status)
        far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
        # model_construct: what a client that skips the model's own checks would send.
        request = MoveDueDateRequest.model_construct(actor=HEAD, due_at=far, reason="sabbatical", request_id=rid())
        message = await refused_before_recording(handle.execute_update(WF.move_due_date, request))
        after = await handle.query(WF.status)
    assert "Failed decoding arguments" in message  # past the model's hard bounds: not even decoded
    assert ReviewAction.MOVE_DUE_DATE not in fakes.actions()
    assert (after.due_at, after.state, len(after.history)) == (
        before.due_at,
        ReviewState.IN_REVIEW,
        len(before.history),
    )


async def test_a_due_date_beyond_the_horizon_is_refused_with_the_reason(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed(temporal_env, tq)
        too_far = datetime.now(UTC) + DUE_DATE_MAX_AHEAD + timedelta(days=3)
        err = await refusal(
            handle.execute_update(
                WF.move_due_date, MoveDueDateRequest(actor=HEAD, due_at=too_far, reason="sabbatical", request_id=rid())
            )
        )
    assert err.type == "InvalidRequest"
    assert (
        err.message
        == f"The new due date {too_far.date().isoformat()} is more than {DUE_DATE_MAX_AHEAD.days} days ahead."
    )
    assert ReviewAction.MOVE_DUE_DATE not in fakes.actions()


async def test_a_reason_past_the_bound_never_reaches_the_history(temporal_env):
    """Two escalation reasons of 1.1 MB each used to push a review past Temporal's payload limit."""
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed(temporal_env, tq)
        huge = "x" * (REASON_MAX_CHARS + 1)
        request = DecisionRequest(actor=REVIEWER, decision=DecisionKind.ESCALATE, reason=huge, request_id=rid())
        err = await refusal(handle.execute_update(WF.decide, request))
        status = await handle.query(WF.status)
    assert err.message == f"A reason is at most {REASON_MAX_CHARS} characters (this one has {REASON_MAX_CHARS + 1})."
    assert status.state == ReviewState.IN_REVIEW and ReviewAction.ESCALATE not in fakes.actions()


async def test_a_change_whose_deadlines_cannot_be_scheduled_is_refused_before_it_is_recorded(temporal_env):
    """The escalation of a moved due date overflows the calendar (an SLA policy at the edge of what
    dates can hold): the move used to be recorded, then the SLA loop failed the workflow task."""
    fakes = FakeReviewActivities()
    now = datetime.now(UTC)
    headroom = datetime.max.replace(tzinfo=UTC) - (now + timedelta(days=40))
    inp = submit_input(sla=SlaPolicy(dp_escalation_after=headroom))
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq, inp)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        err = await refusal(
            handle.execute_update(
                WF.move_due_date,
                MoveDueDateRequest(
                    actor=HEAD, due_at=now + timedelta(days=300), reason="annex translation", request_id=rid()
                ),
            )
        )
        status = await handle.query(WF.status)
    assert err.type == "InvalidRequest" and err.message.startswith("The review cannot keep its deadlines")
    assert ReviewAction.MOVE_DUE_DATE not in fakes.actions()
    assert status.state == ReviewState.IN_REVIEW
