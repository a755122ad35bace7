"""The certification gap report as it was computed before the database aggregated it (commit
b5afa58, store/cert_gaps.py): every record an object, classified and chosen in Python. Kept as the
reference the SQL version must match (tests/certs/test_gaps_in_sql.py) and the baseline of
bench/cert_gaps_bench.py."""

import datetime as dt
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import col

from models.tables import Briefing, Certification, Staff, table_of
from store.cert_gaps import Gap, PersonGaps
from store.certifications import record_status, team_staff_query
from store.role_matrix import requirements_for, satisfying_certs


class _Record(BaseModel):
    kind: str
    issued: dt.date | None
    expires: dt.date | None
    status: str


def _best(records: list[_Record], on: dt.date, window_end: dt.date) -> Gap | None:
    valid_until = [r.expires for r in records if r.status == "valid" and r.expires is not None]
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


def python_gap_report(*, session, on, team_id=None, staff_id=None, expiring_within=90, only_with_gaps=True):
    team_ids = [team_id] if team_id is not None else None
    membership = team_staff_query(team_ids).subquery()
    teams_of: dict[str, set[str]] = defaultdict(set)
    for t_id, s_id in session.execute(sa.select(membership.c.team_id, membership.c.staff_id)):
        teams_of[s_id].add(t_id)
    query = sa.select(Staff).where(col(Staff.active)).order_by(col(Staff.id))
    if team_ids is not None:
        query = query.where(col(Staff.id).in_(sa.select(membership.c.staff_id)))
    if staff_id is not None:
        query = query.where(col(Staff.id) == staff_id)
    people = [p for p in session.execute(query).scalars() if requirements_for(p.roles, p.designations).certifiable]
    held: dict[str, list[_Record]] = defaultdict(list)
    c, b = table_of(Certification).c, table_of(Briefing).c
    for row in session.execute(sa.select(c.staff_id, c.cert, c.issued, c.expires, c.revoked_at)):
        held[row.staff_id].append(
            _Record(
                kind=row.cert,
                issued=row.issued,
                expires=row.expires,
                status=record_status(row.issued, row.expires, row.revoked_at, on),
            )
        )
    for row in session.execute(sa.select(b.staff_id, b.area, b.date, b.expires)):
        held[row.staff_id].append(
            _Record(
                kind=f"briefing:{row.area}",
                issued=row.date,
                expires=row.expires,
                status=record_status(row.date, row.expires, None, on),
            )
        )
    report = []
    window_end = on + timedelta(days=expiring_within)
    for person in people:
        required = requirements_for(person.roles, person.designations).required_certs()
        gaps = []
        for requirement in required:
            gap = _best(_requirement_records(requirement, held[person.id]), on, window_end)
            if gap is not None:
                gaps.append(gap.model_copy(update={"requirement": requirement}))
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
