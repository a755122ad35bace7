"""Durable SLA timers on the time-skipping test server: days pass in milliseconds."""

import asyncio
from datetime import UTC, datetime, timedelta

from review_fakes import (
    AUTHOR,
    DAY,
    HEAD,
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
from temporalio.testing import WorkflowEnvironment

from models.enums import DecisionKind, ReviewAction, ReviewState
from models.messages import (
    ClaimRequest,
    DecisionRequest,
    MoveDueDateRequest,
    RecordTransitionInput,
    ResubmitRequest,
    SlaPolicy,
)
from workflows.review import ProductReviewWorkflow as WF
from workflows.sla import review_due_at

A = ReviewAction
HOUR = timedelta(hours=1)
POLICY = SlaPolicy(
    review_working_days=10,
    reminder_before=timedelta(days=2),
    escalate_after_due=timedelta(hours=4),
    dp_escalation_after=timedelta(days=5),
    resubmission_days=30,
    resubmission_reminder_before=timedelta(days=7),
)


async def advance_to(env: WorkflowEnvironment, when: datetime) -> None:
    await env.sleep(when - await env.get_current_time())


async def recorded(fakes: FakeReviewActivities, action: ReviewAction, count: int = 1) -> RecordTransitionInput:
    """Wait (real time) until the workflow has recorded `action` `count` times; return the last."""
    for _ in range(200):
        matching = [r for r in fakes.records if r.transition.action == action]
        if len(matching) >= count:
            return matching[count - 1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{action} not recorded {count}x; recorded: {fakes.actions()}")


def targets(record: RecordTransitionInput) -> list[str | None]:
    return [t.staff_id or t.relation for n in record.notifications for t in n.targets]


async def claimed(env, tq):
    handle = await start_review(env, tq, submit_input(sla=POLICY))
    await wait_for_state(handle, ReviewState.QUEUED)
    return handle, await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))


async def test_due_date_is_ten_working_days_after_submission(time_skipping_env):
    async with review_worker(time_skipping_env, FakeReviewActivities()) as tq:
        handle = await start_review(time_skipping_env, tq, submit_input(sla=POLICY))
        status = await wait_for_state(handle, ReviewState.QUEUED)
    submitted_at = status.history[0].at
    assert status.due_at == review_due_at(submitted_at, POLICY)
    # Counted independently of workflows/sla.py: the weekdays after the submission day, up to the due day.
    days = (status.due_at.date() - submitted_at.date()).days
    weekdays = [submitted_at.date() + timedelta(days=n) for n in range(1, days + 1)]
    assert sum(d.weekday() < 5 for d in weekdays) == 10
    assert status.due_at.time() == submitted_at.time()


async def test_reminder_goes_to_the_assignee_before_the_due_time(time_skipping_env):
    env = time_skipping_env
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle, status = await claimed(env, tq)
        await advance_to(env, status.due_at - POLICY.reminder_before - HOUR)
        await asyncio.sleep(0.2)
        assert A.REMINDER not in fakes.actions()
        await advance_to(env, status.due_at - POLICY.reminder_before + HOUR)
        reminder = await recorded(fakes, A.REMINDER)
        after = await handle.query(WF.status)
    assert targets(reminder) == [REVIEWER.staff_id]
    assert reminder.transition.details["due_at"] == status.due_at.isoformat()
    assert reminder.state_after.reminder_sent_for_due == status.due_at
    assert (after.overdue, after.escalation_level) == (False, 0)


async def test_reminder_goes_to_the_reviewer_pool_while_unclaimed(time_skipping_env):
    env = time_skipping_env
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle = await start_review(env, tq, submit_input(sla=POLICY))
        status = await wait_for_state(handle, ReviewState.QUEUED)
        await advance_to(env, status.due_at - POLICY.reminder_before + HOUR)
        reminder = await recorded(fakes, A.REMINDER)
    assert targets(reminder) == ["gcu_reviewers"]


async def test_overdue_escalates_to_gcu_head_then_to_deputy_prosecutor(time_skipping_env):
    env = time_skipping_env
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle, status = await claimed(env, tq)
        await advance_to(env, status.due_at + POLICY.escalate_after_due - HOUR)
        await asyncio.sleep(0.2)
        assert A.OVERDUE_ESCALATION not in fakes.actions()
        await advance_to(env, status.due_at + POLICY.escalate_after_due + HOUR)
        overdue = await recorded(fakes, A.OVERDUE_ESCALATION)
        level_1 = await handle.query(WF.status)
        await advance_to(env, status.due_at + POLICY.escalate_after_due + POLICY.dp_escalation_after + HOUR)
        dp = await recorded(fakes, A.DP_ESCALATION)
        level_2 = await handle.query(WF.status)
        await env.sleep(timedelta(days=30))
        await asyncio.sleep(0.2)
    assert targets(overdue) == ["gcu_head"]
    assert (level_1.overdue, level_1.escalation_level) == (True, 1)
    assert targets(dp) == ["team_dp", "gcu_head"]
    assert level_2.escalation_level == 2
    assert fakes.actions()[-3:] == [A.REMINDER, A.OVERDUE_ESCALATION, A.DP_ESCALATION]  # nothing after level 2


async def test_moving_the_due_date_rearms_reminder_and_escalations(time_skipping_env):
    env = time_skipping_env
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle, status = await claimed(env, tq)
        await advance_to(env, status.due_at + POLICY.escalate_after_due + HOUR)
        await recorded(fakes, A.OVERDUE_ESCALATION)

        now = await env.get_current_time()
        new_due = now + 4 * DAY
        by_reviewer = await refusal(
            handle.execute_update(
                WF.move_due_date, MoveDueDateRequest(actor=REVIEWER, due_at=new_due, reason="x", request_id=rid())
            )
        )
        in_past = await refusal(
            handle.execute_update(
                WF.move_due_date, MoveDueDateRequest(actor=HEAD, due_at=now - DAY, reason="x", request_id=rid())
            )
        )
        moved = await handle.execute_update(
            WF.move_due_date,
            MoveDueDateRequest(actor=HEAD, due_at=new_due, reason="Witness unavailable until Monday", request_id=rid()),
        )
        assert (moved.due_at, moved.escalation_level, moved.overdue) == (new_due, 0, False)

        await advance_to(env, new_due - POLICY.reminder_before + HOUR)
        second_reminder = await recorded(fakes, A.REMINDER, count=2)
        await advance_to(env, new_due + POLICY.escalate_after_due + HOUR)
        second_escalation = await recorded(fakes, A.OVERDUE_ESCALATION, count=2)
    assert by_reviewer.message == "gcu-rev-1 may not move the due date: only the GCU head may."
    assert in_past.message.endswith("is not in the future.")
    assert second_reminder.transition.details["due_at"] == new_due.isoformat()
    assert second_escalation.transition.details["due_at"] == new_due.isoformat()
    assert A.DP_ESCALATION not in fakes.actions()  # the old ladder was reset, not continued
    move = fakes.last(A.MOVE_DUE_DATE)
    assert move.transition.details["previous"] == status.due_at.isoformat()


async def test_moving_the_due_date_later_postpones_the_reminder(time_skipping_env):
    env = time_skipping_env
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle, status = await claimed(env, tq)
        new_due = status.due_at + 10 * DAY
        await handle.execute_update(
            WF.move_due_date,
            MoveDueDateRequest(actor=HEAD, due_at=new_due, reason="Translation pending", request_id=rid()),
        )
        await advance_to(env, status.due_at + HOUR)  # past the original due time
        await asyncio.sleep(0.2)
        assert A.REMINDER not in fakes.actions() and A.OVERDUE_ESCALATION not in fakes.actions()
        await advance_to(env, new_due - POLICY.reminder_before + HOUR)
        reminder = await recorded(fakes, A.REMINDER)
    assert reminder.transition.details["due_at"] == new_due.isoformat()


async def test_resubmission_deadline_reminds_the_team_then_expires(time_skipping_env):
    env = time_skipping_env
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle, _ = await claimed(env, tq)
        returned = await handle.execute_update(
            WF.decide,
            DecisionRequest(
                actor=REVIEWER, decision=DecisionKind.RETURN, reason="Add the risk assessment", request_id=rid()
            ),
        )
        deadline = returned.resubmission_due_at
        await advance_to(env, deadline - POLICY.resubmission_reminder_before + HOUR)
        reminder = await recorded(fakes, A.RESUBMISSION_REMINDER)
        await advance_to(env, deadline + HOUR)
        expired = await recorded(fakes, A.RESUBMISSION_EXPIRED)
        after = await handle.query(WF.status)
        # The team may still resubmit after the deadline; the review goes back to the same reviewer.
        await handle.execute_update(
            WF.resubmit,
            ResubmitRequest(
                actor=AUTHOR, version_id=102, version_no=2, version_label="v2", title="t", request_id=rid()
            ),
        )
        back = await wait_until(handle, lambda s: s.state == ReviewState.IN_REVIEW and s.version_no == 2)
    assert deadline - returned.changed.at == timedelta(days=POLICY.resubmission_days)
    assert targets(reminder) == ["author", "team"]
    assert targets(expired) == ["team", "team_leader", "gcu_head"]
    assert (after.state, after.overdue) == (ReviewState.RETURNED, True)
    assert A.REMINDER not in fakes.actions()  # the review clock is stopped while the team revises
    assert back.assignee == REVIEWER.staff_id and back.due_at > deadline


async def test_a_reminder_not_sent_before_the_deadline_is_skipped_after_downtime(temporal_env):
    """No worker ran from before the reminder until after the due time: when one comes back, the
    reminder ("due soon") is no longer true and is skipped; the escalation is sent. Both used to
    fire, within 2 ms, the reminder first. On the dev server, in seconds of real time (the
    time-skipping server does not move its clock while a workflow task waits for a worker)."""
    from uuid import uuid4

    from temporalio.worker import Worker

    env = temporal_env
    fakes = FakeReviewActivities()
    task_queue = f"downtime-{uuid4()}"
    policy = SlaPolicy(reminder_before=timedelta(seconds=3), escalate_after_due=timedelta(seconds=1))

    def worker() -> Worker:
        return Worker(
            env.client,
            task_queue=task_queue,
            workflows=[WF],
            activities=[fakes.precheck, fakes.record_transitions, fakes.record_transition],
        )

    inp = submit_input(sla=policy)
    handle = await env.client.start_workflow(WF.run, inp, id=f"product-review-{inp.product_id}", task_queue=task_queue)
    try:
        async with worker():
            await wait_for_state(handle, ReviewState.QUEUED)
            due = datetime.now(tz=UTC) + timedelta(seconds=6)
            await handle.execute_update(
                WF.move_due_date,
                MoveDueDateRequest(actor=HEAD, due_at=due, reason="a short deadline", request_id=rid()),
            )
        await asyncio.sleep((due - datetime.now(tz=UTC)).total_seconds() + 2)  # the worker is down
        async with worker():
            await recorded(fakes, A.OVERDUE_ESCALATION)
    finally:
        await handle.terminate("test over")
    assert A.REMINDER not in fakes.actions()
    assert fakes.actions()[-2:] == [A.MOVE_DUE_DATE, A.OVERDUE_ESCALATION]


async def test_the_due_date_is_counted_on_the_offices_calendar_inside_the_workflow(temporal_env):
    office = SlaPolicy(review_working_days=10, time_zone="Europe/Amsterdam")
    async with review_worker(temporal_env, FakeReviewActivities()) as tq:
        handle = await start_review(temporal_env, tq, submit_input(sla=office))
        status = await wait_for_state(handle, ReviewState.QUEUED)
    assert status.due_at == review_due_at(status.history[0].at, office)


async def test_a_returned_review_never_resubmitted_is_closed_after_its_deadline_expired(time_skipping_env):
    """It used to wait for ever after the expiry notice, its workflow open for good."""
    env = time_skipping_env
    policy = POLICY.model_copy(update={"close_after_expiry": timedelta(days=90)})
    fakes = FakeReviewActivities()
    async with review_worker(env, fakes) as tq:
        handle = await start_review(env, tq, submit_input(sla=policy))
        await wait_for_state(handle, ReviewState.QUEUED)
        await handle.execute_update(WF.claim, ClaimRequest(actor=REVIEWER, request_id=rid()))
        returned = await handle.execute_update(
            WF.decide, DecisionRequest(actor=REVIEWER, decision=DecisionKind.RETURN, reason="Revise", request_id=rid())
        )
        await advance_to(env, returned.resubmission_due_at + HOUR)
        await recorded(fakes, A.RESUBMISSION_EXPIRED)
        assert A.CLOSE_ABANDONED not in fakes.actions()
        await advance_to(env, returned.resubmission_due_at + timedelta(days=90) + HOUR)
        outcome = await handle.result()
    closed = fakes.last(A.CLOSE_ABANDONED)
    assert outcome.final_state == ReviewState.WITHDRAWN
    assert (closed.transition.from_state, closed.transition.to_state) == (ReviewState.RETURNED, ReviewState.WITHDRAWN)
    assert closed.transition.actor_id is None  # the system
