"""CertificationSweepWorkflow: the daily certification sweep (issue 4), run by the Temporal Schedule
`certification-sweep`. It asks one activity to notify certificates expiring in 90/30/7 days or just
expired (once per certificate and threshold) and another to store KPI snapshots. Deterministic: the
day is the one the schedule meant (TemporalScheduledStartTime), so a run that waited for a worker,
or a missed day caught up after an outage, snapshots its own day; started by hand, today's
(workflow.now()). Every side effect is an activity referenced by name.

The schedule itself is set up by service/temporal_setup.py (client code stays out of workflows/).
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities import cert_names
    from models.cert_messages import (
        ExpiryNoticesInput,
        ExpiryNoticesResult,
        SnapshotInput,
        SnapshotResult,
        SweepInput,
        SweepResult,
    )

SCHEDULE_ID = "certification-sweep"
WORKFLOW_ID = "certification-sweep"
SWEEP_HOUR_UTC = 2  # after midnight everywhere the office works, before the working day in The Hague
ACTIVITY_TIMEOUT = timedelta(minutes=10)
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5))


@workflow.defn
class CertificationSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepInput) -> SweepResult:
        scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
        as_of = request.as_of or (scheduled or workflow.now()).date()
        notices: ExpiryNoticesResult = await workflow.execute_activity(
            cert_names.NOTIFY_EXPIRING_CERTIFICATES,
            ExpiryNoticesInput(as_of=as_of),
            result_type=ExpiryNoticesResult,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        snapshot: SnapshotResult = await workflow.execute_activity(
            cert_names.STORE_KPI_SNAPSHOTS,
            SnapshotInput(as_of=as_of),
            result_type=SnapshotResult,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        workflow.logger.info(
            "certification sweep %s: %d notices, %d snapshots", as_of, notices.notices, len(snapshot.snapshots)
        )
        return SweepResult(as_of=as_of, notices=notices, snapshot=snapshot)
