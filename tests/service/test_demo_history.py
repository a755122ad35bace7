"""The demo's year of history (service/demo_history.py): closed reviews across the last four
quarters and the current one, so every KPI and trend of the dashboard has values on a first start,
written with an intact audit chain, and written once."""

import datetime as dt

import pytest
from sqlmodel import Session, select

from models.tables import Certification, Decision, Review
from service.demo import import_demo_roster
from service.demo_history import quarter_starts, seed_history
from settings import Settings
from store.audit import verify_chain
from store.db import make_engine, migrate
from store.kpi.cluster import cluster_kpis

TODAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    url = f"sqlite:///{tmp / 'demo.db'}"
    migrate(url)
    engine = make_engine(url)
    import_demo_roster(engine)
    settings = Settings(
        environment="development", database_url=url, var_dir=tmp, secret_key="test-secret-key-demo-history"
    )
    made = seed_history(db_engine=engine, settings=settings, today=TODAY)
    return engine, settings, made


def test_the_four_quarters_before_today_are_the_history(seeded):
    assert quarter_starts(TODAY) == [
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 7, 1),
    ]


def test_every_kpi_and_every_trend_period_has_values(seeded):
    engine, _settings, made = seeded
    assert len(made) == 30  # six products in each of five quarters (the current one too)
    with Session(engine) as session:
        for team_ids in (None, frozenset({"T-HERON", "T-KESTREL"})):
            kpis = {k.result.kpi: k for k in cluster_kpis(session=session, today=TODAY, team_ids=team_ids)}
            assert kpis["10"].value is not None and all(v is not None for _p, v in kpis["10"].trend), kpis["10"].trend
            assert kpis["12"].value is not None and all(v is not None for _p, v in kpis["12"].trend)
            assert kpis["11"].value is not None and kpis["11"].denominator > 0


def test_history_has_returns_late_decisions_withdrawals_and_renewals(seeded):
    engine, _settings, made = seeded
    with Session(engine) as session:
        reviews = session.exec(select(Review).where(Review.product_id.in_(made))).all()
        assert {r.state for r in reviews} == {"approved", "withdrawn"}
        returns = session.exec(
            select(Decision).where(Decision.decision == "return", Decision.product_id.in_(made))
        ).all()
        assert returns and all(d.reason for d in returns)
        approvals = {d.product_id: d for d in session.exec(select(Decision).where(Decision.decision == "approve"))}
        late = [r for r in reviews if r.state == "approved" and approvals[r.product_id].decided_at > r.due_at]
        assert late, "some reviews were decided after their due date"
        assert all(d.decided_at.date() < TODAY for d in approvals.values())
        assert session.exec(select(Certification).where(Certification.source == "demo")).first() is not None
        assert verify_chain(session=session).ok


def test_a_second_start_writes_nothing_again(seeded):
    engine, settings, _made = seeded
    assert seed_history(db_engine=engine, settings=settings, today=TODAY) == []
