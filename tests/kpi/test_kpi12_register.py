"""KPI 12 judged by the database (store/kpi/kpi12.py) answers exactly as the role matrix read in
Python (store/role_matrix.py, one person at a time), on a generated register with every kind of
record (expired, revoked on the day, not yet valid, undated, briefings), for several reporting
dates in one statement, on SQLite and PostgreSQL; and the figures kept per register revision are
judged again as soon as the register changes."""

import datetime as dt
from collections import defaultdict
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bench.register_data import seed_varied_register
from models.tables import Briefing, Certification, Staff, Team, TeamMember
from service.demo import import_demo_roster
from store.kpi.kpi12 import compute_kpi12, compute_kpi12_periods
from store.kpi.periods import parse_period, range_period
from store.role_matrix import AREAS, Holdings, Level, meets_area, requirements_for, unmet
from store.role_matrix_sql import CERTIFIABLE

ON = dt.date(2026, 12, 3)
DATES = [ON, ON - timedelta(days=1), ON + timedelta(days=1), dt.date(2026, 9, 30), dt.date(2025, 12, 31)]


@pytest.fixture
def register(fresh_engine):
    import_demo_roster(fresh_engine)
    ids = seed_varied_register(fresh_engine, 800, on=ON, seed=12)
    with fresh_engine.begin() as conn:  # some in a second team, of another situation
        conn.execute(
            sa.insert(TeamMember),
            [{"team_id": "T-OSPREY", "staff_id": s, "position": 5000 + n} for n, s in enumerate(ids[:90])],
        )
    with Session(fresh_engine) as session:
        yield session


def _valid(issued, expires, on: dt.date) -> bool:
    return issued is not None and expires is not None and issued <= on <= expires


def _revoked_by(revoked_at, on: dt.date) -> bool:
    if revoked_at is None:
        return False
    revoked_at = revoked_at if revoked_at.tzinfo else revoked_at.replace(tzinfo=UTC)
    return revoked_at < dt.datetime(on.year, on.month, on.day, tzinfo=UTC) + timedelta(days=1)


def reference(session: Session, on: dt.date, team_id: str | None = None, situation: str | None = None) -> dict:
    """KPI 12's figures, one person at a time with the role matrix's own functions."""
    certs, briefed = defaultdict(set), defaultdict(set)
    for c in session.exec(select(Certification)):
        if _valid(c.issued, c.expires, on) and not _revoked_by(c.revoked_at, on):
            certs[c.staff_id].add(c.cert)
    for b in session.exec(select(Briefing)):
        if _valid(b.date, b.expires, on):
            briefed[b.staff_id].add(b.area)
    teams = {t.id: t for t in session.exec(select(Team).where(Team.active))}
    if team_id is not None:
        teams = {k: t for k, t in teams.items() if k == team_id}
    if situation is not None:
        teams = {k: t for k, t in teams.items() if t.situation == situation}
    staff_of = defaultdict(set)
    for t in teams.values():
        staff_of[t.id] |= {s for s in (t.leader_id, t.sgbc_focal_point_id, t.cac_focal_point_id) if s}
    for m in session.exec(select(TeamMember)):
        if m.team_id in teams:
            staff_of[m.team_id].add(m.staff_id)
    scoped = team_id is not None or situation is not None
    in_scope = set().union(*staff_of.values()) if scoped else None

    counts: dict[str, int] = defaultdict(int)
    met_of: dict[str, bool] = {}
    for person in session.exec(select(Staff).where(Staff.active)):
        req = requirements_for(person.roles, person.designations)
        if not req.certifiable or (in_scope is not None and person.id not in in_scope):
            continue
        held = Holdings.from_certs(certs[person.id], briefed[person.id])
        met = not unmet(req, held)
        met_of[person.id] = met
        levels = {area: req.level(area) for area in AREAS}
        basic_met = all(
            meets_area(Level.BASIC if level == Level.ADV else level, area, held) for area, level in levels.items()
        )
        adv_required = Level.ADV in levels.values() or req.any_adv
        adv_met = all(level != Level.ADV or area in held.adv for area, level in levels.items()) and (
            not req.any_adv or bool(held.adv)
        )

        def add(name: str, population: bool, satisfied: bool) -> None:
            counts[f"{name}_pop"] += population
            counts[f"{name}_met"] += population and satisfied

        add("all", True, met)
        add("basic", True, basic_met)
        add("advanced", adv_required, adv_met)
        for area, level in levels.items():
            area_met = meets_area(level, area, held)
            add(area, level > Level.NONE, area_met)
            add(f"{area}_BASIC", level in (Level.BASIC, Level.BASIC_OR_BRIEFING), area_met)
            add(f"{area}_ADV", level == Level.ADV, area_met)
        add("SGBC_ADV|CAC_ADV", req.any_adv and Level.ADV not in levels.values(), bool(held.adv))
        for role in CERTIFIABLE:
            add(f"role:{role}", role in person.roles, met)

    def per(groups: dict[str, set[str]]) -> dict:
        out = {}
        for key, people in sorted(groups.items()):
            counted = [met_of[s] for s in people if s in met_of]
            if counted:
                out[key] = (sum(counted), len(counted))
        return out

    by_situation = defaultdict(set)
    for t in teams.values():
        by_situation[t.situation or "-"] |= staff_of[t.id]
    return {
        "headline": (counts["all_met"], counts["all_pop"]),
        "level": {"basic": (counts["basic_met"], counts["all_pop"]), "advanced": pair(counts, "advanced")},
        "area": {area: pair(counts, area) for area in AREAS},
        "certification": {
            name: pair(counts, name) for name in ("SGBC_BASIC", "SGBC_ADV", "CAC_BASIC", "CAC_ADV", "SGBC_ADV|CAC_ADV")
        },
        "role": {role: pair(counts, f"role:{role}") for role in CERTIFIABLE if counts[f"role:{role}_pop"]},
        "team": per(staff_of),
        "situation": per(by_situation),
    }


def pair(counts: dict, name: str) -> tuple[int, int]:
    return counts[f"{name}_met"], counts[f"{name}_pop"]


def figures(result) -> dict:
    out = {"headline": (result.numerator, result.denominator)}
    for name, rows in result.breakdowns.items():
        out[name] = {r.key: (r.numerator, r.denominator) for r in rows}
    return out


def test_every_date_of_one_statement_matches_the_role_matrix_in_python(register):
    session = register
    periods = [range_period(dt.date(2020, 1, 1), on) for on in DATES]
    results = compute_kpi12_periods(session=session, periods=periods)
    assert [r.definition["reporting_date"] for r in results] == [on.isoformat() for on in DATES]
    for on, result in zip(DATES, results, strict=True):
        expected = reference(session, on)
        assert figures(result) == expected, on
        # and the same as judging that date alone
        assert figures(compute_kpi12(session=session, period=range_period(dt.date(2020, 1, 1), on))) == expected
    # The generated register is not trivial: some certified, some not, at every level.
    headline = figures(results[0])["headline"]
    assert 0 < headline[0] < headline[1]
    assert len({figures(r)["headline"] for r in results}) > 2
    assert set(figures(results[0])["team"]) == {"T-HERON", "T-KESTREL", "T-OSPREY"}


@pytest.mark.parametrize("scope", [{"team_id": "T-OSPREY"}, {"situation": "Situation in Velmora"}])
def test_a_team_or_a_situation_matches_the_reference(register, scope):
    session = register
    for on in DATES[:3]:
        result = compute_kpi12(session=session, period=range_period(dt.date(2020, 1, 1), on), **scope)
        assert figures(result) == reference(session, on, **scope), (scope, on)


def test_the_kept_figures_are_judged_again_when_the_register_changes(register):
    """Unchanged register: the same figures without judging again. A person added with their
    certificates (the database's triggers change the register's revision): the next call counts them."""
    session = register
    period = parse_period("2026-Q4")
    first = compute_kpi12(session=session, period=period, as_of=ON)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        again = compute_kpi12(session=session, period=period, as_of=ON)
        assert again == first
        assert statements and not any("FROM staff" in s for s in statements), "judged again, register unchanged"

        # A new analyst, with the two BASIC certificates the role asks for.
        session.add(Staff(id="GEN-NEW", name="New analyst", roles=["analyst"], designations=[], active=True))
        session.flush()  # the person before their records (no ORM relationship orders them)
        for cert in ("SGBC_BASIC", "CAC_BASIC"):
            session.add(
                Certification(
                    staff_id="GEN-NEW",
                    cert=cert,
                    issued=ON - timedelta(days=700),
                    expires=ON + timedelta(days=9),
                    source="import",
                )
            )
        session.commit()
        after = compute_kpi12(session=session, period=period, as_of=ON)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert (after.numerator, after.denominator) == (first.numerator + 1, first.denominator + 1)
    assert figures(after) == reference(session, ON)
