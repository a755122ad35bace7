"""ComplianceSummaryWorkflow: one compliance summary per Deputy Prosecutor for a period, stored and
emailed. The Temporal Schedule `compliance-summary` (cron SUMMARY_CRON, weekly on Monday 07:00 UTC
by default) starts it with no period: it then covers the `period_days` days before the scheduled
day, which comes from the schedule (TemporalScheduledStartTime), so a late or caught-up run still
reports the week it was meant for. `gcu-review summaries run` starts it on demand.

The schedules are set up by service/temporal_setup.py (client code stays out of workflows/).
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
# A database or SMTP blip must not cost a Deputy Prosecutor their summary: attempts go on, further
# and further apart, for a day; only then does that summary count as failed (the others go on).
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10))
GIVE_UP_AFTER = timedelta(days=1)


def _run_time() -> datetime:
    scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return scheduled or workflow.now()


@workflow.defn
class ComplianceSummaryWorkflow:
    @workflow.run
    async def run(self, request: SummaryRunInput) -> SummaryRunResult:
        period = request.period or previous_period(_run_time().date(), request.period_days)
        dps: DeputyProsecutorsResult = await workflow.execute_activity(
            LIST_DEPUTY_PROSECUTORS,
            DeputyProsecutorsInput(only=request.deputy_prosecutor_id),
            result_type=DeputyProsecutorsResult,
            start_to_close_timeout=TIMEOUT,
            schedule_to_close_timeout=GIVE_UP_AFTER,
            retry_policy=RETRY,
        )
        result = SummaryRunResult(period=period)
        for dp in dps.ids:
            try:
                ref: SummaryRef = await workflow.execute_activity(
                    PRODUCE_SUMMARY,
                    ProduceSummaryInput(
                        deputy_prosecutor_id=dp,
                        period=period,
                        as_of=workflow.now(),
                        regenerate_emailed=request.regenerate_emailed,
                    ),
                    result_type=SummaryRef,
                    start_to_close_timeout=TIMEOUT,
                    schedule_to_close_timeout=GIVE_UP_AFTER,
                    retry_policy=RETRY,
                )
            except ActivityError as exc:
                # One DP's failure must not cost the others their summary; the run fails at the end.
                workflow.logger.error("summary of %s for %s..%s failed: %s", dp, period.start, period.end, exc.cause)
                result.failed.append(dp)
                continue
            result.summaries.append(ref)
            if request.email:
                sent: EmailSummaryResult = await workflow.execute_activity(
                    EMAIL_SUMMARY,
                    EmailSummaryInput(summary_id=ref.summary_id),
                    result_type=EmailSummaryResult,
                    start_to_close_timeout=TIMEOUT,
                    schedule_to_close_timeout=GIVE_UP_AFTER,
                    retry_policy=RETRY,
                )
                result.emails.append(sent)
        if result.failed:
            raise ApplicationError(
                f"no summary for {', '.join(result.failed)}", result, type="SummaryFailed", non_retryable=True
            )
        return result
