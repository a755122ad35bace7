"""KPI 12 on a hand-computed register (requirements.md §7.3, role matrix §6.3)."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from store.kpi.kpi12 import compute_kpi12
from store.kpi.periods import parse_period
from tests.kpi import factories as f

Q1 = parse_period("2026-Q1")  # reporting date 2026-03-31
LONG = date(2028, 12, 31)
OLD = date(2024, 1, 1)


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        f.team(s, "T1", leader="S1", members=["S2", "S3"])
        f.team(s, "T2", situation="Orlan", leader="S5", members=["S4", "S6"])
        # S1: certificate expiring ON the reporting date still counts.
        f.staff(s, "S1", ["team_leader"])
        f.cert(s, "S1", "SGBC_BASIC", OLD, date(2026, 3, 31))
        f.cert(s, "S1", "CAC_BASIC", OLD, LONG)
        # S2: two roles (investigator, note-taker); SGBC_ADV satisfies SGBC_BASIC.
        f.staff(s, "S2", ["investigator", "note_taker"])
        f.cert(s, "S2", "SGBC_ADV", OLD, LONG)
        f.cert(s, "S2", "CAC_BASIC", OLD, LONG)
        # S3: interpreter AND focal point: the focal point needs the real SGBC_BASIC (briefing not enough),
        # which expired the day before; CAC_ADV covers CAC_BASIC and "one of the two ADV".
        f.staff(s, "S3", ["interpreter", "focal_point"])
        f.briefing(s, "S3", "SGBC", OLD, LONG)
        f.cert(s, "S3", "SGBC_BASIC", OLD, date(2026, 3, 30))
        f.cert(s, "S3", "CAC_ADV", OLD, LONG)
        # S4: interpreter: a briefing substitutes for SGBC_BASIC.
        f.staff(s, "S4", ["interpreter"])
        f.briefing(s, "S4", "SGBC", OLD, LONG)
        f.cert(s, "S4", "CAC_BASIC", OLD, LONG)
        # S5: investigator interviewing SGBC survivors: SGBC_ADV required, only BASIC held.
        f.staff(s, "S5", ["investigator"], designations=["interviews_sgbc_survivors"])
        f.cert(s, "S5", "SGBC_BASIC", OLD, LONG)
        f.cert(s, "S5", "CAC_BASIC", OLD, LONG)
        # S6: not a certifiable role.
        f.staff(s, "S6", ["gcu_reviewer"])
        # S7: analyst whose SGBC_BASIC was revoked in February.
        f.staff(s, "S7", ["analyst"])
        f.cert(s, "S7", "SGBC_BASIC", OLD, LONG, revoked_at=datetime(2026, 2, 1, tzinfo=UTC))
        f.cert(s, "S7", "CAC_BASIC", OLD, LONG)
        # S8: trial lawyer certified only after the reporting date.
        f.staff(s, "S8", ["trial_lawyer"])
        f.cert(s, "S8", "SGBC_BASIC", date(2026, 4, 1), LONG)
        f.cert(s, "S8", "CAC_BASIC", date(2026, 4, 1), LONG)
        s.commit()
        yield s


def rows(result, name):
    return {r.key: (r.numerator, r.denominator) for r in result.breakdowns[name]}


def test_certified_staff_on_the_reporting_date(session):
    result = compute_kpi12(session=session, period=Q1)
    assert (result.numerator, result.denominator) == (3, 7)  # S1, S2, S4 of S1-S5, S7, S8
    assert result.definition["reporting_date"] == "2026-03-31"
    assert result.status == "not met"


def test_levels_and_areas_are_reported_separately(session):
    result = compute_kpi12(session=session, period=Q1)
    assert rows(result, "level") == {"basic": (4, 7), "advanced": (1, 2)}
    assert rows(result, "area") == {"SGBC": (3, 7), "CAC": (6, 7)}


def test_per_certification_and_per_role(session):
    result = compute_kpi12(session=session, period=Q1)
    assert rows(result, "certification") == {
        "SGBC_BASIC": (3, 6),
        "SGBC_ADV": (0, 1),
        "CAC_BASIC": (6, 7),
        "CAC_ADV": (0, 0),
        "SGBC_ADV|CAC_ADV": (1, 1),
    }
    assert rows(result, "role") == {
        "analyst": (0, 1),
        "focal_point": (0, 1),
        "interpreter": (1, 2),
        "investigator": (1, 2),
        "note_taker": (1, 1),
        "team_leader": (1, 1),
        "trial_lawyer": (0, 1),
    }


def test_per_team_situation_and_filters(session):
    result = compute_kpi12(session=session, period=Q1)
    assert rows(result, "team") == {"T1": (2, 3), "T2": (1, 2)}
    assert rows(result, "situation") == {"Velmora": (2, 3), "Orlan": (1, 2)}
    t1 = compute_kpi12(session=session, period=Q1, team_id="T1")
    assert (t1.numerator, t1.denominator) == (2, 3)
    orlan = compute_kpi12(session=session, period=Q1, situation="Orlan")
    assert (orlan.numerator, orlan.denominator) == (1, 2)


def test_expired_certificate_counts_as_not_held_the_next_quarter(session):
    result = compute_kpi12(session=session, period=parse_period("2026-Q2"))
    # S1's SGBC_BASIC has lapsed; S8 now holds both.
    assert (result.numerator, result.denominator) == (3, 7)
    assert rows(result, "role")["team_leader"] == (0, 1)
    assert rows(result, "role")["trial_lawyer"] == (1, 1)
