"""KPI 11 on a hand-computed register of charge units (requirements.md §7.2)."""

from datetime import date

import pytest
from sqlmodel import Session

from store.kpi.config import Kpi11Config
from store.kpi.kpi11 import compute_kpi11
from store.kpi.periods import parse_period
from tests.kpi import factories as f

YEAR = parse_period("2026")
FILED = date(2026, 3, 1)


@pytest.fixture
def session(fresh_engine):
    with Session(fresh_engine, expire_on_commit=False) as s:
        u1 = f.unit(s, "u1", "AWA", "granted", FILED, sgbc=True)
        u2 = f.unit(s, "u2", "AWA", "granted", FILED, cac=True)
        f.unit(s, "u3", "AWA", "declined", FILED, sgbc=True, cac=True)
        f.unit(s, "u4", "AWA", "withdrawn", FILED, sgbc=True)
        f.unit(s, "u5", "AWA", "pending", FILED, sgbc=True)
        d1 = f.unit(s, "d1", "DCC", "granted", FILED, sgbc=True, prev=u1.id)
        d2 = f.unit(s, "d2", "DCC", "granted", FILED, sgbc=True)
        d3 = f.unit(s, "d3", "DCC", "recharacterised", FILED, cac=True, prev=u2.id)
        f.unit(s, "d4", "DCC", "granted", FILED, sgbc=True, basis="underlying_conduct", team_id="T2")
        f.unit(s, "t1", "TRIAL", "recharacterised", FILED, sgbc=True, prev=d1.id)
        f.unit(s, "t2", "TRIAL", "withdrawn", FILED, sgbc=True, prev=d2.id)
        f.unit(s, "t3", "TRIAL", "granted", FILED, cac=True, prev=d3.id)
        f.unit(s, "x1", "AWA", "granted", date(2025, 12, 20), sgbc=True)  # filed the year before
        f.unit(s, "n1", "DCC", "granted", FILED)  # neither SGBC nor CAC
        s.commit()
        yield s


def stage(result, flag):
    return {
        r.key: (r.extra["presented"], r.numerator, r.denominator, r.extra["withdrawn"], r.extra["undecided"])
        for r in result.breakdowns[f"stage_{flag}"]
    }


def test_sgbc_per_stage_withdrawn_and_recharacterised_counts(session):
    result = compute_kpi11(session=session, period=YEAR)
    # (presented net of withdrawals, granted, decided, withdrawn, undecided)
    assert stage(result, "SGBC") == {"AWA": (3, 1, 2, 1, 1), "DCC": (3, 3, 3, 0, 0), "TRIAL": (1, 0, 1, 1, 0)}
    trial = next(r for r in result.breakdowns["stage_SGBC"] if r.key == "TRIAL")
    assert trial.value == 0.0 and trial.extra["recharacterised"] == 1


def test_cac_per_stage_and_a_count_in_both_flags(session):
    result = compute_kpi11(session=session, period=YEAR)
    assert stage(result, "CAC") == {"AWA": (2, 1, 2, 0, 0), "DCC": (1, 0, 1, 0, 0), "TRIAL": (1, 1, 1, 0, 0)}
    assert stage(result, "SGBC_or_CAC")["AWA"] == (4, 2, 3, 1, 1)  # u3 counted once


def test_headline_added_at_dcc_and_attrition(session):
    result = compute_kpi11(session=session, period=YEAR)
    assert (result.numerator, result.denominator) == (6, 9)
    assert result.details["added_at_dcc"] == {"SGBC": 2, "CAC": 0, "SGBC_or_CAC": 2}
    sgbc = {
        (a["from"], a["to"]): (a["units"], a["carried"]) for a in result.details["attrition"] if a["flag"] == "SGBC"
    }
    assert sgbc == {("AWA", "DCC"): (3, 1), ("DCC", "TRIAL"): (3, 2), ("TRIAL", "APPEAL"): (1, 0)}


def test_sgbc_definition_without_underlying_conduct(session):
    result = compute_kpi11(session=session, period=YEAR, config=Kpi11Config(include_underlying_conduct=False))
    assert stage(result, "SGBC")["DCC"] == (2, 2, 2, 0, 0)
    assert result.details["added_at_dcc"]["SGBC"] == 1
    assert result.definition["include_underlying_conduct"] is False


def test_team_breakdown_and_filter(session):
    result = compute_kpi11(session=session, period=YEAR)
    assert {r.key: (r.numerator, r.denominator) for r in result.breakdowns["team"]} == {"T1": (5, 8), "T2": (1, 1)}
    t2 = compute_kpi11(session=session, period=YEAR, team_id="T2")
    assert (t2.numerator, t2.denominator) == (1, 1)
