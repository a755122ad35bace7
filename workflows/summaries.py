"""ComplianceSummaryWorkflow: one compliance summary per Deputy Prosecutor for a period, stored and
emailed. The Temporal Schedule `compliance-summary` (cron SUMMARY_CRON, weekly on Monday 07:00 UTC
by default) starts it with no period: it then covers the `period_days` days before the scheduled
day, which comes from the schedule (TemporalScheduledStartTime), so a late or caught-up run still
reports the week it was meant for. `gcu-review summaries run` starts it on demand.

`ensure_schedules(client, settings)` creates or updates both of issue 5's schedules
(`compliance-summary` and `notification-outbox`); the worker calls it at start.
"""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.summary_messages import (
        EMAIL_SUMMARY,
        LIST_DEPUTY_PROSECUTORS,
        PRODUCE_SUMMARY,
        DeputyProsecutorsInput,
        DeputyProsecutorsResult,
        EmailSummaryInput,
        EmailSummaryResult,
        ProduceSummaryInput,
        SummaryRef,
        SummaryRunInput,
        SummaryRunResult,
        previous_period,
    )

SCHEDULE_ID = "compliance-summary"
WORKFLOW_ID = "compliance-summary"
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
TIMEOUT = timedelta(minutes=10)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=2), maximum_attempts=5)


def _run_time() -> datetime:
    scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return scheduled or workflow.now()


@workflow.defn
class ComplianceSummaryWorkflow:
    @workflow.run
    async def run(self, request: SummaryRunInput) -> SummaryRunResult:
        period = request.period or previous_period(_run_time().date(), request.period_days)
        dps: DeputyProsecutorsResult = await workflow.execute_activity(
            LIST_DEPUTY_PROSECUTORS, DeputyProsecutorsInput(only=request.deputy_prosecutor_id),
            result_type=DeputyProsecutorsResult, start_to_close_timeout=TIMEOUT, retry_policy=RETRY,
        )
        result = SummaryRunResult(period=period)
        for dp in dps.ids:
            try:
                ref: SummaryRef = await workflow.execute_activity(
                    PRODUCE_SUMMARY, ProduceSummaryInput(deputy_prosecutor_id=dp, period=period, as_of=workflow.now(),
                                                        regenerate_emailed=request.regenerate_emailed),
                    result_type=SummaryRef, start_to_close_timeout=TIMEOUT, retry_policy=RETRY,
                )
            except ActivityError as exc:
                # One DP's failure must not cost the others their summary; the run fails at the end.
                workflow.logger.error("summary of %s for %s..%s failed: %s", dp, period.start, period.end, exc.cause)
                result.failed.append(dp)
                continue
            result.summaries.append(ref)
            if request.email:
                sent: EmailSummaryResult = await workflow.execute_activity(
                    EMAIL_SUMMARY, EmailSummaryInput(summary_id=ref.summary_id), result_type=EmailSummaryResult,
                    start_to_close_timeout=TIMEOUT, retry_policy=RETRY,
                )
                result.emails.append(sent)
        if result.failed:
            raise ApplicationError(f"no summary for {', '.join(result.failed)}", result, type="SummaryFailed",
                                   non_retryable=True)
        return result


def summary_schedule(settings):
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleSpec,
    )

    return Schedule(
        action=ScheduleActionStartWorkflow(
            ComplianceSummaryWorkflow.run, SummaryRunInput(period_days=settings.summary_period_days), id=WORKFLOW_ID,
            task_queue=settings.task_queue, execution_timeout=timedelta(hours=6),
        ),
        spec=ScheduleSpec(cron_expressions=[settings.summary_cron], time_zone_name="UTC"),
        # A run missed while Temporal was down is caught up within a day, never doubled.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )


async def _ensure(client, schedule_id: str, schedule) -> str:
    from temporalio.client import ScheduleAlreadyRunningError, ScheduleUpdate

    try:
        await client.create_schedule(schedule_id, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(schedule_id).update(lambda _: ScheduleUpdate(schedule=schedule))
        return "updated"


async def ensure_schedules(client, settings) -> dict[str, str]:
    """Create or update `compliance-summary` and `notification-outbox`; idempotent, so every worker
    start may call it. Returns {schedule id: "created" | "updated"}."""
    from workflows.outbox import SCHEDULE_ID as OUTBOX_SCHEDULE_ID
    from workflows.outbox import ensure_outbox_schedule

    return {
        SCHEDULE_ID: await _ensure(client, SCHEDULE_ID, summary_schedule(settings)),
        OUTBOX_SCHEDULE_ID: await ensure_outbox_schedule(client, settings),
    }
