"""NotificationOutboxWorkflow: one run of the email outbox, started every minute by the Temporal
Schedule `notification-outbox`. The activity does the sending, row by row, at most once each
(notify/outbox.py); this workflow only bounds it in time.

The schedule is paused (with a note saying why) while SMTP is not configured, and resumed by
`ensure_outbox_schedule` once it is.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.summary_messages import SEND_PENDING_NOTIFICATIONS, OutboxInput, OutboxResult

SCHEDULE_ID = "notification-outbox"
WORKFLOW_ID = "notification-outbox"
NOT_CONFIGURED_NOTE = "paused: SMTP_HOST is not set, notifications stay in-app"
# Claims already made are never re-sent, so a retry after a crash picks up only what is left.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=10), maximum_interval=timedelta(minutes=1), maximum_attempts=3)


@workflow.defn
class NotificationOutboxWorkflow:
    @workflow.run
    async def run(self, request: OutboxInput) -> OutboxResult:
        result: OutboxResult = await workflow.execute_activity(
            SEND_PENDING_NOTIFICATIONS, request, result_type=OutboxResult,
            start_to_close_timeout=timedelta(minutes=10), heartbeat_timeout=timedelta(minutes=2), retry_policy=RETRY,
        )
        if result.sent or result.failed or result.unconfirmed:
            workflow.logger.info("outbox: %d sent, %d retry, %d failed, %d unconfirmed", result.sent, result.retry,
                                 result.failed, result.unconfirmed)
        return result


def outbox_schedule(settings):
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleIntervalSpec,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleSpec,
        ScheduleState,
    )

    configured = bool(settings.smtp_host)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            NotificationOutboxWorkflow.run, OutboxInput(), id=WORKFLOW_ID, task_queue=settings.task_queue,
            execution_timeout=timedelta(minutes=15),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.outbox_interval_seconds))]),
        # One outbox run at a time; a missed minute is not worth catching up (the next run takes it all).
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
        state=ScheduleState(paused=not configured, note=None if configured else NOT_CONFIGURED_NOTE),
    )


async def ensure_outbox_schedule(client, settings) -> str:
    """Create schedule `notification-outbox`, or update it to the current settings; idempotent."""
    from temporalio.client import ScheduleAlreadyRunningError, ScheduleUpdate

    schedule = outbox_schedule(settings)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(SCHEDULE_ID).update(lambda _: ScheduleUpdate(schedule=schedule))
        return "updated"
