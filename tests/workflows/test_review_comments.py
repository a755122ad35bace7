"""Comments on a review (ProductReviewWorkflow.comment): the assignee, the GCU head and the
submitting team may comment until the review is approved or withdrawn; each comment is one
recorded transition (action comment, no change of state, the text as its reason) and tells the
other side."""

from datetime import UTC, datetime

import pytest
from review_fakes import (
    AUTHOR,
    HEAD,
    OUTSIDER,
    REVIEWER,
    REVIEWER_2,
    TEAM_ID,
    TEAMMATE,
    FakeReviewActivities,
    refusal,
    review_worker,
    rid,
    start_review,
    wait_for_state,
)
from temporalio.exceptions import ApplicationError

from models.enums import DecisionKind, NotificationKind, ReviewAction, ReviewState
from models.messages import ClaimRequest, CommentRequest, DecisionRequest, WithdrawRequest
from models.review_policy import COMMENT_MAX_CHARS, STATE_WORDS
from workflows.review import ProductReviewWorkflow as WF

A = ReviewAction


def comment(actor, text: str, request_id: str | None = None):
    return WF.comment, CommentRequest(actor=actor, text=text, request_id=request_id or rid())


def targets_of(record) -> list[tuple[str | None, str | None]]:
    return [(t.relation, t.staff_id) for n in record.notifications for t in n.targets]


async def test_reviewer_and_team_comment_and_each_comment_is_recorded_without_a_change_of_state(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))

        after_reviewer = await handle.execute_update(*comment(REVIEWER, "  Section 3 needs the risk assessment.  "))
        after_team = await handle.execute_update(*comment(TEAMMATE, "Added it in the annex; see page 4."))
        after_head = await handle.execute_update(*comment(HEAD, "Please decide by Friday."))
        status = await handle.query(WF.status)  # an update's answer leaves the history out

    assert after_head.state == ReviewState.IN_REVIEW and after_head.assignee == REVIEWER.staff_id
    comments = [h for h in status.history if h.action == A.COMMENT]
    assert [(c.actor_id, c.reason) for c in comments] == [
        (REVIEWER.staff_id, "Section 3 needs the risk assessment."),
        (TEAMMATE.staff_id, "Added it in the annex; see page 4."),
        (HEAD.staff_id, "Please decide by Friday."),
    ]
    assert all(c.from_state == c.to_state == ReviewState.IN_REVIEW for c in comments)
    assert [h.action for h in status.history][-3:] == [A.COMMENT, A.COMMENT, A.COMMENT]
    assert after_reviewer.changed.seq + 1 == after_team.changed.seq  # one record per comment

    # The same path as every transition: recorded through record_transitions, in order.
    assert fakes.actions() == [A.SUBMIT, A.PRECHECK, A.ENQUEUE, A.CLAIM, A.COMMENT, A.COMMENT, A.COMMENT]
    reviewer_rec, team_rec, head_rec = [r for r in fakes.records if r.transition.action == A.COMMENT]
    assert reviewer_rec.state_after.state == ReviewState.IN_REVIEW
    assert reviewer_rec.transition.details["side"] == "gcu" and team_rec.transition.details["side"] == "team"
    # The other side is told: the team hears the reviewer, the reviewer hears the team.
    assert targets_of(reviewer_rec) == [("author", None), ("team", None), ("assignee", None)]
    assert targets_of(team_rec) == [("assignee", None)]
    assert targets_of(head_rec) == [("author", None), ("team", None), ("assignee", None)]
    notice = team_rec.notifications[0]
    assert notice.kind == NotificationKind.COMMENT
    assert notice.subject == f"Comment by {TEAMMATE.staff_id}: Interview outline W-17 (v1)"
    assert notice.body == "Added it in the annex; see page 4."


async def test_the_team_may_comment_while_queued_and_the_gcu_head_hears_it(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        status = await handle.execute_update(*comment(AUTHOR, "Urgent: the mission leaves on Monday."))
    assert status.state == ReviewState.QUEUED and status.changed.reason == "Urgent: the mission leaves on Monday."
    assert targets_of(fakes.last(A.COMMENT)) == [("assignee", None), ("gcu_head", None)]


async def test_comments_refused_to_people_outside_the_review_and_for_empty_or_long_text(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))

        outsider = await refusal(handle.execute_update(*comment(OUTSIDER, "I have views")))
        other_reviewer = await refusal(handle.execute_update(*comment(REVIEWER_2, "Me too")))
        empty = await refusal(handle.execute_update(*comment(REVIEWER, "   \n ")))
        too_long = await refusal(handle.execute_update(*comment(REVIEWER, "x" * (COMMENT_MAX_CHARS + 1))))
        at_limit = await handle.execute_update(*comment(REVIEWER, "y" * COMMENT_MAX_CHARS))

    assert (outsider.type, other_reviewer.type) == ("NotAllowed", "NotAllowed")
    assert outsider.message == (
        "inv-zed may not comment: only the reviewer it is assigned to (gcu-rev-1) or the GCU head or the product's "
        f"author (inv-ana) or the staff of team {TEAM_ID} may."
    )
    assert other_reviewer.message.startswith("gcu-rev-2 may not comment")
    assert (empty.type, empty.message) == ("ReasonRequired", "A comment cannot be empty.")
    assert too_long.type == "InvalidRequest"
    assert (
        too_long.message
        == f"A comment is at most {COMMENT_MAX_CHARS} characters (this one has {COMMENT_MAX_CHARS + 1})."
    )
    assert at_limit.changed.reason == "y" * COMMENT_MAX_CHARS
    assert fakes.actions().count(A.COMMENT) == 1  # refusals never reach history


async def test_no_comment_once_approved_or_withdrawn(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        approved = await start_review(temporal_env, tq)
        withdrawn = await start_review(temporal_env, tq)
        await wait_for_state(approved, ReviewState.QUEUED)
        await approved.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        await approved.execute_update(
            WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.APPROVE, request_id=rid())
        )
        await wait_for_state(withdrawn, ReviewState.QUEUED)
        await withdrawn.execute_update(
            WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="superseded", request_id=rid())
        )
        # A closed workflow refuses every update; while it still runs, the validator says why.
        for handle in (approved, withdrawn):
            try:
                err = await refusal(handle.execute_update(*comment(AUTHOR, "one more thing")))
            except Exception as exc:
                assert "completed" in str(exc).lower() or "not found" in str(exc).lower(), exc
            else:
                assert err.type == "WrongState"


def test_comment_refused_after_approval_by_the_validator():
    """The pure guard, for the window between the decision and the end of the run."""
    from models.messages import ReviewWorkflowState
    from workflows import guards

    for state in (ReviewState.APPROVED, ReviewState.WITHDRAWN):
        ctx = guards.ReviewContext(
            author_id=AUTHOR.staff_id,
            team_id=AUTHOR.team_ids[0],
            st=ReviewWorkflowState(
                state=state, version_id=1, version_no=1, version_label="v1", title="t", assignee=REVIEWER.staff_id
            ),
        )
        for actor in (AUTHOR, REVIEWER, HEAD):
            with pytest.raises(ApplicationError) as caught:
                guards.check(ctx, CommentRequest(actor=actor, text="late", request_id=rid()), datetime.now(UTC))
            assert caught.value.type == "WrongState"
            assert caught.value.message.startswith(f"Cannot comment now: the review is {STATE_WORDS[state]}")


async def test_a_repeated_comment_request_is_recorded_once(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        request_id = rid()
        await handle.execute_update(*comment(AUTHOR, "Once", request_id))
        again = await handle.execute_update(*comment(AUTHOR, "Once", request_id))
        status = await handle.query(WF.status)
    assert [h.reason for h in status.history if h.action == A.COMMENT] == ["Once"]
    assert again.changed is not None and again.changed.reason == "Once"  # the retry is told what the first did
