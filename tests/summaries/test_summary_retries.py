"""A database blip while the summaries are made costs no Deputy Prosecutor their summary: the
activity is retried, further and further apart, for a day (time-skipping test server)."""

import uuid
from datetime import date

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from models.summary_messages import (
    LIST_DEPUTY_PROSECUTORS,
    PRODUCE_SUMMARY,
    DeputyProsecutorsInput,
    DeputyProsecutorsResult,
    ProduceSummaryInput,
    SummaryPeriod,
    SummaryRef,
    SummaryRunInput,
    SummaryRunResult,
)
from workflows.summaries import ComplianceSummaryWorkflow

PERIOD = SummaryPeriod(start=date(2026, 3, 2), end=date(2026, 3, 8))


class FlakyDatabase:
    """DP-2's summary fails `failures` times (a database that is down for a while), then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0

    @activity.defn(name=LIST_DEPUTY_PROSECUTORS)
    async def list_dps(self, _request: DeputyProsecutorsInput) -> DeputyProsecutorsResult:
        return DeputyProsecutorsResult(ids=["DP-1", "DP-2"])

    @activity.defn(name=PRODUCE_SUMMARY)
    async def produce(self, request: ProduceSummaryInput) -> SummaryRef:
        if request.deputy_prosecutor_id == "DP-2":
            self.attempts += 1
            if self.attempts <= self.failures:
                raise ApplicationError("could not connect to server: Connection refused")
        return SummaryRef(
            summary_id=len(request.deputy_prosecutor_id) + self.attempts,
            deputy_prosecutor_id=request.deputy_prosecutor_id,
            period=request.period,
        )


async def test_a_database_down_for_a_while_still_gets_every_summary_made(time_skipping_env):
    client = time_skipping_env.client
    queue = f"summaries-{uuid.uuid4()}"
    database = FlakyDatabase(failures=8)  # five attempts used to be all a summary got
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ComplianceSummaryWorkflow],
        activities=[database.list_dps, database.produce],
    ):
        result: SummaryRunResult = await client.execute_workflow(
            ComplianceSummaryWorkflow.run,
            SummaryRunInput(period=PERIOD, email=False),
            id=f"summary-{uuid.uuid4()}",
            task_queue=queue,
        )
    assert [r.deputy_prosecutor_id for r in result.summaries] == ["DP-1", "DP-2"]
    assert result.failed == [] and database.attempts == 9
