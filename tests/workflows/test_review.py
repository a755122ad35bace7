"""ProductReviewWorkflow on a real Temporal dev server, with fake activities."""

import asyncio

from review_fakes import (
    AUTHOR,
    HEAD,
    OUTSIDER,
    REVIEWER,
    REVIEWER_2,
    TEAM_ID,
    TEAMMATE,
    FakeReviewActivities,
    finding,
    refusal,
    review_worker,
    rid,
    start_review,
    submit_input,
    wait_for_state,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from models.enums import TERMINAL_STATES, DecisionKind, FindingState, ReviewAction, ReviewState, Severity, Verdict
from models.messages import (
    AssignRequest,
    ClaimRequest,
    DecisionRequest,
    DismissFindingRequest,
    ResubmitRequest,
    WithdrawRequest,
)
from models.review_policy import STATE_WORDS
from service.data_converter import data_converter_for
from workflows import search_attributes as sa
from workflows.review import ProductReviewWorkflow

A = ReviewAction
WF = ProductReviewWorkflow


def claim(actor=REVIEWER, request_id=None):
    return WF.claim, ClaimRequest(actor=actor, request_id=request_id or rid())


def decide(kind: DecisionKind, actor=REVIEWER, reason: str | None = None, request_id=None):
    return WF.decide, DecisionRequest(actor=actor, decision=kind, reason=reason, request_id=request_id or rid())


def resubmit(version_no: int = 2, actor=AUTHOR):
    return WF.resubmit, ResubmitRequest(
        actor=actor,
        version_id=100 + version_no,
        version_no=version_no,
        version_label=f"v{version_no}",
        title="Interview outline W-17 (revised)",
        request_id=rid(),
    )


async def claimed_review(env, task_queue, inp=None):
    handle = await start_review(env, task_queue, inp)
    await wait_for_state(handle, ReviewState.QUEUED)
    await handle.execute_update(*claim())
    return handle


async def test_full_lifecycle_return_resubmit_back_to_same_reviewer_then_approve(temporal_env):
    fakes = FakeReviewActivities({1: [finding("GEN-IO-03", Severity.MAJOR)], 2: [finding("LANG-02", Severity.MINOR)]})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        queued = await wait_for_state(handle, ReviewState.QUEUED)
        assert queued.verdict == Verdict.REVISE and queued.due_at is not None

        in_review = await handle.execute_update(*claim())
        assert (in_review.state, in_review.assignee) == (ReviewState.IN_REVIEW, REVIEWER.staff_id)

        returned = await handle.execute_update(*decide(DecisionKind.RETURN, reason="Add the risk assessment"))
        assert returned.state == ReviewState.RETURNED and returned.resubmission_due_at is not None

        await handle.execute_update(*resubmit(2))
        back = await wait_for_state(handle, ReviewState.IN_REVIEW)
        assert (back.assignee, back.version_no, back.verdict) == (REVIEWER.staff_id, 2, Verdict.APPROVABLE_WITH_NOTES)

        approved = await handle.execute_update(*decide(DecisionKind.APPROVE))
        assert approved.state == ReviewState.APPROVED
        outcome = await handle.result()

    assert (outcome.final_state, outcome.version_no, outcome.decided_by) == (ReviewState.APPROVED, 2, REVIEWER.staff_id)
    assert fakes.actions() == [
        A.SUBMIT,
        A.PRECHECK,
        A.ENQUEUE,
        A.CLAIM,
        A.RETURN,
        A.RESUBMIT,
        A.PRECHECK,
        A.ASSIGN,
        A.APPROVE,
    ]
    assert [r.transition.seq for r in fakes.records] == list(range(1, 10))
    assert [(p.version_id, p.version_no) for p in fakes.prechecks] == [(101, 1), (102, 2)]
    back_to_reviewer = fakes.records[7]
    assert back_to_reviewer.transition.actor_id is None  # the system, not the GCU head
    assert back_to_reviewer.state_after.assignee == REVIEWER.staff_id
    assert fakes.last(A.RETURN).transition.reason == "Add the risk assessment"
    assert fakes.last(A.APPROVE).state_after.state == ReviewState.APPROVED
    enqueue_targets = [t.relation for n in fakes.last(A.ENQUEUE).notifications for t in n.targets]
    assert enqueue_targets == ["gcu_reviewers"]
    returned_targets = {t.relation for n in fakes.last(A.RETURN).notifications for t in n.targets}
    assert returned_targets == {"author", "team"}


async def test_decision_refused_in_the_wrong_state(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        err = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE)))
    assert err.type == "WrongState"
    assert err.message == (
        "Cannot approve now: the review is waiting in the GCU queue, and that is possible only while it is "
        "being reviewed or escalated to the GCU head."
    )


async def test_claim_refused_for_someone_who_is_not_a_gcu_reviewer(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        err = await refusal(handle.execute_update(*claim(OUTSIDER)))
    assert err.type == "NotAllowed"
    assert err.message == "inv-zed may not claim this review: only a GCU reviewer may."


async def test_author_cannot_claim_own_product_even_as_gcu_reviewer(temporal_env):
    author_reviewer = AUTHOR.model_copy(update={"roles": ["gcu_reviewer"], "team_ids": []})
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        err = await refusal(handle.execute_update(*claim(author_reviewer)))
    assert err.type == "SelfReview"
    assert err.message == "inv-ana is the author of this product and cannot review it."


async def test_member_of_submitting_team_cannot_claim(temporal_env):
    member_reviewer = TEAMMATE.model_copy(update={"roles": ["gcu_reviewer"]})
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        err = await refusal(handle.execute_update(*claim(member_reviewer)))
    assert err.type == "SelfReview"
    assert err.message == f"inv-bo is on the staff of the submitting team {TEAM_ID} and cannot review its product."


async def test_head_cannot_assign_a_member_of_the_submitting_team(temporal_env):
    member_reviewer = TEAMMATE.model_copy(update={"roles": ["gcu_reviewer"]})
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        err = await refusal(
            handle.execute_update(WF.assign, AssignRequest(actor=HEAD, reviewer=member_reviewer, request_id=rid()))
        )
        not_reviewer = await refusal(
            handle.execute_update(WF.assign, AssignRequest(actor=HEAD, reviewer=OUTSIDER, request_id=rid()))
        )
        by_reviewer = await refusal(
            handle.execute_update(WF.assign, AssignRequest(actor=REVIEWER, reviewer=REVIEWER_2, request_id=rid()))
        )
    assert err.message == f"inv-bo is on the staff of the submitting team {TEAM_ID} and cannot review its product."
    assert not_reviewer.message == "inv-zed cannot be assigned: only a GCU reviewer may review this product."
    assert by_reviewer.message == "gcu-rev-1 may not assign a reviewer: only the GCU head may."


async def test_return_and_escalation_need_a_reason(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await claimed_review(temporal_env, tq)
        no_reason = await refusal(handle.execute_update(*decide(DecisionKind.RETURN, reason="  ")))
        no_escalation_reason = await refusal(handle.execute_update(*decide(DecisionKind.ESCALATE)))
    assert (no_reason.type, no_reason.message) == (
        "ReasonRequired",
        "To return for revision, give a reason: it is kept in the review's history.",
    )
    assert (
        no_escalation_reason.message
        == "To escalate to the GCU head, give a reason: it is kept in the review's history."
    )


async def test_only_the_assignee_decides(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await claimed_review(temporal_env, tq)
        other = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE, actor=REVIEWER_2)))
        head = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE, actor=HEAD)))
    assert other.message == (
        "gcu-rev-2 may not approve: only the reviewer it is assigned to (gcu-rev-1) may, while the review is "
        "being reviewed."
    )
    assert head.type == "NotAllowed"


async def test_approval_refused_while_blocking_finding_is_undismissed(temporal_env):
    fakes = FakeReviewActivities({1: [finding("SGBC-INT-07", Severity.BLOCKING), finding("LANG-02", Severity.MINOR)]})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        err = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE)))
    assert err.type == "ApprovalBlocked"
    assert err.message == "Cannot approve while undismissed blocking or major findings remain: SGBC-INT-07 (blocking)."
    assert A.APPROVE not in fakes.actions()


async def test_dismissing_an_unknown_or_already_dismissed_finding_is_refused(temporal_env):
    fakes = FakeReviewActivities({1: [finding("SGBC-INT-07", Severity.BLOCKING)]})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        unknown = await refusal(
            handle.execute_update(
                WF.dismiss_finding,
                DismissFindingRequest(actor=REVIEWER, rule_id="NOPE-01", reason="fp", request_id=rid()),
            )
        )
        no_reason = await refusal(
            handle.execute_update(
                WF.dismiss_finding,
                DismissFindingRequest(actor=REVIEWER, rule_id="SGBC-INT-07", reason=" ", request_id=rid()),
            )
        )
        await handle.execute_update(
            WF.dismiss_finding,
            DismissFindingRequest(actor=REVIEWER, rule_id="SGBC-INT-07", reason="quoted", request_id=rid()),
        )
        again = await refusal(
            handle.execute_update(
                WF.dismiss_finding,
                DismissFindingRequest(actor=REVIEWER, rule_id="SGBC-INT-07", reason="x", request_id=rid()),
            )
        )
    assert (unknown.type, unknown.message) == ("UnknownFinding", "There is no finding NOPE-01 on version v1 (v1).")
    assert no_reason.message == "To dismiss a finding, give a reason: it is kept in the review's history."
    assert again.message == "Finding SGBC-INT-07 is already dismissed, not open."


async def test_dismissal_recomputes_verdict_and_then_approval_succeeds(temporal_env):
    fakes = FakeReviewActivities({1: [finding("SGBC-INT-07", Severity.BLOCKING), finding("GEN-IO-03", Severity.MAJOR)]})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        after_first = await handle.execute_update(
            WF.dismiss_finding,
            DismissFindingRequest(
                actor=REVIEWER,
                rule_id="SGBC-INT-07",
                reason="Quoted witness speech, not the interviewer",
                request_id=rid(),
            ),
        )
        after_second = await handle.execute_update(
            WF.dismiss_finding,
            DismissFindingRequest(
                actor=REVIEWER, rule_id="GEN-IO-03", reason="Section present under a synonym heading", request_id=rid()
            ),
        )
        approved = await handle.execute_update(*decide(DecisionKind.APPROVE))
        await handle.result()
    assert after_first.verdict == Verdict.REVISE
    assert after_second.verdict == Verdict.CLEAN
    dismissed = {f.rule_id: f for f in approved.findings}
    assert dismissed["SGBC-INT-07"].state == FindingState.DISMISSED
    assert dismissed["SGBC-INT-07"].dismissed_by == REVIEWER.staff_id
    assert dismissed["SGBC-INT-07"].dismissal_reason == "Quoted witness speech, not the interviewer"
    assert approved.state == ReviewState.APPROVED
    assert fakes.actions()[-3:] == [A.DISMISS_FINDING, A.DISMISS_FINDING, A.APPROVE]
    assert fakes.records[-3].transition.details["rule_id"] == "SGBC-INT-07"


async def test_head_reassigns_and_the_previous_reviewer_loses_the_review(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        reassigned = await handle.execute_update(
            WF.assign, AssignRequest(actor=HEAD, reviewer=REVIEWER_2, reason="workload", request_id=rid())
        )
        err = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE, actor=REVIEWER)))
        await handle.execute_update(*decide(DecisionKind.APPROVE, actor=REVIEWER_2))
        outcome = await handle.result()
    assert reassigned.assignee == REVIEWER_2.staff_id
    assert err.message == (
        "gcu-rev-1 may not approve: only the reviewer it is assigned to (gcu-rev-2) may, while the "
        "review is being reviewed."
    )
    assert outcome.decided_by == REVIEWER_2.staff_id
    assign = fakes.last(A.ASSIGN)
    assert (assign.transition.actor_id, assign.transition.details["previous"]) == (HEAD.staff_id, REVIEWER.staff_id)
    assert [t.staff_id for t in assign.notifications[0].targets] == [REVIEWER_2.staff_id]


async def test_escalation_hands_the_decision_to_the_gcu_head(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        escalated = await handle.execute_update(*decide(DecisionKind.ESCALATE, reason="Novel consent question"))
        assignee_now = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE, actor=REVIEWER)))
        again = await refusal(handle.execute_update(*decide(DecisionKind.ESCALATE, actor=REVIEWER, reason="x")))
        returned = await handle.execute_update(*decide(DecisionKind.RETURN, actor=HEAD, reason="Consent form missing"))
    assert escalated.state == ReviewState.ESCALATED
    assert (
        assignee_now.message
        == "gcu-rev-1 may not approve: only the GCU head may, while the review is escalated to the GCU head."
    )
    assert again.type == "WrongState"
    assert returned.state == ReviewState.RETURNED and returned.last_reviewer == REVIEWER.staff_id
    assert [t.relation for t in fakes.last(A.ESCALATE).notifications[0].targets] == ["gcu_head"]
    assert fakes.last(A.RETURN).transition.actor_id == HEAD.staff_id


async def test_head_assigns_an_escalated_review_back_into_review(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await claimed_review(temporal_env, tq)
        await handle.execute_update(*decide(DecisionKind.ESCALATE, reason="Second opinion"))
        status = await handle.execute_update(
            WF.assign, AssignRequest(actor=HEAD, reviewer=REVIEWER_2, request_id=rid())
        )
    assert (status.state, status.assignee) == (ReviewState.IN_REVIEW, REVIEWER_2.staff_id)


async def test_team_withdraws_and_the_workflow_completes(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        by_reviewer = await refusal(
            handle.execute_update(WF.withdraw, WithdrawRequest(actor=REVIEWER, reason="no", request_id=rid()))
        )
        without_reason = await refusal(
            handle.execute_update(WF.withdraw, WithdrawRequest(actor=TEAMMATE, reason="", request_id=rid()))
        )
        await handle.execute_update(
            WF.withdraw, WithdrawRequest(actor=TEAMMATE, reason="Mission cancelled", request_id=rid())
        )
        outcome = await handle.result()
    assert by_reviewer.message == (
        f"gcu-rev-1 may not withdraw this product: only the product's author (inv-ana) or the staff of "
        f"team {TEAM_ID} may."
    )
    assert without_reason.message == "To withdraw this product, give a reason: it is kept in the review's history."
    assert (outcome.final_state, outcome.decided_by) == (ReviewState.WITHDRAWN, TEAMMATE.staff_id)
    assert [t.staff_id for t in fakes.last(A.WITHDRAW).notifications[0].targets] == [REVIEWER.staff_id]


async def test_resubmission_needs_the_team_and_a_new_version(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await claimed_review(temporal_env, tq)
        early = await refusal(handle.execute_update(*resubmit(2)))
        await handle.execute_update(*decide(DecisionKind.RETURN, reason="Revise"))
        by_outsider = await refusal(handle.execute_update(*resubmit(2, actor=OUTSIDER)))
        same_version = await refusal(handle.execute_update(*resubmit(1)))
    assert early.message.startswith("Cannot resubmit this product now: the review is being reviewed")
    assert by_outsider.type == "NotAllowed"
    assert same_version.message == "A resubmission needs a new version (current v1, got v1)."


async def test_repeated_request_id_returns_status_without_a_second_effect(temporal_env):
    fakes = FakeReviewActivities({1: [finding("LANG-02", Severity.MINOR)]})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        first = await handle.execute_update(*claim(request_id="req-claim-1"))
        repeat = await handle.execute_update(*claim(request_id="req-claim-1"))
        dismissal = DismissFindingRequest(actor=REVIEWER, rule_id="LANG-02", reason="fp", request_id="req-dismiss-1")
        await handle.execute_update(WF.dismiss_finding, dismissal)
        await handle.execute_update(WF.dismiss_finding, dismissal)
        repeat_after = await handle.execute_update(*claim(request_id="req-claim-1"))
    assert first.state == repeat.state == repeat_after.state == ReviewState.IN_REVIEW
    assert fakes.actions().count(A.CLAIM) == 1
    assert fakes.actions().count(A.DISMISS_FINDING) == 1


async def test_two_concurrent_decisions_exactly_one_wins(temporal_env):
    # A slow recording keeps the first decision inside the lock while the second is already validated.
    fakes = FakeReviewActivities(record_delay=0.3)
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        results = await asyncio.gather(
            handle.execute_update(*decide(DecisionKind.APPROVE)),
            handle.execute_update(*decide(DecisionKind.RETURN, reason="Missing consent section")),
            return_exceptions=True,
        )
        final = await handle.query(WF.status)
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 1 and len(losses) == 1, [repr(r) for r in results]
    loss = losses[0]
    if isinstance(loss, WorkflowUpdateFailedError):
        # Delivered while the winner held the lock: refused by the handler's second check.
        assert loss.cause.type == "WrongState"
        assert f"the review is {STATE_WORDS[final.state]}" in loss.cause.message
    else:
        # Not yet delivered when the approval closed the workflow: the server aborts it (NOT_FOUND),
        # which service/reviews.py turns into a refusal naming the final state.
        assert isinstance(loss, RPCError) and loss.status == RPCStatusCode.NOT_FOUND, repr(loss)
        assert final.state in TERMINAL_STATES
    decisions = [a for a in fakes.actions() if a in (A.APPROVE, A.RETURN)]
    assert len(decisions) == 1 and final.state == wins[0].state


async def test_refused_updates_never_reach_history(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        await refusal(handle.execute_update(*claim(OUTSIDER)))
        await refusal(handle.execute_update(*decide(DecisionKind.APPROVE)))
        await handle.execute_update(*claim())
        history = await handle.fetch_history()
    accepted = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    assert len(accepted) == 1


async def test_status_query_and_search_attributes(temporal_env):
    fakes = FakeReviewActivities({1: [finding("GEN-IO-03", Severity.MAJOR)]})
    async with review_worker(temporal_env, fakes) as tq:
        inp = submit_input()
        handle = await start_review(temporal_env, tq, inp)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(*claim())
        status = await handle.query(WF.status)
        described = await handle.describe()
    assert status.workflow_id == f"product-review-{inp.product_id}"
    assert (status.team_id, status.author_id, status.version_label) == (TEAM_ID, AUTHOR.staff_id, "v1")
    assert status.overdue is False and status.escalation_level == 0
    assert [f.finding_id for f in status.findings] == [f"{inp.product_id}:v1:GEN-IO-03"]
    assert [h.action for h in status.history] == [A.SUBMIT, A.PRECHECK, A.ENQUEUE, A.CLAIM]
    assert set(status.allowed_actions) >= {A.APPROVE, A.RETURN, A.ESCALATE, A.DISMISS_FINDING, A.WITHDRAW}
    attrs = described.typed_search_attributes
    assert attrs.get(sa.REVIEW_STATE) == "in_review"
    assert attrs.get(sa.ASSIGNEE) == REVIEWER.staff_id
    assert (attrs.get(sa.TEAM), attrs.get(sa.PRODUCT_TYPE), attrs.get(sa.SITUATION)) == (TEAM_ID, "IO", "SIT-VELMORA")


async def test_failed_precheck_reaches_a_reviewer_who_cannot_approve(temporal_env):
    fakes = FakeReviewActivities(precheck_error="version 101 not found")
    async with review_worker(temporal_env, fakes) as tq:
        handle = await claimed_review(temporal_env, tq)
        err = await refusal(handle.execute_update(*decide(DecisionKind.APPROVE)))
    assert (
        err.message == "Cannot approve: the version has format errors; return it to the team for a corrected version."
    )
    assert "version 101 not found" in fakes.last(A.PRECHECK).transition.details["format_errors"]


async def test_continue_as_new_keeps_the_review_state(temporal_env):
    fakes = FakeReviewActivities({1: [finding("GEN-IO-03")], 2: [], 3: []})
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq, submit_input(continue_as_new_after_events=30))
        first_run = (await handle.describe()).run_id
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(*claim())
        for version_no in (2, 3):
            await handle.execute_update(*decide(DecisionKind.RETURN, reason=f"round {version_no - 1}"))
            await handle.execute_update(*resubmit(version_no))
            await wait_for_state(handle, ReviewState.IN_REVIEW)
        status = await handle.query(WF.status)
        latest_run = (await handle.describe()).run_id
        await handle.execute_update(*decide(DecisionKind.APPROVE))
        outcome = await handle.result()
    assert latest_run != first_run
    assert status.version_no == 3 and status.assignee == REVIEWER.staff_id
    assert [h.seq for h in status.history] == list(range(1, len(status.history) + 1))
    assert [r.transition.seq for r in fakes.records] == list(range(1, len(fakes.records) + 1))
    assert (outcome.final_state, outcome.version_no) == (ReviewState.APPROVED, 3)
    assert fakes.actions()[0] == A.SUBMIT and fakes.actions().count(A.SUBMIT) == 1


def _settled_waits_in_history(events) -> int:
    return sum(
        1
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == "precheck_settled"
    )


async def test_the_submitters_wait_answers_when_the_precheck_has_routed_the_review(temporal_env):
    from service.reviews import wait_for_precheck

    gate = asyncio.Event()
    async with review_worker(
        temporal_env, FakeReviewActivities({1: [finding("GEN-IO-03", Severity.MAJOR)]}, precheck_gate=gate)
    ) as tq:
        inp = submit_input()
        handle = await start_review(temporal_env, tq, inp)
        waits = [
            asyncio.create_task(
                wait_for_precheck(client=temporal_env.client, product_id=inp.product_id, timeout=30, version_no=1)
            )
            for _ in range(2)
        ]
        await asyncio.sleep(0.5)
        assert not any(w.done() for w in waits)  # the pre-check is still running
        gate.set()
        first, second = await asyncio.gather(*waits)
        assert (first.state, first.version_no, first.verdict) == (ReviewState.QUEUED, 1, Verdict.REVISE)
        assert second == first
        # A version not submitted yet is refused at once (it would hold the review open forever).
        assert (
            await wait_for_precheck(client=temporal_env.client, product_id=inp.product_id, timeout=30, version_no=2)
            is None
        )

        await handle.execute_update(*claim())
        await handle.execute_update(*decide(DecisionKind.RETURN, reason="Revise"))
        await handle.execute_update(*resubmit(2))
        again = await wait_for_precheck(client=temporal_env.client, product_id=inp.product_id, timeout=30, version_no=2)
        assert (again.state, again.version_no, again.assignee) == (ReviewState.IN_REVIEW, 2, REVIEWER.staff_id)

        await handle.execute_update(WF.withdraw, WithdrawRequest(actor=TEAMMATE, reason="Cancelled", request_id=rid()))
        await handle.result()
        ended = await wait_for_precheck(client=temporal_env.client, product_id=inp.product_id, timeout=30, version_no=2)
        history = await handle.fetch_history()
    assert ended == again  # a repeated wait joins the first one, even after the review ended
    # Two waits on version 1 joined one update; version 2 added one more.
    assert _settled_waits_in_history(history.events) == 2
    # Waiting handlers replay deterministically.
    await Replayer(workflows=[WF], data_converter=data_converter_for()).replay_workflow(history)


async def test_waiting_on_a_review_that_has_ended_answers_its_last_status(temporal_env):
    from service.reviews import wait_for_precheck

    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        inp = submit_input()
        handle = await start_review(temporal_env, tq, inp)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.withdraw, WithdrawRequest(actor=TEAMMATE, reason="Cancelled", request_id=rid()))
        await handle.result()
        ended = await wait_for_precheck(client=temporal_env.client, product_id=inp.product_id, timeout=30)
    assert ended.state == ReviewState.WITHDRAWN
