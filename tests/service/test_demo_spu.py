"""The SPU demo (service/demo_spu.py): interview records submitted through the real workflow and
pre-check give the SPU indicator the planned values; seeding again submits nothing."""

import datetime as dt
import uuid

import pytest
from sqlmodel import Session

from service.demo import import_demo_roster
from service.demo_spu import (
    SPU_ACCOUNTS,
    drive_spu_reviews,
    planned_records,
    seed_interview_records,
    seed_spu_accounts,
)
from settings import Settings
from store.db import make_engine
from store.kpi.periods import parse_period
from store.kpi.spu import compute_spu_indicator
from tests.dbutil import database_kinds, fresh_database
from worker import build_worker

QUARTER = parse_period("2026-Q1")
TODAY = QUARTER.start + dt.timedelta(days=60)


def test_the_plan_varies_witnesses_support_and_filing_delay():
    plan = planned_records(dt.date(2026, 12, 3))
    assert {kind for _pid, _t, kind, *_ in plan} == {0, 1, 2, 3}
    assert len({pid for pid, *_ in plan}) == len(plan)
    assert all(on < dt.date(2026, 12, 3) for *_, on in plan)
    assert any((on - recorded).days > 14 for *_, recorded, on in plan)


@pytest.mark.parametrize("kind", database_kinds())
async def test_seeded_interview_records_give_the_planned_spu_indicator(kind, temporal_env, tmp_path):
    with fresh_database(kind, tmp_path) as url:
        settings = Settings(
            database_url=url,
            temporal_address=temporal_env.client.service_client.config.target_host,
            task_queue=f"demo-spu-{uuid.uuid4().hex[:8]}",
            var_dir=tmp_path,
        )
        engine = make_engine(url)
        try:
            import_demo_roster(engine)
            suffix = f"-{uuid.uuid4().hex[:4].upper()}"
            async with build_worker(temporal_env.client, settings):
                submitted = await seed_interview_records(
                    db_engine=engine,
                    client=temporal_env.client,
                    settings=settings,
                    today=TODAY,
                    quarters=1,
                    id_suffix=suffix,
                )
                again = await seed_interview_records(
                    db_engine=engine,
                    client=temporal_env.client,
                    settings=settings,
                    today=TODAY,
                    quarters=1,
                    id_suffix=suffix,
                )
                # The records filed more than 30 days before are reviewed by the SPU officer.
                driven = await drive_spu_reviews(
                    db_engine=engine, client=temporal_env.client, today=TODAY, quarters=1, id_suffix=suffix
                )
            assert len(submitted) == 6 and again == []
            assert driven == {
                f"IR-HERON-2026Q1-01{suffix}": "approved",  # clean
                f"IR-KESTREL-2026Q1-01{suffix}": "escalated",  # STAFF-02: interviewer without SGBC_ADV
                f"IR-OSPREY-2026Q1-01{suffix}": "dismissed and approved",
            }  # VUL-IR-04 dismissed
            with Session(engine) as session:
                r = compute_spu_indicator(session=session, period=QUARTER)
            # Per team (n=0, n=1): Heron child survivor + adult survivor, both supported; Kestrel adult
            # survivor (supported) + deaf adult (none); Osprey deaf adult (none, VUL-IR-04 dismissed:
            # counts) + adult not vulnerable.
            assert (r.numerator, r.denominator, r.details["not_vulnerable_records"]) == (4, 5, 1)
            assert [(b.key, b.numerator, b.denominator) for b in r.breakdowns["team"]] == [
                ("T-HERON", 2, 2),
                ("T-KESTREL", 1, 2),
                ("T-OSPREY", 1, 1),
            ]
            assert [x["product_id"] for x in r.details["late_records"]] == [f"IR-HERON-2026Q1-02{suffix}"]
            assert seed_spu_accounts(db_engine=engine)[0][0] == SPU_ACCOUNTS[0][0]
        finally:
            engine.dispose()
