"""CertificationSweepWorkflow: the daily certification sweep (issue 4), run by the Temporal Schedule
`certification-sweep`. It asks one activity to notify certificates expiring in 90/30/7 days or just
expired (once per certificate and threshold) and another to store KPI snapshots. Deterministic: the
day comes from workflow.now(), every side effect is an activity referenced by name.

`ensure_sweep_schedule(client, settings)` creates the schedule, or updates it in place when it
exists, so the worker or `gcu-review certs schedule` can call it at every start.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

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
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5))


@workflow.defn
class CertificationSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepInput) -> SweepResult:
        as_of = request.as_of or workflow.now().date()
        notices: ExpiryNoticesResult = await workflow.execute_activity(
            cert_names.NOTIFY_EXPIRING_CERTIFICATES, ExpiryNoticesInput(as_of=as_of),
            result_type=ExpiryNoticesResult, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY,
        )
        snapshot: SnapshotResult = await workflow.execute_activity(
            cert_names.STORE_KPI_SNAPSHOTS, SnapshotInput(as_of=as_of),
            result_type=SnapshotResult, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY,
        )
        workflow.logger.info("certification sweep %s: %d notices, %d snapshots", as_of, notices.notices,
                             len(snapshot.snapshots))
        return SweepResult(as_of=as_of, notices=notices, snapshot=snapshot)


def sweep_schedule(task_queue: str, hour_utc: int = SWEEP_HOUR_UTC):
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleCalendarSpec,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleRange,
        ScheduleSpec,
    )

    return Schedule(
        action=ScheduleActionStartWorkflow(
            CertificationSweepWorkflow.run, SweepInput(), id=WORKFLOW_ID, task_queue=task_queue,
        ),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour_utc)], minute=[ScheduleRange(0)],
                                                          second=[ScheduleRange(0)])]),
        # A sweep still running (or a missed day caught up) never overlaps the next one.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )


async def ensure_sweep_schedule(client, settings, *, hour_utc: int = SWEEP_HOUR_UTC) -> str:
    """Create schedule `certification-sweep`, or update it to the current definition; idempotent."""
    from temporalio.client import ScheduleAlreadyRunningError, ScheduleUpdate

    schedule = sweep_schedule(settings.task_queue, hour_utc)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(SCHEDULE_ID)
        await handle.update(lambda _: ScheduleUpdate(schedule=schedule))
        return "updated"
