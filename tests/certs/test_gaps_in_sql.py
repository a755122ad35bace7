"""The gap report aggregated by the database (store/cert_gaps.py) answers exactly as the Python
evaluation it replaced (bench/gaps_reference.py: one object per record, classified and chosen in Python),
on a generated register with every kind of record, on SQLite and PostgreSQL."""

import datetime as dt
from datetime import timedelta

import pytest
from sqlmodel import Session

from bench.gaps_reference import python_gap_report
from bench.register_data import seed_varied_register
from service.demo import import_demo_roster
from store.cert_gaps import PersonGaps, gap_report

ON = dt.date(2026, 12, 3)


def _dump(report: list[PersonGaps]) -> list[dict]:
    return [p.model_dump(mode="json") for p in report]


@pytest.fixture
def register(fresh_engine):
    import_demo_roster(fresh_engine)
    ids = seed_varied_register(fresh_engine, 1000, on=ON, seed=7)
    with Session(fresh_engine) as session:
        yield session, ids


@pytest.mark.parametrize(
    "on,window", [(ON, 90), (ON, 0), (ON - timedelta(days=1), 30), (ON + timedelta(days=1), 365), (ON, 3650)]
)
def test_the_sql_gap_report_matches_the_python_one(register, on, window):
    session, _ids = register
    for options in ({}, {"only_with_gaps": False}, {"team_id": "T-HERON"}, {"team_id": "T-KESTREL"}):
        expected = _dump(python_gap_report(session=session, on=on, expiring_within=window, **options))
        got = _dump(gap_report(session=session, on=on, expiring_within=window, **options))
        assert got == expected, (options, next((g, e) for g, e in zip(got, expected, strict=False) if g != e))
        if not options:  # the generated register reaches every status a gap can have
            statuses = {gap["status"] for person in expected for gap in person["gaps"]}
            assert statuses == {"missing", "expired", "not_yet_valid", "revoked", "expiring"}


def test_the_sql_gap_report_matches_for_one_person(register):
    session, ids = register
    for staff_id in ids[:40]:
        assert _dump(gap_report(session=session, on=ON, staff_id=staff_id, only_with_gaps=False)) == _dump(
            python_gap_report(session=session, on=ON, staff_id=staff_id, only_with_gaps=False)
        )
