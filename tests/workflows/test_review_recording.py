"""The local recording of a transition is bounded in time: while the database keeps failing it (quickly,
or by hanging), the review hands the recording to an ordinary activity (whose retries cost its history
nothing) and raises an alert; an error the database will give on every attempt is not retried at all."""

import asyncio
import time
from datetime import timedelta

from review_fakes import (
    REVIEWER,
    FakeReviewActivities,
    refusal,
    review_worker,
    rid,
    start_review,
    submit_input,
    wait_for_state,
    wait_until,
)
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError

from activities import names
from activities.recording_bound import give_up_if_overdue
from models.enums import ReviewAction, ReviewState
from models.messages import ClaimRequest, CommentRequest, RecordTransitionsInput, RecordTransitionsResult
from workflows.review import ProductReviewWorkflow as WF


class FailingLocally(FakeReviewActivities):
    """The recording fails whenever it runs as a local activity (`local_error`), succeeds otherwise."""

    def __init__(
        self, local_error: ApplicationError | None, only: ReviewAction | None = None, *, hang: float = 0.0
    ) -> None:
        super().__init__()
        self.local_error, self.only, self.hang = local_error, only, hang
        self.local_attempts = 0
        self.ordinary_calls = 0

    @activity.defn(name=names.RECORD_TRANSITIONS)
    async def record_transitions(self, inp: RecordTransitionsInput) -> RecordTransitionsResult:
        if activity.info().is_local:
            give_up_if_overdue(inp)  # as the real activity does first
            if self.only is None or inp.transitions[0].transition.action == self.only:
                self.local_attempts += 1
                if self.hang:  # a database that does not answer
                    await asyncio.sleep(self.hang)
                raise self.local_error
        else:
            self.ordinary_calls += 1
        return await super().record_transitions(inp)


async def test_a_recording_that_keeps_failing_locally_is_handed_to_an_ordinary_activity(temporal_env):
    fakes = FailingLocally(ApplicationError("could not connect to server: Connection refused"))
    inp = submit_input(local_recording_attempts=2)
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq, inp)
        await wait_for_state(handle, ReviewState.QUEUED)
        history = await handle.fetch_history()
    assert fakes.actions() == [ReviewAction.SUBMIT, ReviewAction.PRECHECK, ReviewAction.ENQUEUE]
    assert fakes.local_attempts >= 2 and fakes.ordinary_calls == 2  # the submission; the pre-check with its routing
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled.count(names.RECORD_TRANSITIONS) == 2
    assert len(history.events) < 60  # bounded: the local attempts did not pile up in the history


async def test_a_recording_the_database_refuses_for_good_is_not_retried(temporal_env):
    refused = ApplicationError(
        "the database refused the recording: value too long", type="RecordRejected", non_retryable=True
    )
    fakes = FailingLocally(refused, only=ReviewAction.COMMENT)
    async with review_worker(temporal_env, fakes) as tq:
        handle = await start_review(temporal_env, tq)
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        err = await refusal(
            handle.execute_update(WF.comment, CommentRequest(actor=REVIEWER, text="x", request_id=rid()))
        )
        status = await handle.query(WF.status)
    assert err.type == "RecordFailed" and err.message == (
        "comment could not be recorded: the database refused the recording: value too long"
    )
    assert (fakes.local_attempts, fakes.ordinary_calls) == (1, 0)
    assert status.state == ReviewState.IN_REVIEW and ReviewAction.COMMENT not in fakes.actions()


async def _queued_after_fallback(temporal_env, fakes: FailingLocally, give_up_after: timedelta) -> float:
    """Seconds from the submission until the review is queued, its recordings handed over."""
    inp = submit_input(local_recording_give_up_after=give_up_after)
    async with review_worker(temporal_env, fakes) as tq:
        started = time.monotonic()
        handle = await start_review(temporal_env, tq, inp)
        await wait_until(handle, lambda s: s.state == ReviewState.QUEUED, timeout=60)
        return time.monotonic() - started


async def test_quick_local_failures_are_handed_over_once_the_time_bound_passes(temporal_env):
    """A refused connection fails in milliseconds: the bound is the time since the first attempt (the
    local activity's schedule-to-close timeout, firing between two attempts, is lost by the SDK), not
    a count of attempts (six attempts took about 31 s of back-off)."""
    fakes = FailingLocally(ApplicationError("could not connect to server: Connection refused"))
    took = await _queued_after_fallback(temporal_env, fakes, timedelta(seconds=2))
    assert fakes.ordinary_calls == 2 and fakes.actions() == [
        ReviewAction.SUBMIT,
        ReviewAction.PRECHECK,
        ReviewAction.ENQUEUE,
    ]
    # Each recording: attempts at 0 and 1 s fail, the one at 3 s (after a 2 s back-off) gives up.
    assert took < 2 * 3 + 10, took
    assert fakes.local_attempts == 2 * 2


async def test_a_hanging_local_recording_is_handed_over_at_the_time_bound(temporal_env):
    fakes = FailingLocally(ApplicationError("timeout"), hang=25.0)
    took = await _queued_after_fallback(temporal_env, fakes, timedelta(seconds=2))
    assert fakes.ordinary_calls == 2 and fakes.local_attempts == 2  # one hanging attempt each
    assert took < 2 * 25, took  # the start-to-close timeout (30 s) did not decide it
