"""Setting up a Temporal namespace for gcu-review: the review search attributes and the Schedules
(`certification-sweep`, `compliance-summary`, `notification-outbox`, `audit-anchor`, `review-endings`).

Client-side code, so it lives here and not in workflows/ (workflow modules are re-imported by the
sandbox and must not reach the client). The worker calls `prepare_namespace` at every start; the
CLI's `certs schedule` and `summaries schedule` call the schedule functions on demand.

Schedules belong to operators once created: a worker start creates a missing schedule and updates
only what the code owns (the workflow it starts, the calendar, the overlap and catch-up policy),
never the paused state or the note an operator set. The one pause the code owns is the outbox's
own "SMTP is not configured" pause (workflows/outbox.NOT_CONFIGURED_NOTE).
"""

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from models.audit_messages import AnchorInput
from models.cert_messages import SweepInput
from models.ending_messages import EndingsInput
from models.summary_messages import OutboxInput, SummaryRunInput
from workflows import audit_anchor, cert_sweep, outbox, review_endings, summaries
from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

log = logging.getLogger("gcu_review.temporal_setup")

# A day's sweep or a week's summary missed while Temporal was down is still run when it comes back,
# each with its own scheduled time, as long as the outage was shorter than this.
CATCH_UP_WINDOW = timedelta(days=14)


class NamespaceNotReady(RuntimeError):
    """The namespace lacks something the workflows need; the worker refuses to start."""


# ---------------------------------------------------------------- search attributes


async def register_search_attributes(client: Client, namespace: str = "default") -> list[str]:
    """Add the review search attributes missing from `namespace`; returns the names added.

    Idempotent: attributes that already exist are left alone.
    """
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    try:
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
        existing = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError as err:
        # The time-skipping test server implements AddSearchAttributes but not ListSearchAttributes.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = [key.name for key in SEARCH_ATTRIBUTE_KEYS if key.name not in existing]
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=namespace,
                    search_attributes={name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in missing},
                )
            )
        except RPCError as err:
            if err.status != RPCStatusCode.ALREADY_EXISTS:  # another worker registered them first
                raise
    return missing


async def missing_search_attributes(client: Client) -> list[str]:
    """The review search attributes the client's namespace does not define.

    Asked through a visibility query that names every attribute, which any client that may run
    workflows can make (Temporal Cloud included, where the operator service is closed to workers):
    the server refuses a query naming an attribute it does not know.
    """
    missing = []
    for key in SEARCH_ATTRIBUTE_KEYS:
        try:
            await client.count_workflows(f"{key.name} = 'gcu-review-probe'")
        except RPCError as err:
            if err.status == RPCStatusCode.INVALID_ARGUMENT:
                missing.append(key.name)
            elif err.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server cannot count
                raise
    return missing


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register the review search attributes where the worker may, then check they exist.

    Without them every review's first transition fails its workflow task, and retries forever:
    better that the worker refuses to start, saying what to do.
    """
    try:
        await register_search_attributes(client, namespace)
    except RPCError as err:
        if err.status != RPCStatusCode.PERMISSION_DENIED:
            raise
        # Temporal Cloud: search attributes are added in the Cloud console (or tcld), not by workers.
        log.info("cannot register search attributes (%s); checking that the namespace defines them", err.message)
    missing = await missing_search_attributes(client)
    if missing:
        raise NamespaceNotReady(
            f"namespace {namespace!r} lacks the search attributes {', '.join(missing)} (type Keyword); "
            "add them (Temporal Cloud: the namespace's page in the Cloud console, or `tcld namespace "
            "search-attributes add`; self-hosted: `temporal operator search-attribute create --name NAME "
            "--type Keyword`), then start the worker again"
        )


# ---------------------------------------------------------------- schedules


def sweep_schedule(task_queue: str, hour_utc: int = cert_sweep.SWEEP_HOUR_UTC) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            cert_sweep.CertificationSweepWorkflow.run,
            SweepInput(),
            id=cert_sweep.WORKFLOW_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(hour_utc)], minute=[ScheduleRange(0)], second=[ScheduleRange(0)]
                )
            ]
        ),
        # Every missed day is swept (each run takes its day from its scheduled time), one after the
        # other: a sweep waiting for a worker must not make the next day's be skipped.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ALL, catchup_window=CATCH_UP_WINDOW),
    )


def summary_schedule(settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            summaries.ComplianceSummaryWorkflow.run,
            SummaryRunInput(period_days=settings.summary_period_days),
            id=summaries.WORKFLOW_ID,
            task_queue=settings.task_queue,
            # No execution timeout: it would count the time spent waiting for a worker, and a worker
            # down for a few hours would cost that week's summaries. Each activity is bounded instead.
        ),
        spec=ScheduleSpec(cron_expressions=[settings.summary_cron], time_zone_name="UTC"),
        # A run missed while Temporal was down is caught up, never doubled.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ALL, catchup_window=CATCH_UP_WINDOW),
    )


def outbox_schedule(settings) -> Schedule:
    configured = bool(settings.smtp_host)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            outbox.NotificationOutboxWorkflow.run,
            OutboxInput(),
            id=outbox.WORKFLOW_ID,
            task_queue=settings.task_queue,
            execution_timeout=timedelta(minutes=15),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.outbox_interval_seconds))]),
        # One outbox run at a time; a missed minute is not worth catching up (the next run takes it all).
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
        state=ScheduleState(paused=not configured, note=None if configured else outbox.NOT_CONFIGURED_NOTE),
    )


def _keep_operator_state(existing: ScheduleState, wanted: ScheduleState) -> ScheduleState:
    """The state after an update: the operator's pause and note stay. Only the code's own pause
    (NOT_CONFIGURED_NOTE) is lifted or set by the code."""
    if existing.paused and existing.note != outbox.NOT_CONFIGURED_NOTE:
        return existing  # paused by an operator: never resumed by a deployment
    if wanted.paused and wanted.note == outbox.NOT_CONFIGURED_NOTE:
        return wanted
    if existing.paused:  # the code's own pause, no longer needed
        return ScheduleState(note=None)
    return existing


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> str:
    """Create `schedule_id`, or bring what the code owns up to date; returns "created" or "updated"."""
    try:
        await client.create_schedule(schedule_id, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        pass

    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        existing = current.description.schedule
        return ScheduleUpdate(
            schedule=Schedule(
                action=schedule.action,
                spec=schedule.spec,
                policy=schedule.policy,
                state=_keep_operator_state(existing.state, schedule.state),
            )
        )

    await client.get_schedule_handle(schedule_id).update(update)
    return "updated"


async def ensure_sweep_schedule(client: Client, settings, *, hour_utc: int = cert_sweep.SWEEP_HOUR_UTC) -> str:
    """Create schedule `certification-sweep`, or update it to the current definition; idempotent."""
    return await ensure_schedule(client, cert_sweep.SCHEDULE_ID, sweep_schedule(settings.task_queue, hour_utc))


async def ensure_outbox_schedule(client: Client, settings) -> str:
    return await ensure_schedule(client, outbox.SCHEDULE_ID, outbox_schedule(settings))


async def ensure_summary_schedules(client: Client, settings) -> dict[str, str]:
    """Create or update `compliance-summary` and `notification-outbox`; {schedule id: outcome}."""
    return {
        summaries.SCHEDULE_ID: await ensure_schedule(client, summaries.SCHEDULE_ID, summary_schedule(settings)),
        outbox.SCHEDULE_ID: await ensure_outbox_schedule(client, settings),
    }


def anchor_schedule(settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            audit_anchor.AuditAnchorWorkflow.run,
            AnchorInput(),
            id=audit_anchor.WORKFLOW_ID,
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=settings.audit_anchor_minutes))]),
        # A checkpoint missed while the worker was down is not worth catching up: the next one covers
        # every event before it (the chain is cumulative).
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_anchor_schedule(client: Client, settings) -> str:
    """Create schedule `audit-anchor`, or update it to the current definition; idempotent."""
    return await ensure_schedule(client, audit_anchor.SCHEDULE_ID, anchor_schedule(settings))


ENDINGS_RUN_TIMEOUT = timedelta(hours=1)


def endings_schedule(settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            review_endings.ReviewEndingsWorkflow.run,
            EndingsInput(),
            id=review_endings.WORKFLOW_ID,
            task_queue=settings.task_queue,
            # A run no worker can finish (the worker down, or a task queue nobody serves any more)
            # would otherwise stay open, and the overlap policy would skip every later run.
            execution_timeout=ENDINGS_RUN_TIMEOUT,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=settings.review_endings_minutes))]),
        # Each run looks back 14 days: a run missed while the worker was down is covered by the next.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_endings_schedule(client: Client, settings) -> str:
    """Create schedule `review-endings`, or update it to the current definition; idempotent."""
    return await ensure_schedule(client, review_endings.SCHEDULE_ID, endings_schedule(settings))


async def ensure_schedules(client: Client, settings) -> dict[str, str]:
    """Every schedule of gcu-review; idempotent, so every worker start may call it."""
    return {
        cert_sweep.SCHEDULE_ID: await ensure_sweep_schedule(client, settings),
        **await ensure_summary_schedules(client, settings),
        audit_anchor.SCHEDULE_ID: await ensure_anchor_schedule(client, settings),
        review_endings.SCHEDULE_ID: await ensure_endings_schedule(client, settings),
    }


async def prepare_namespace(client: Client, settings) -> None:
    """What a worker needs before it polls: the search attributes (or a refusal), the schedules."""
    await ensure_search_attributes(client, settings.temporal_namespace)
    await ensure_schedules(client, settings)
