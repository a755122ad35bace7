"""The daily certification sweep: expiry notices once per (certificate, threshold), to the person
and their team leader, under Temporal time skipping; and the idempotent schedule."""

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from activities.certifications import CertificationActivities
from models.cert_messages import ExpiryNoticesInput, SweepInput, SweepResult
from models.kpi_tables import CertificationNotice, KpiSnapshot
from models.tables import Notification
from service.temporal_setup import ensure_sweep_schedule
from settings import Settings
from store.cert_notices import send_expiry_notices, threshold_for
from tests.kpi import factories as f
from workflows.cert_sweep import SCHEDULE_ID, CertificationSweepWorkflow


def test_threshold_is_the_nearest_one_not_every_one_skipped():
    assert [threshold_for(d, [90, 30, 7]) for d in (120, 90, 31, 30, 8, 7, 0, -1)] == [
        None,
        "90",
        "90",
        "30",
        "30",
        "7",
        "7",
        "expired",
    ]


def _register(s: Session, today: date) -> None:
    f.team(s, "T1", leader="L1", members=["P1"])
    f.staff(s, "L1", ["team_leader"])
    f.staff(s, "P1", ["investigator"])
    f.cert(s, "P1", "SGBC_BASIC", date(2020, 1, 1), today + timedelta(days=95))
    f.cert(s, "P1", "CAC_BASIC", date(2020, 1, 1), today + timedelta(days=29))
    # Renewed already: the old record is not notified.
    f.cert(s, "L1", "SGBC_BASIC", date(2020, 1, 1), today + timedelta(days=5))
    f.cert(s, "L1", "SGBC_ADV", today - timedelta(days=10), today + timedelta(days=700))
    s.commit()


def notices(engine):
    with Session(engine) as s:
        return sorted((n.cert, n.threshold) for n in s.exec(select(CertificationNotice)))


def test_expired_certificate_is_notified_once_to_person_and_leader(fresh_engine):
    today = date(2026, 3, 1)
    with Session(fresh_engine) as s:
        _register(s, today)
        f.cert(s, "P1", "CAC_ADV", date(2020, 1, 1), today - timedelta(days=3))
        s.commit()
        first = send_expiry_notices(session=s, request=ExpiryNoticesInput(as_of=today))
        s.commit()
        second = send_expiry_notices(session=s, request=ExpiryNoticesInput(as_of=today))
        s.commit()
        rows = s.exec(select(Notification).where(Notification.subject.contains("CAC_ADV"))).all()
    assert first.by_threshold == {"expired": 1, "30": 1} and first.notifications == 4
    assert (second.notices, second.already_sent) == (0, 2)
    assert sorted(n.recipient_id for n in rows) == ["L1", "P1"]
    assert all(n.kind == "certificate_expiry" and "expired on 2026-02-26" in n.subject for n in rows)


async def test_daily_sweep_notifies_each_threshold_once(time_skipping_env, fresh_engine):
    env = time_skipping_env
    today = (await env.get_current_time()).date()
    with Session(fresh_engine) as s:
        _register(s, today)
    queue = f"sweep-{uuid.uuid4()}"
    activities = CertificationActivities(db_engine=fresh_engine, settings=Settings())

    async def sweep() -> SweepResult:
        # Time moves only through env.sleep: while a sweep's activity runs in its thread, automatic
        # skipping would jump the clock ahead to the next deadline it sees.
        with env.auto_time_skipping_disabled():
            return await env.client.execute_workflow(
                CertificationSweepWorkflow.run,
                SweepInput(),
                id=f"sweep-{uuid.uuid4()}",
                task_queue=queue,
            )

    async with Worker(
        env.client, task_queue=queue, workflows=[CertificationSweepWorkflow], activities=activities.all()
    ):
        first = await sweep()
        assert first.as_of == today
        assert notices(fresh_engine) == [("CAC_BASIC", "30")]
        assert first.notices.notifications == 2  # P1 and their leader L1
        assert (await sweep()).notices.notices == 0  # same day again: nothing new

        await env.sleep(timedelta(days=10))
        second = await sweep()
        assert second.as_of == today + timedelta(days=10)
        assert notices(fresh_engine) == [("CAC_BASIC", "30"), ("SGBC_BASIC", "90")]

        await env.sleep(timedelta(days=13))
        await sweep()
        assert notices(fresh_engine) == [("CAC_BASIC", "30"), ("CAC_BASIC", "7"), ("SGBC_BASIC", "90")]
        await sweep()
    assert len(notices(fresh_engine)) == 3
    with Session(fresh_engine) as s:
        assert len(s.exec(select(Notification)).all()) == 6
        assert {k.kpi for k in s.exec(select(KpiSnapshot))} == {"10", "11", "12", "SPU"}


@pytest.mark.asyncio
async def test_schedule_is_created_once_then_updated(temporal_env):
    client = temporal_env.client
    settings = Settings(task_queue=f"sweep-{uuid.uuid4()}")
    # The session's dev server is shared: a worker started by another test may have created it.
    try:
        await client.get_schedule_handle(SCHEDULE_ID).delete()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
    try:
        assert await ensure_sweep_schedule(client, settings) == "created"
        assert await ensure_sweep_schedule(client, settings, hour_utc=3) == "updated"
        described = await client.get_schedule_handle(SCHEDULE_ID).describe()
        assert described.schedule.action.workflow == "CertificationSweepWorkflow"
        assert described.schedule.spec.calendars[0].hour[0].start == 3
    finally:
        await client.get_schedule_handle(SCHEDULE_ID).delete()
