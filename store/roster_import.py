"""Roster import (issue 3): the register file becomes Team, TeamMember, Staff, Certification and
Briefing rows. Re-importing updates rows in place and never duplicates them.

Runs inside the caller's transaction (use store.db.session_scope), so an import that fails leaves
nothing half-written. Entries the engine ignores anyway (product-format.md §9: a certificate with
an unknown `cert`, a record whose holder is not under `staff`) are reported and not stored, so that
`store.roster_view.roster_from_db` gives the engine the same register it would read from the file.
Teams and staff missing from a re-import are deactivated, not deleted: products, reviews and the
audit trail keep naming them.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models.enums import BriefingArea, CertType
from models.roster import RosterLoad, RosterProblem, RosterStaff, RosterTeam
from models.tables import Briefing, Certification, Staff, Team, TeamMember, utcnow

_CERT_TYPES = frozenset(c.value for c in CertType)
_AREAS = frozenset(a.value for a in BriefingArea)


class KindCounts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: int = 0


class ImportReport(BaseModel):
    teams: KindCounts = Field(default_factory=KindCounts)
    staff: KindCounts = Field(default_factory=KindCounts)
    certifications: KindCounts = Field(default_factory=KindCounts)
    briefings: KindCounts = Field(default_factory=KindCounts)
    problems: list[RosterProblem] = Field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for kind in ("teams", "staff", "certifications", "briefings"):
            c: KindCounts = getattr(self, kind)
            parts.append(
                f"{kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
                + (f", {c.deactivated} deactivated" if c.deactivated else "")
                + (f", {c.skipped} skipped" if c.skipped else "")
            )
        return "; ".join(parts) + f"; {len(self.problems)} problem(s)"

    def __str__(self) -> str:
        return self.summary()


def _apply(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _team_values(team: RosterTeam) -> dict[str, Any]:
    return {
        "name": team.name,
        "situation": team.situation,
        "leader_id": team.leader,
        "sgbc_focal_point_id": team.focal_points.sgbc,
        "cac_focal_point_id": team.focal_points.cac,
        "deputy_prosecutor_id": team.deputy_prosecutor,
        "active": True,
    }


def _staff_values(person: RosterStaff, existing: Staff | None) -> dict[str, Any]:
    return {
        "name": person.name,
        "gender": person.gender,
        "home_team_id": person.team,
        "roles": list(person.roles),
        "designations": list(person.designations),
        # An address entered elsewhere survives a roster that does not carry e-mail addresses.
        "email": person.email if person.email is not None or existing is None else existing.email,
        "active": True,
    }


def _count(counts: KindCounts, *, created: bool, changed: bool) -> None:
    if created:
        counts.created += 1
    elif changed:
        counts.updated += 1
    else:
        counts.unchanged += 1


# progress(step, done, total): told every PROGRESS_EVERY records of each step (a register of tens of
# thousands of people takes half a minute to import; the CLI shows it).
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500
T = TypeVar("T")


def _tracked(items: Iterable[T], progress: Progress | None, step: str) -> Iterator[T]:
    items = list(items)
    for done, item in enumerate(items, start=1):
        yield item
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(items)):
            progress(step, done, len(items))


def _import_teams(session: Session, load: RosterLoad, report: ImportReport, progress: Progress | None = None) -> None:
    existing = {t.id: t for t in session.exec(select(Team))}
    members: dict[str, list[TeamMember]] = {}
    for m in session.exec(select(TeamMember).order_by(col(TeamMember.position))):
        members.setdefault(m.team_id, []).append(m)
    for team in _tracked(load.roster.teams, progress, "teams"):
        known = existing.get(team.id)
        created = known is None
        row = known if known is not None else Team(id=team.id)
        if created:
            session.add(row)
        changed = _apply(row, _team_values(team))
        changed = _sync_members(session, row.id, team.members, members.get(team.id, [])) or changed
        _count(report.teams, created=created, changed=changed)
    listed = {t.id for t in load.roster.teams}
    for row in existing.values():
        if row.id not in listed and row.active:
            row.active = False
            report.teams.deactivated += 1


def _sync_members(session: Session, team_id: str, wanted: list[str], current: list[TeamMember]) -> bool:
    if [m.staff_id for m in current] == wanted:
        return False
    by_staff = {m.staff_id: m for m in current}
    for m in current:
        if m.staff_id not in wanted:
            session.delete(m)
    session.flush()
    for position, staff_id in enumerate(wanted):
        row = by_staff.get(staff_id)
        if row is None:
            session.add(TeamMember(team_id=team_id, staff_id=staff_id, position=position))
        else:
            row.position = position
    return True


def _import_staff(session: Session, load: RosterLoad, report: ImportReport, progress: Progress | None = None) -> None:
    existing = {s.id: s for s in session.exec(select(Staff))}
    for person in _tracked(load.roster.staff, progress, "staff"):
        row = existing.get(person.id)
        created = row is None
        if created:
            row = Staff(id=person.id)
            session.add(row)
        changed = _apply(row, _staff_values(person, None if created else row))
        _count(report.staff, created=created, changed=changed)
    listed = {s.id for s in load.roster.staff}
    for row in existing.values():
        if row.id not in listed and row.active:
            row.active = False
            report.staff.deactivated += 1
    session.flush()


def _skip(
    report: ImportReport, counts: KindCounts, file: str | None, line: int | None, field: str, message: str
) -> None:
    counts.skipped += 1
    report.problems.append(RosterProblem(file=file, line=line, field=field, message=message))


def _import_certifications(
    session: Session, load: RosterLoad, report: ImportReport, file: str | None, progress: Progress | None = None
) -> None:
    staff_ids = {s.id for s in load.roster.staff}
    existing: dict[tuple[str, str, date | None], Certification] = {
        (c.staff_id, c.cert, c.issued): c for c in session.exec(select(Certification))
    }
    seen: set[tuple[str, str, date | None]] = set()
    for record in _tracked(load.roster.certifications, progress, "certifications"):
        if record.cert not in _CERT_TYPES:
            _skip(report, report.certifications, file, record.line, "cert", f"unknown cert {record.cert!r}: not stored")
            continue
        if record.staff_id not in staff_ids:
            _skip(
                report,
                report.certifications,
                file,
                record.line,
                "staff_id",
                f"holder {record.staff_id!r} is not under `staff`: not stored",
            )
            continue
        key = (record.staff_id, record.cert, record.issued)
        if key in seen:
            _skip(
                report,
                report.certifications,
                file,
                record.line,
                "issued",
                f"second {record.cert} record of {record.staff_id} issued {record.issued}: not stored",
            )
            continue
        seen.add(key)
        row = existing.get(key)
        if row is None:
            session.add(
                Certification(
                    staff_id=record.staff_id,
                    cert=record.cert,
                    issued=record.issued,
                    expires=record.expires,
                    source="roster",
                )
            )
            report.certifications.created += 1
        elif _apply(row, {"expires": record.expires}):
            row.updated_at = utcnow()
            report.certifications.updated += 1
        else:
            report.certifications.unchanged += 1


def _import_briefings(
    session: Session, load: RosterLoad, report: ImportReport, file: str | None, progress: Progress | None = None
) -> None:
    staff_ids = {s.id for s in load.roster.staff}
    existing = {(b.staff_id, b.area, b.date): b for b in session.exec(select(Briefing))}
    seen: set[tuple[str, str, date | None]] = set()
    for record in _tracked(load.roster.briefings, progress, "briefings"):
        if record.area not in _AREAS:
            _skip(report, report.briefings, file, record.line, "area", f"unknown area {record.area!r}: not stored")
            continue
        if record.staff_id not in staff_ids:
            _skip(
                report,
                report.briefings,
                file,
                record.line,
                "staff_id",
                f"person {record.staff_id!r} is not under `staff`: not stored",
            )
            continue
        key = (record.staff_id, record.area, record.date)
        if key in seen:
            _skip(
                report,
                report.briefings,
                file,
                record.line,
                "date",
                f"second {record.area} briefing of {record.staff_id} on {record.date}: not stored",
            )
            continue
        seen.add(key)
        row = existing.get(key)
        values: dict[str, Any] = {"expires": record.expires, "briefed_by": record.briefed_by}
        if row is None:
            session.add(Briefing(staff_id=record.staff_id, area=record.area, date=record.date, **values))
            report.briefings.created += 1
        else:
            _count(report.briefings, created=False, changed=_apply(row, values))


def import_roster(
    *, session: Session, load: RosterLoad, file: str | None = None, progress: Progress | None = None
) -> ImportReport:
    """Upsert the register from a parsed roster, inside the caller's transaction."""
    file = file or next((p.file for p in load.problems if p.file), None)
    report = ImportReport(problems=list(load.problems))
    _import_staff(session, load, report, progress)
    _import_teams(session, load, report, progress)
    _import_certifications(session, load, report, file, progress)
    _import_briefings(session, load, report, file, progress)
    session.flush()
    return report
