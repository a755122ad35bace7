"""KPI 10 write-time facts (relevance, dates), backfill, and stored snapshots with trends."""

from datetime import date

import pytest
from sqlmodel import Session, select

from models.kpi_tables import KpiSnapshot, ProductFacts
from store.kpi.facts import backfill_product_facts
from store.kpi.periods import parse_period
from store.kpi.report import compute_kpis
from store.kpi.snapshots import save_snapshots, trend
from tests.kpi import factories as f


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        yield s


def facts(s, product_id):
    return s.exec(select(ProductFacts).where(ProductFacts.product_id == product_id)).one()


def test_relevance_and_reference_dates(session):
    f.version(
        session, "IO-1", "IO", "T1", date(2026, 1, 3), **f.io_groups(date(2026, 1, 9), age=16, sgbc_survivor=False)
    )
    f.version(
        session,
        "MP-1",
        "MP",
        "T1",
        date(2026, 1, 3),
        mission={"start": "2026-01-20", "end": "2026-01-25"},
        witnesses=[{"age": 30, "sgbc_survivor": False}, {"age": 30, "sgbc_survivor": True}],
    )
    f.version(session, "CH-1", "CH", "T1", date(2026, 1, 3), counts=[{"no": 1, "crime": "murder", "is_cac": True}])
    f.version(session, "CH-2", "CH", "T1", date(2026, 1, 3), counts=[], matcher=lambda v: True)
    f.version(session, "GA-1", "GA", "T1", date(2026, 1, 3))
    io = facts(session, "IO-1")
    assert (io.relevant, io.execution_date, io.reference_date, io.late) == (
        True,
        date(2026, 1, 9),
        date(2026, 1, 9),
        False,
    )
    mp = facts(session, "MP-1")
    assert (mp.relevant, mp.reference_date) == (True, date(2026, 1, 20))
    assert facts(session, "CH-1").relevant and facts(session, "CH-2").relevant
    assert facts(session, "CH-2").relevance_reason == "R_* trigger in the trigger text"
    ga = facts(session, "GA-1")
    assert (ga.relevant, ga.reference_date) == (False, date(2026, 1, 3))


def test_backfill_records_versions_without_facts(session):
    v = f.version(session, "IP-1", "IP", "T1", date(2026, 1, 3))
    session.delete(facts(session, "IP-1"))
    session.flush()
    assert backfill_product_facts(session=session, trigger_matcher=lambda v: False) == 1
    assert facts(session, "IP-1").version_id == v.id
    assert backfill_product_facts(session=session) == 0


def test_snapshots_overwrite_the_same_day_and_form_a_trend(session):
    f.version(session, "IP-1", "IP", "T1", date(2026, 1, 3))
    for label, day in (("2026-Q1", date(2026, 3, 31)), ("2026-Q2", date(2026, 6, 30))):
        results = compute_kpis(session=session, today=day, period=parse_period(label))
        save_snapshots(session=session, results=results, taken_on=day)
        save_snapshots(session=session, results=results, taken_on=day)
    assert len(session.exec(select(KpiSnapshot)).all()) == 8  # KPIs 10-12 and the SPU indicator, two periods
    series = trend(session=session, kpi="10")
    assert [(p.period_label, p.numerator, p.denominator) for p in series] == [("2026-Q1", 0, 1), ("2026-Q2", 0, 0)]
