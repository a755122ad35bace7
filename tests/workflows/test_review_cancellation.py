"""A review cancelled through Temporal records its ending: the database no longer says it is queued,
and a cancel during the pre-check is not turned into a format-error verdict."""

import asyncio
import contextlib

from review_fakes import FakeReviewActivities, review_worker, start_review, wait_for_state
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from models.enums import ReviewAction, ReviewState

A = ReviewAction


async def cancelled(handle) -> WorkflowExecutionStatus:
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    return (await handle.describe()).status


async def test_cancelling_a_queued_review_records_its_ending(temporal_env):
    fakes = FakeReviewActivities()
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        status = await cancelled(handle)
    assert status == WorkflowExecutionStatus.CANCELED
    assert fakes.actions() == [A.SUBMIT, A.PRECHECK, A.ENQUEUE, A.CANCEL]
    ending = fakes.last(A.CANCEL)
    assert (ending.transition.from_state, ending.transition.to_state) == (ReviewState.QUEUED, ReviewState.WITHDRAWN)
    assert (
        ending.state_after.state == ReviewState.WITHDRAWN and ending.transition.details["cancelled_while"] == "queued"
    )


async def test_a_cancel_during_the_precheck_is_not_a_format_error(temporal_env):
    gate = asyncio.Event()  # the pre-check never finishes on its own
    fakes = FakeReviewActivities(precheck_gate=gate)
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        for _ in range(100):
            if fakes.prechecks:
                break
            await asyncio.sleep(0.05)
        status = await cancelled(handle)
        gate.set()
    assert status == WorkflowExecutionStatus.CANCELED
    assert fakes.actions() == [A.SUBMIT, A.CANCEL]  # no pre-check verdict recorded
    assert fakes.last(A.CANCEL).transition.from_state == ReviewState.SUBMITTED
