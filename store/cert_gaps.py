"""Certification gaps per person and per team: the role-matrix requirements (store/role_matrix.py,
roles AND designations, union over roles) that a person does not meet on a date, or meets only
with records that expire within a window.

Statuses: `missing` (no satisfying record ever), `expired` (a satisfying record lapsed, §4 "lapsed"),
`revoked` (the only satisfying records were revoked), `not_yet_valid` (issued after the date),
`expiring` (met, but every satisfying record ends within the window).
"""

import datetime as dt
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col

from models.tables import Briefing, Certification, Staff, table_of
from store.certifications import record_status, team_staff_query
from store.role_matrix import requirements_for, satisfying_certs

GAP_CITATION = "requirements.md §6.3 role matrix [D], §4 (expired counts as not held), format §8"


class Gap(BaseModel):
    requirement: str  # SGBC_BASIC, CAC_ADV, SGBC_BASIC|briefing, SGBC_ADV|CAC_ADV
    status: str
    expires: dt.date | None = None
    days_left: int | None = None


class PersonGaps(BaseModel):
    staff_id: str
    name: str | None
    teams: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    designations: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)


class _Record(BaseModel):
    kind: str  # cert name, or "briefing:<AREA>"
    issued: dt.date | None
    expires: dt.date | None
    status: str


def _best(records: list[_Record], on: dt.date, window_end: dt.date) -> Gap | None:
    """None when met beyond the window; else the gap status from the records that would satisfy."""
    valid_until = [r.expires for r in records if r.status == "valid" and r.expires is not None]  # valid: dated
    if valid_until:
        last = max(valid_until)
        if last <= window_end:
            return Gap(requirement="", status="expiring", expires=last, days_left=(last - on).days)
        return None
    if not records:
        return Gap(requirement="", status="missing")
    for status in ("expired", "not_yet_valid", "revoked", "undated"):
        matching = [r for r in records if r.status == status]
        if matching:
            expires = max((r.expires for r in matching if r.expires), default=None)
            return Gap(
                requirement="",
                status="missing" if status == "undated" else status,
                expires=expires,
                days_left=(expires - on).days if expires else None,
            )
    return Gap(requirement="", status="missing")


def _requirement_records(requirement: str, held: list[_Record]) -> list[_Record]:
    certs = set(satisfying_certs(requirement))
    out = [r for r in held if r.kind in certs]
    if requirement.endswith("|briefing"):
        area = requirement.split("_", 1)[0]
        out += [r for r in held if r.kind == f"briefing:{area}"]
    return out


def person_gaps(
    roles: list[str], designations: list[str], held: list[_Record], on: dt.date, expiring_within: int
) -> tuple[list[str], list[Gap]]:
    req = requirements_for(roles, designations)
    required = req.required_certs()
    gaps = []
    window_end = on + timedelta(days=expiring_within)
    for requirement in required:
        gap = _best(_requirement_records(requirement, held), on, window_end)
        if gap is not None:
            gaps.append(gap.model_copy(update={"requirement": requirement}))
    return required, gaps


def gap_report(
    *,
    session: Session,
    on: dt.date,
    team_id: str | None = None,
    staff_id: str | None = None,
    expiring_within: int = 90,
    only_with_gaps: bool = True,
    team_ids: list[str] | None = None,
) -> list[PersonGaps]:
    """`team_id` or `team_ids`: only these teams' staff (each person once, with all their teams)."""
    if team_id is not None:
        team_ids = [team_id]
    membership = team_staff_query(team_ids).subquery()
    teams_of: dict[str, set[str]] = defaultdict(set)
    for t_id, s_id in session.execute(sa.select(membership.c.team_id, membership.c.staff_id)):
        teams_of[s_id].add(t_id)
    # Plain rows, not ORM entities, and each role combination's requirements once: at register scale
    # (tens of thousands of people) building entities was half of the dashboard's time.
    query = (
        sa.select(col(Staff.id), col(Staff.name), col(Staff.roles), col(Staff.designations))
        .where(col(Staff.active))
        .order_by(col(Staff.id))
    )
    if team_ids is not None:
        query = query.where(col(Staff.id).in_(sa.select(membership.c.staff_id)))
    if staff_id is not None:
        query = query.where(col(Staff.id) == staff_id)
    certifiable: dict[tuple, bool] = {}

    def needs_certificates(person) -> bool:
        key = (tuple(sorted(person.roles or ())), tuple(sorted(person.designations or ())))
        if key not in certifiable:
            certifiable[key] = requirements_for(person.roles, person.designations).certifiable
        return certifiable[key]

    people = [p for p in session.execute(query) if needs_certificates(p)]
    held: dict[str, list[_Record]] = defaultdict(list)
    ids = [p.id for p in people]
    c, b = table_of(Certification).c, table_of(Briefing).c
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.execute(
            sa.select(c.staff_id, c.cert, c.issued, c.expires, c.revoked_at).where(c.staff_id.in_(chunk))
        ):
            held[row.staff_id].append(
                _Record.model_construct(
                    kind=row.cert,
                    issued=row.issued,
                    expires=row.expires,
                    status=record_status(row.issued, row.expires, row.revoked_at, on),
                )
            )
        for row in session.execute(sa.select(b.staff_id, b.area, b.date, b.expires).where(b.staff_id.in_(chunk))):
            held[row.staff_id].append(
                _Record.model_construct(
                    kind=f"briefing:{row.area}",
                    issued=row.date,
                    expires=row.expires,
                    status=record_status(row.date, row.expires, None, on),
                )
            )
    report = []
    for person in people:
        required, gaps = person_gaps(person.roles, person.designations, held[person.id], on, expiring_within)
        if gaps or not only_with_gaps:
            report.append(
                PersonGaps(
                    staff_id=person.id,
                    name=person.name,
                    teams=sorted(teams_of.get(person.id, set())),
                    roles=list(person.roles),
                    designations=list(person.designations),
                    required=required,
                    gaps=gaps,
                )
            )
    return report
