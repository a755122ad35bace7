"""The gap report aggregated by the database (store/cert_gaps.py) answers exactly as the Python
evaluation it replaced (bench/gaps_reference.py: one object per record, classified and chosen in Python),
on a generated register with every kind of record, on SQLite and PostgreSQL."""

import datetime as dt
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bench.gaps_reference import python_gap_report
from bench.register_data import seed_varied_register
from models.tables import Certification, TeamMember
from service.demo import import_demo_roster
from store.cert_gaps import PersonGaps, count_people, gap_figures, gap_overview, gap_report

ON = dt.date(2026, 12, 3)


def _dump(report: list[PersonGaps]) -> list[dict]:
    return [p.model_dump(mode="json") for p in report]


@pytest.fixture
def register(fresh_engine):
    import_demo_roster(fresh_engine)
    ids = seed_varied_register(fresh_engine, 1000, on=ON, seed=7)
    # Some of them in a second team, for the reports' teams and the per-team figures.
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.insert(TeamMember),
            [
                {"team_id": "T-KESTREL", "staff_id": staff_id, "position": 5000 + n}
                for n, staff_id in enumerate(ids[:80])
            ],
        )
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


def _reference_figures(report: list[PersonGaps], teams: list[str] | None) -> dict:
    by_requirement = Counter((gap.requirement, gap.status) for person in report for gap in person.gaps)
    by_team = Counter(team for person in report for team in person.teams if teams is None or team in teams)
    return {
        "people": len(report),
        "by_requirement": [
            {"requirement": requirement, "status": status, "people": n}
            for (requirement, status), n in sorted(by_requirement.items())
        ],
        "by_team": [{"team_id": team, "people": n} for team, n in sorted(by_team.items())],
    }


@pytest.mark.parametrize("on,window", [(ON, 90), (ON, 0), (ON + timedelta(days=1), 365)])
def test_the_figures_are_the_reference_report_counted(register, on, window):
    """People with gaps, per requirement and status, per team: counted by the database, equal to
    counting the Python report's entries (a person in two teams counts in both)."""
    session, _ids = register
    for team in (None, "T-HERON", "T-KESTREL"):
        expected = python_gap_report(session=session, on=on, expiring_within=window, team_id=team)
        figures = gap_figures(session=session, on=on, expiring_within=window, team_id=team)
        assert figures.model_dump() == _reference_figures(expected, None if team is None else [team]), team
        assert figures.people == count_people(session=session, on=on, expiring_within=window, team_id=team)
    # Two teams: their people once in `people`, and in each of their teams (the demo roster has
    # people in both).
    teams = ["T-HERON", "T-KESTREL"]
    whole = python_gap_report(session=session, on=on, expiring_within=window)
    expected = [
        person.model_copy(update={"teams": sorted(set(teams) & set(person.teams))})
        for person in whole
        if set(teams) & set(person.teams)
    ]
    assert any(len(person.teams) == 2 for person in expected)
    figures = gap_figures(session=session, on=on, expiring_within=window, team_ids=teams)
    assert figures.model_dump() == _reference_figures(expected, teams)


def test_a_page_of_the_report_is_the_reference_report_cut(register):
    """Only a page's people become objects, and they are the reference report's, in its order."""
    session, _ids = register
    for options in ({}, {"only_with_gaps": False}, {"team_id": "T-HERON"}, {"team_ids": ["T-HERON", "T-KESTREL"]}):
        if "team_ids" in options:
            # The reference takes one team: the whole register's, kept to these teams' people, each
            # once with their teams among these.
            teams = set(options["team_ids"])
            expected = [
                {**person, "teams": sorted(teams & set(person["teams"]))}
                for person in _dump(python_gap_report(session=session, on=ON))
                if teams & set(person["teams"])
            ]
            assert any(len(person["teams"]) == 2 for person in expected)
        else:
            expected = _dump(python_gap_report(session=session, on=ON, **options))
        total = count_people(session=session, on=ON, **options)
        assert total == len(expected), options
        for limit, offset in ((100, 0), (100, 250), (7, 3), (50, total - 10), (50, total), (1, total - 1)):
            got = _dump(gap_report(session=session, on=ON, limit=limit, offset=offset, **options))
            assert got == expected[offset : offset + limit], (options, limit, offset)
            if options.get("only_with_gaps", True) and "team_id" not in options:
                # What the pages call: the same page, and the figures, judged once.
                figures, people = gap_overview(session=session, on=ON, limit=limit, offset=offset, **options)
                assert _dump(people) == expected[offset : offset + limit], (options, limit, offset)
                assert figures == gap_figures(session=session, on=ON, **options)


def test_nobody_in_scope_is_an_empty_report(register):
    session, _ids = register
    assert gap_report(session=session, on=ON, team_id="T-NONE") == []
    assert gap_report(session=session, on=ON, team_id="T-NONE", limit=10) == []
    assert gap_figures(session=session, on=ON, team_id="T-NONE").model_dump() == {
        "people": 0,
        "by_requirement": [],
        "by_team": [],
    }


def test_a_kept_overview_follows_every_change_to_the_register(register):
    """gap_overview is kept per register revision (store/register_cache.py): asked again with the
    register unchanged it answers the same without judging again; once a certificate is added, the
    next call shows it. Callers get copies: changing one does not change the next answer."""
    session, ids = register
    figures, people = gap_overview(session=session, on=ON, limit=20)
    people[0].gaps.clear()
    figures.people = -1
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        again_figures, again_people = gap_overview(session=session, on=ON, limit=20)
        assert statements and not any("certification" in s for s in statements), "judged again, register unchanged"
        assert again_figures == gap_figures(session=session, on=ON)
        assert again_people[0].gaps

        # Someone missing CAC_BASIC gets it: their gap goes at once.
        person = next(
            p for p in again_people if any(g.requirement == "CAC_BASIC" and g.status == "missing" for g in p.gaps)
        )
        session.add(
            Certification(
                staff_id=person.staff_id,
                cert="CAC_BASIC",
                issued=ON - timedelta(days=10),
                expires=ON + timedelta(days=900),
            )
        )
        session.commit()
        _, after = gap_overview(session=session, on=ON, limit=20)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    gaps_after = {p.staff_id: p.gaps for p in after}
    assert not any(g.requirement == "CAC_BASIC" for g in gaps_after.get(person.staff_id, []))
    assert _dump(after) == _dump(gap_report(session=session, on=ON, limit=20))


def test_teams_holding_most_of_the_register_read_every_record_and_small_teams_only_theirs(register):
    """Both ways of reading the records are exercised above (T-HERON holds most of the generated
    register, T-KESTREL a few); this pins which team takes which."""
    from store.cert_gaps import _scope_of

    session, _ids = register
    heron, kestrel = _scope_of(session, "T-HERON", None, None), _scope_of(session, "T-KESTREL", None, None)
    assert heron.most_of_register and heron.people() is None
    assert not kestrel.most_of_register and kestrel.people() is not None
    assert _scope_of(session, "T-HERON", None, "GEN-7-000001").people() is not None  # one person: theirs
