"""Setting up a namespace (service/temporal_setup.py): schedules that survive downtime and deployments,
and a worker that refuses a namespace without the review search attributes. On the dev server
(the time-skipping test server implements neither Schedules nor visibility queries)."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio import activity
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client, ScheduleBackfill, ScheduleOverlapPolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities import cert_names
from models.cert_messages import ExpiryNoticesInput, ExpiryNoticesResult, SnapshotInput, SnapshotResult
from service import temporal_setup
from service.temporal_setup import NamespaceNotReady, ensure_schedules, ensure_search_attributes
from settings import Settings
from workflows import cert_sweep, outbox, review_endings, summaries
from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

SCHEDULE_IDS = (cert_sweep.SCHEDULE_ID, summaries.SCHEDULE_ID, outbox.SCHEDULE_ID, review_endings.SCHEDULE_ID)


async def _delete_schedules(client: Client) -> None:
    for schedule_id in SCHEDULE_IDS:
        try:
            await client.get_schedule_handle(schedule_id).delete()
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise


@pytest.fixture
async def clean_schedules(temporal_env):
    # Schedule ids are per namespace and the session's dev server is shared by the tests.
    await _delete_schedules(temporal_env.client)
    yield temporal_env.client
    await _delete_schedules(temporal_env.client)


async def test_a_worker_start_never_lifts_an_operators_pause(clean_schedules):
    client = clean_schedules
    settings = Settings(task_queue=f"setup-{uuid.uuid4()}", smtp_host="127.0.0.1")
    await ensure_schedules(client, settings)
    for schedule_id in SCHEDULE_IDS:
        await client.get_schedule_handle(schedule_id).pause(note="paused by ops: register migration")

    later = settings.model_copy(update={"summary_cron": "30 6 * * *"})
    assert set((await ensure_schedules(client, later)).values()) == {"updated"}

    for schedule_id in SCHEDULE_IDS:
        state = (await client.get_schedule_handle(schedule_id).describe()).schedule.state
        assert (state.paused, state.note) == (True, "paused by ops: register migration"), schedule_id
    # What the code owns did change.
    (calendar,) = (await client.get_schedule_handle(summaries.SCHEDULE_ID).describe()).schedule.spec.calendars
    assert ([r.start for r in calendar.hour], [r.start for r in calendar.minute]) == ([6], [30])


async def test_the_outbox_pause_for_missing_smtp_is_the_codes_own_and_is_lifted(clean_schedules):
    client = clean_schedules
    settings = Settings(task_queue=f"setup-{uuid.uuid4()}", smtp_host="")
    await ensure_schedules(client, settings)
    state = (await client.get_schedule_handle(outbox.SCHEDULE_ID).describe()).schedule.state
    assert (state.paused, state.note) == (True, outbox.NOT_CONFIGURED_NOTE)
    await ensure_schedules(client, settings.model_copy(update={"smtp_host": "127.0.0.1"}))
    assert (await client.get_schedule_handle(outbox.SCHEDULE_ID).describe()).schedule.state.paused is False


async def test_no_scheduled_run_times_out_while_it_waits_for_a_worker(clean_schedules):
    """An execution timeout counts the time a run waits for a worker: a worker down over the
    weekend used to cost that week's summaries. Runs are bounded per activity instead, and the
    schedules catch up a missed run (each in turn) after more than a day of downtime."""
    client = clean_schedules
    await ensure_schedules(client, Settings(task_queue=f"setup-{uuid.uuid4()}"))
    for schedule_id in (cert_sweep.SCHEDULE_ID, summaries.SCHEDULE_ID):
        schedule = (await client.get_schedule_handle(schedule_id).describe()).schedule
        assert schedule.action.execution_timeout is None, schedule_id
        assert schedule.action.run_timeout is None, schedule_id
        assert schedule.policy.catchup_window >= timedelta(days=7), schedule_id
        assert schedule.policy.overlap == ScheduleOverlapPolicy.BUFFER_ALL, schedule_id


class FakeSweepActivities:
    def __init__(self) -> None:
        self.days: list[date] = []

    @activity.defn(name=cert_names.NOTIFY_EXPIRING_CERTIFICATES)
    async def notify(self, request: ExpiryNoticesInput) -> ExpiryNoticesResult:
        return ExpiryNoticesResult(as_of=request.as_of)

    @activity.defn(name=cert_names.STORE_KPI_SNAPSHOTS)
    async def snapshot(self, request: SnapshotInput) -> SnapshotResult:
        self.days.append(request.as_of)
        return SnapshotResult(as_of=request.as_of)


async def test_each_missed_day_is_swept_for_its_own_day(clean_schedules):
    """A sweep started late (caught up after downtime, or backfilled) snapshots the day it was
    scheduled for, not the day it happens to run: otherwise the missed days have no snapshot."""
    client = clean_schedules
    settings = Settings(task_queue=f"setup-{uuid.uuid4()}")
    await ensure_schedules(client, settings)
    handle = client.get_schedule_handle(cert_sweep.SCHEDULE_ID)
    await handle.pause(note="test: only the backfill runs")
    fakes = FakeSweepActivities()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    missed = [today - timedelta(days=n) for n in (4, 3, 2)]
    async with Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[cert_sweep.CertificationSweepWorkflow],
        activities=[fakes.notify, fakes.snapshot],
    ):
        await handle.backfill(
            ScheduleBackfill(
                start_at=missed[0], end_at=missed[-1] + timedelta(hours=3), overlap=ScheduleOverlapPolicy.ALLOW_ALL
            )
        )
        for _ in range(300):
            if len(fakes.days) >= 3:
                break
            await asyncio.sleep(0.1)
    assert sorted(fakes.days) == [d.date() for d in missed]


async def _fresh_namespace(client: Client) -> Client:
    from google.protobuf.duration_pb2 import Duration

    name = f"bare-{uuid.uuid4().hex[:12]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=Duration(seconds=86400))
    )
    other = await Client.connect(
        client.service_client.config.target_host, namespace=name, data_converter=client.data_converter
    )
    for _ in range(200):  # a new namespace reaches the frontend's cache within seconds
        try:
            await other.count_workflows()
            return other
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.1)
    raise AssertionError(f"namespace {name} never became usable")


async def test_a_namespace_without_the_search_attributes_refuses_the_worker(temporal_env, monkeypatch):
    """On Temporal Cloud a worker may not add search attributes: it used to log a warning, start,
    and every review's first transition then failed its workflow task, forever."""
    client = await _fresh_namespace(temporal_env.client)
    namespace = client.namespace

    async def denied(*_args, **_kwargs):
        raise RPCError("Request unauthorized.", RPCStatusCode.PERMISSION_DENIED, b"")

    monkeypatch.setattr(temporal_setup, "register_search_attributes", denied)
    with pytest.raises(NamespaceNotReady) as refused:
        await ensure_search_attributes(client, namespace)
    message = str(refused.value)
    assert all(key.name in message for key in SEARCH_ATTRIBUTE_KEYS), message
    assert namespace in message and "Cloud console" in message

    # Once an operator adds them, the same start goes through.
    from temporalio.api.enums.v1 import IndexedValueType

    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in SEARCH_ATTRIBUTE_KEYS},
        )
    )
    for _ in range(100):
        try:
            await ensure_search_attributes(client, namespace)
            break
        except NamespaceNotReady:
            await asyncio.sleep(0.1)  # visibility learns of new attributes shortly after
    else:
        await ensure_search_attributes(client, namespace)


async def test_where_the_worker_may_it_registers_the_search_attributes_itself(temporal_env):
    client = await _fresh_namespace(temporal_env.client)
    await ensure_search_attributes(client, client.namespace)
    assert await temporal_setup.missing_search_attributes(client) == []
