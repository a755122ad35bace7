"""NotificationOutboxWorkflow: one run of the email outbox, started every minute by the Temporal
Schedule `notification-outbox`. The activity does the sending, row by row, at most once each
(notify/outbox.py); this workflow only bounds it in time.

The schedule (service/temporal_setup.py) is paused, with NOT_CONFIGURED_NOTE, while SMTP is not
configured, and resumed by the next worker start once it is; a pause with any other note is an
operator's, which no deployment lifts.
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
            SEND_PENDING_NOTIFICATIONS,
            request,
            result_type=OutboxResult,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )
        if result.sent or result.failed or result.unconfirmed:
            workflow.logger.info(
                "outbox: %d sent, %d retry, %d failed, %d unconfirmed",
                result.sent,
                result.retry,
                result.failed,
                result.unconfirmed,
            )
        return result
