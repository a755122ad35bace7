"""KPI 10 on a hand-computed quarter (requirements.md §7.1), on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlmodel import Session

from store.kpi.config import Kpi10Config
from store.kpi.kpi10 import compute_kpi10
from store.kpi.periods import parse_period
from tests.kpi import factories as f

Q1 = parse_period("2026-Q1")


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as session:
        _dataset(session)
        session.commit()
        yield session


def _dataset(s: Session) -> None:
    # T-A: an IP and an IO, both decided in time -> all engaged.
    v = f.version(s, "A-IP", "IP", "T-A", date(2026, 1, 10))
    f.decide(s, v, "approve", f.at(date(2026, 1, 20)))
    v = f.version(s, "A-IO", "IO", "T-A", date(2026, 2, 1), **f.io_groups(date(2026, 2, 15)))
    f.decide(s, v, "return", f.at(date(2026, 2, 15), hour=23))  # on the interview day: still in time
    # T-B: an IO decided after the interview, and a late IO (submitted on its interview day).
    v = f.version(
        s, "B-IO1", "IO", "T-B", date(2026, 2, 1), **f.io_groups(date(2026, 2, 10), age=12, sgbc_survivor=False)
    )
    f.decide(s, v, "approve", f.at(date(2026, 2, 11)))
    v = f.version(s, "B-IO2", "IO", "T-B", date(2026, 3, 5), **f.io_groups(date(2026, 3, 5)))
    f.decide(s, v, "approve", f.at(date(2026, 3, 5)))
    # T-C: nothing relevant (GA, IO of an adult non-survivor, CS without SGBC/CAC counts, MP without sensitive witness).
    f.version(s, "C-GA", "GA", "T-C", date(2026, 1, 5))
    f.version(s, "C-IO", "IO", "T-C", date(2026, 1, 5), **f.io_groups(date(2026, 1, 20), age=40, sgbc_survivor=False))
    f.version(s, "C-CS", "CS", "T-C", date(2026, 1, 5), counts=[{"no": 1, "crime": "murder", "status": "charged"}])
    f.version(
        s,
        "C-MP",
        "MP",
        "T-C",
        date(2026, 1, 5),
        mission={"start": "2026-02-01", "end": "2026-02-05"},
        witnesses=[{"age": 35, "sgbc_survivor": False}],
    )
    # T-D: an IP reviewed after the quarter; an MP executed in Q2 (not in Q1).
    v = f.version(s, "D-IP", "IP", "T-D", date(2026, 3, 20))
    f.decide(s, v, "return", f.at(date(2026, 4, 10)))
    f.version(
        s,
        "D-MP",
        "MP",
        "T-D",
        date(2026, 3, 1),
        mission={"start": "2026-04-05", "end": "2026-04-09"},
        witnesses=[{"age": 15, "sgbc_survivor": False}],
    )
    # T-E: two versions of one CS with an SGBC count, counted once; the later version was decided.
    f.version(s, "E-CS", "CS", "T-E", date(2026, 1, 5), counts=[{"no": 1, "crime": "rape", "status": "charged"}])
    v = f.version(s, "E-CS", "CS", "T-E", date(2026, 2, 10), counts=[{"no": 1, "crime": "rape", "status": "charged"}])
    f.decide(s, v, "return", f.at(date(2026, 2, 15)))
    # T-F (another situation): an AP whose only decision is an escalation.
    v = f.version(s, "F-AP", "AP", "T-F", date(2026, 2, 2), situation="Orlan")
    f.decide(s, v, "escalate", f.at(date(2026, 2, 3)))


def test_team_with_no_relevant_product_is_not_in_the_denominator(session):
    result = compute_kpi10(session=session, period=Q1)
    teams = {row.key for row in result.breakdowns["team"]}
    assert "T-C" not in teams
    assert teams == {"T-A", "T-B", "T-D", "T-E", "T-F"}
    assert (result.numerator, result.denominator) == (3, 5)
    assert result.value == pytest.approx(0.6)
    assert result.status == "not met" and result.target == 1.0


def test_product_level_rate_and_late_products(session):
    result = compute_kpi10(session=session, period=Q1)
    assert result.details["relevant_products"] == 7
    assert result.details["engaged_products"] == 4
    assert [p["product_id"] for p in result.details["late_products"]] == ["B-IO2"]
    by_team = {row.key: (row.numerator, row.denominator) for row in result.breakdowns["team"]}
    assert by_team == {"T-A": (2, 2), "T-B": (0, 2), "T-D": (1, 1), "T-E": (1, 1), "T-F": (0, 1)}


def test_product_reviewed_after_its_period_counts_unless_a_cutoff_is_configured(session):
    default = compute_kpi10(session=session, period=Q1)
    assert {r.key: r.numerator for r in default.breakdowns["team"]}["T-D"] == 1
    strict = compute_kpi10(session=session, period=Q1, config=Kpi10Config(decision_cutoff_days_after_period=0))
    assert {r.key: r.numerator for r in strict.breakdowns["team"]}["T-D"] == 0
    assert (strict.numerator, strict.denominator) == (2, 5)
    assert strict.definition["decision_cutoff_days_after_period"] == 0


def test_product_belongs_to_the_period_of_its_execution_date(session):
    q2 = compute_kpi10(session=session, period=parse_period("2026-Q2"))
    # D-MP (mission in April, never reviewed) is Q2's only relevant product, so T-D fails Q2.
    assert {r.key: (r.numerator, r.denominator) for r in q2.breakdowns["team"]} == {"T-D": (0, 1)}


def test_situation_and_team_filters(session):
    result = compute_kpi10(session=session, period=Q1)
    by_situation = {r.key: (r.numerator, r.denominator) for r in result.breakdowns["situation"]}
    assert by_situation == {"Velmora": (3, 4), "Orlan": (0, 1)}
    only_b = compute_kpi10(session=session, period=Q1, team_id="T-B")
    assert (only_b.numerator, only_b.denominator, only_b.scope) == (0, 1, "team:T-B")
    orlan = compute_kpi10(session=session, period=Q1, situation="Orlan")
    assert (orlan.numerator, orlan.denominator) == (0, 1)


def test_empty_period_has_no_data(session):
    result = compute_kpi10(session=session, period=parse_period("2025-Q1"))
    assert (result.numerator, result.denominator, result.value, result.status) == (0, 0, None, "no data")
