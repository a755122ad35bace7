"""An update's answer is written into the workflow's history: with the whole review history in
each answer, history bytes grew quadratically (after 200 long comments each update wrote 844 KB)
until the review passed Temporal's limits. The answer is the state and what changed, a constant size."""

from review_fakes import AUTHOR, REVIEWER, FakeReviewActivities, review_worker, rid, start_review, wait_for_state
from temporalio.api.enums.v1 import EventType

from models.enums import ReviewAction, ReviewState
from models.limits import COMMENT_MAX_CHARS
from models.messages import ClaimRequest, CommentRequest, WithdrawRequest
from workflows.review import ProductReviewWorkflow as WF


async def test_update_answers_stay_small_however_long_the_history(temporal_env):
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        for n in range(30):
            answer = await handle.execute_update(
                WF.comment,
                CommentRequest(actor=REVIEWER, text=f"{n} " + "x" * (COMMENT_MAX_CHARS - 10), request_id=rid()),
            )
        history = await handle.fetch_history()
        status = await handle.query(WF.status)

    assert answer.history == [] and answer.changed.reason.startswith("29 ")
    assert len(status.history) == 4 + 30  # the query still has it all
    sizes = [
        sum(p.ByteSize() for p in e.workflow_execution_update_completed_event_attributes.outcome.success.payloads)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    ]
    assert len(sizes) == 31
    # One comment's text (about 4 KB) and the state, never the comments before it.
    assert max(sizes) < 2 * COMMENT_MAX_CHARS + 4000, sizes


async def test_the_answer_that_ends_a_review_carries_its_whole_history(temporal_env):
    # The caller's `status` query after an ending would replay the whole closed run on a worker
    # (service/reviews.py answers with this history instead): written once, at the end.
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        claimed = await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        ended = await handle.execute_update(
            WF.withdraw, WithdrawRequest(actor=AUTHOR, reason="replaced by a new product", request_id=rid())
        )
        status = await handle.query(WF.status)

    assert claimed.history == [] and claimed.state == ReviewState.IN_REVIEW
    assert ended.state == ReviewState.WITHDRAWN
    assert [r.action for r in ended.history] == [r.action for r in status.history]
    assert ended.history[-1].action == ReviewAction.WITHDRAW and ended.changed == ended.history[-1]
