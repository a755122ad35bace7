"""Roster import: the register file becomes rows; re-import updates and never duplicates."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from models.roster import CertificationRecord, RosterStaff
from models.tables import Certification, Staff, Team, TeamMember
from store.db import session_scope
from store.roster_import import import_roster
from store.roster_view import roster_from_db
from tests.store.factories import load_of, small_roster

SAMPLE_ROSTERS = [
    Path("/work/shared/domain/samples/roster.yaml"),
    Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "roster.yaml",
]


def _import(engine, roster):
    with session_scope(engine) as session:
        return import_roster(session=session, load=load_of(roster))


def _count(engine, table) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _without_lines(roster):
    data = roster.model_dump(
        exclude={
            "teams": {"__all__": {"line"}},
            "staff": {"__all__": {"line"}},
            "certifications": {"__all__": {"line"}},
            "briefings": {"__all__": {"line"}},
        }
    )
    return {k: sorted(v, key=repr) for k, v in data.items()}


def test_first_import_creates_every_entry(fresh_engine):
    report = _import(fresh_engine, small_roster("A"))
    assert (report.teams.created, report.staff.created, report.certifications.created) == (1, 7, 3)
    assert report.problems == []
    assert _count(fresh_engine, TeamMember) == 2


def test_reimport_of_the_same_roster_changes_nothing(fresh_engine):
    _import(fresh_engine, small_roster("A"))
    report = _import(fresh_engine, small_roster("A"))
    assert (report.teams.created, report.staff.created, report.certifications.created) == (0, 0, 0)
    assert (report.teams.updated, report.staff.updated, report.certifications.updated) == (0, 0, 0)
    assert (report.teams.unchanged, report.staff.unchanged, report.certifications.unchanged) == (1, 7, 3)
    assert (_count(fresh_engine, Staff), _count(fresh_engine, Certification), _count(fresh_engine, TeamMember)) == (
        7,
        3,
        2,
    )


def test_reimport_updates_changed_entries_in_place(fresh_engine):
    _import(fresh_engine, small_roster("A"))
    changed = small_roster("A")
    changed.teams[0].leader = "A-02"
    changed.teams[0].members = ["A-11", "A-03", "A-GR"]
    changed.staff[2].roles = ["investigator", "analyst"]
    changed.certifications[0].expires = date(2028, 1, 1)
    report = _import(fresh_engine, changed)
    assert (report.teams.updated, report.staff.updated, report.certifications.updated) == (1, 1, 1)
    with session_scope(fresh_engine) as session:
        roster = roster_from_db(session=session)
    team = roster.team("A-TEAM")
    assert team.leader == "A-02"
    assert team.members == ["A-11", "A-03", "A-GR"]
    assert roster.person("A-03").roles == ["investigator", "analyst"]
    assert [c.expires for c in roster.certifications if c.staff_id == "A-01"] == [date(2028, 1, 1)]
    assert _count(fresh_engine, Certification) == 3


def test_staff_and_teams_left_out_of_a_reimport_are_deactivated_not_deleted(fresh_engine):
    _import(fresh_engine, small_roster("A"))
    report = _import(fresh_engine, small_roster("B"))
    assert (report.teams.deactivated, report.staff.deactivated) == (1, 7)
    with session_scope(fresh_engine) as session:
        roster = roster_from_db(session=session)
        assert session.get(Team, "A-TEAM").active is False
    assert {t.id for t in roster.teams} == {"B-TEAM"}
    assert all(s.id.startswith("B-") for s in roster.staff)
    assert all(c.staff_id.startswith("B-") for c in roster.certifications)


def test_the_register_read_back_is_the_roster_imported(fresh_engine):
    roster = small_roster("A")
    _import(fresh_engine, roster)
    with session_scope(fresh_engine) as session:
        assert _without_lines(roster_from_db(session=session)) == _without_lines(roster)


def test_entries_the_engine_ignores_are_reported_and_not_stored(fresh_engine):
    roster = small_roster("A")
    roster.certifications += [
        CertificationRecord(
            staff_id="A-01", cert="GENDER_101", issued=date(2024, 1, 1), expires=date(2027, 1, 1), line=40
        ),
        CertificationRecord(
            staff_id="NOBODY", cert="SGBC_BASIC", issued=date(2024, 1, 1), expires=date(2027, 1, 1), line=41
        ),
    ]
    report = _import(fresh_engine, roster)
    assert report.certifications.created == 3
    assert report.certifications.skipped == 2
    assert [(p.line, p.field) for p in report.problems] == [(40, "cert"), (41, "staff_id")]
    assert "NOBODY" in report.problems[1].message


def test_revoked_certificates_are_left_out_of_the_engine_register(fresh_engine):
    _import(fresh_engine, small_roster("A"))
    with session_scope(fresh_engine) as session:
        cert = session.exec(select(Certification).where(Certification.staff_id == "A-01")).one()
        cert.revoked_at = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(fresh_engine) as session:
        roster = roster_from_db(session=session)
    assert [c for c in roster.certifications if c.staff_id == "A-01"] == []
    report = _import(fresh_engine, small_roster("A"))
    assert report.certifications.created == 0, "a re-import must not resurrect a revoked certificate"


def test_an_email_entered_elsewhere_survives_a_roster_without_emails(fresh_engine):
    _import(fresh_engine, small_roster("A"))
    with session_scope(fresh_engine) as session:
        session.get(Staff, "A-01").email = "leader@example.org"
    report = _import(fresh_engine, small_roster("A"))
    assert report.staff.updated == 0
    with session_scope(fresh_engine) as session:
        assert session.get(Staff, "A-01").email == "leader@example.org"


def test_a_failed_import_leaves_nothing_behind(fresh_engine):
    roster = small_roster("A")
    roster.staff.append(RosterStaff(id="A-01", name="Duplicate that the parser would have dropped"))
    with pytest.raises(sa.exc.IntegrityError):  # two staff rows with one id: the whole import rolls back
        _import(fresh_engine, roster)
    assert (_count(fresh_engine, Staff), _count(fresh_engine, Team)) == (0, 0)


def test_the_sample_roster_imports_and_reads_back_unchanged(fresh_engine):
    rules_roster = pytest.importorskip("rules.roster")
    path = next((p for p in SAMPLE_ROSTERS if p.exists()), None)
    if path is None:
        pytest.skip("no sample roster.yaml available")
    load = rules_roster.load_roster(path)
    with session_scope(fresh_engine) as session:
        report = import_roster(session=session, load=load)
    assert report.staff.created == len(load.roster.staff)
    assert report.teams.created == len(load.roster.teams)
    with session_scope(fresh_engine) as session:
        again = import_roster(session=session, load=load)
    assert again.staff.unchanged == len(load.roster.staff)
    assert again.certifications.created == again.certifications.updated == 0
    with session_scope(fresh_engine) as session:
        stored = roster_from_db(session=session)
    staff_ids = {s.id for s in load.roster.staff}
    kept = load.roster.model_copy(
        update={
            "certifications": [
                c
                for c in load.roster.certifications
                if c.staff_id in staff_ids and c.cert in {"SGBC_BASIC", "SGBC_ADV", "CAC_BASIC", "CAC_ADV"}
            ]
        }
    )
    assert _without_lines(stored) == _without_lines(kept)


def test_the_report_reads_as_a_summary(fresh_engine):
    report = _import(fresh_engine, small_roster("A"))
    assert str(report) == (
        "teams: 1 created, 0 updated, 0 unchanged; staff: 7 created, 0 updated, 0 unchanged; "
        "certifications: 3 created, 0 updated, 0 unchanged; briefings: 0 created, 0 updated, 0 unchanged; "
        "0 problem(s)"
    )


def test_a_long_import_reports_its_progress_step_by_step(fresh_engine, monkeypatch):
    import store.roster_import as roster_import

    monkeypatch.setattr(roster_import, "PROGRESS_EVERY", 2)
    load = load_of(small_roster())
    told: list[tuple[str, int, int]] = []
    with session_scope(fresh_engine) as s:
        import_roster(session=s, load=load, progress=lambda step, done, total: told.append((step, done, total)))
    steps = {step for step, _d, _t in told}
    assert steps >= {"staff", "teams", "certifications"}
    for step in steps:
        mine = [(d, t) for s_, d, t in told if s_ == step]
        assert mine[-1][0] == mine[-1][1]  # each step ends at its total
        assert [d for d, _t in mine] == sorted(d for d, _t in mine)


def test_the_cli_draws_progress_only_on_a_terminal(tmp_path):
    import io

    from rich.console import Console

    from cli.common import StepProgress

    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    with StepProgress("importing roster.yaml", console=terminal) as progress:
        progress("staff", 3, 3)
    drawn = terminal.file.getvalue()
    assert "staff" in drawn and "3/3" in drawn
    assert StepProgress("x")._progress.disable  # pytest's stderr is no terminal
