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
from store.certifications import day_start, team_staff_query
from store.role_matrix import AREAS, requirements_for

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


# The records that can satisfy each requirement (store/role_matrix.py): certificate kinds, and for
# the interpreter's row a briefing in that area (kind "briefing:<AREA>").
REQUIREMENT_KINDS: dict[str, tuple[str, ...]] = {
    **{f"{area}_ADV": (f"{area}_ADV",) for area in AREAS},
    **{f"{area}_BASIC": (f"{area}_BASIC", f"{area}_ADV") for area in AREAS},
    **{f"{area}_BASIC|briefing": (f"{area}_BASIC", f"{area}_ADV", f"briefing:{area}") for area in AREAS},
    "SGBC_ADV|CAC_ADV": ("SGBC_ADV", "CAC_ADV"),
}
# When no record satisfies a requirement on the day, the gap is named after the first of these
# statuses any satisfying record has (an undated record counts as missing).
FALLBACK_STATUSES = ("expired", "not_yet_valid", "revoked", "undated")


def _gap(held: tuple[str, dt.date | None] | None, requirement: str, on: dt.date, window_end: dt.date) -> Gap | None:
    """None when met beyond the window; else the gap, from the (status, end date) the database found."""
    # model_construct: the values are the database's and ours, already typed; validating ten
    # thousand small models was a third of the report's time.
    if held is None:
        return Gap.model_construct(requirement=requirement, status="missing", expires=None, days_left=None)
    status, expires = held
    if status == "valid":
        assert expires is not None  # a valid record is dated
        if expires > window_end:
            return None
        return Gap.model_construct(
            requirement=requirement, status="expiring", expires=expires, days_left=(expires - on).days
        )
    return Gap.model_construct(
        requirement=requirement,
        status="missing" if status == "undated" else status,
        expires=expires,
        days_left=(expires - on).days if expires else None,
    )


STATUSES = ("valid", *FALLBACK_STATUSES)


def _per_kind(on: dt.date, staff_id, kind, issued, expires, revoked, people: sa.Select | None) -> sa.Select:
    """Per person and record kind: whether any record has each status on the day, and the last end
    date of those. Grouped by (person, kind), which the register's unique index already orders."""
    # record_status (store/certifications.py) as SQL: revoked on or before the day, undated, not yet
    # valid, valid, lapsed.
    status = sa.case(
        (revoked, "revoked"),
        (issued.is_(None) | expires.is_(None), "undated"),
        (issued > on, "not_yet_valid"),
        (expires >= on, "valid"),
        else_="expired",
    )
    query = sa.select(
        staff_id.label("staff_id"),
        kind.label("kind"),
        *(sa.func.max(sa.case((status == of, 1), else_=0)).label(f"has_{of}") for of in STATUSES),
        *(sa.func.max(sa.case((status == of, expires))).label(of) for of in STATUSES),
    ).group_by(staff_id, kind)
    return query if people is None else query.where(staff_id.in_(people))


def _held_query(on: dt.date, people: sa.Select | None) -> sa.Select:
    """(person, requirement, status, end date) for each requirement a person has any satisfying record
    for, aggregated by the database (SQLite and PostgreSQL alike): `valid` with the last end date of the
    records valid on the day, or else the first of FALLBACK_STATUSES any record has, with the last end
    date of those. Python sees one row per requirement, not every record. `people`: only theirs."""
    c, b = table_of(Certification).c, table_of(Briefing).c
    revoked = c.revoked_at.is_not(None) & (c.revoked_at < day_start(on + timedelta(days=1)))
    per_kind = sa.union_all(
        _per_kind(on, c.staff_id, c.cert, c.issued, c.expires, revoked, people),
        _per_kind(on, b.staff_id, sa.literal("briefing:").concat(b.area), b.date, b.expires, sa.false(), people),
    ).subquery("per_kind")
    kinds = sa.union_all(
        *(
            sa.select(sa.literal(requirement).label("requirement"), sa.literal(kind).label("kind"))
            for requirement, satisfying in REQUIREMENT_KINDS.items()
            for kind in satisfying
        )
    ).subquery("requirement_kinds")
    k = per_kind.c
    per_requirement = (
        sa.select(
            k.staff_id,
            kinds.c.requirement,
            *(sa.func.max(k[f"has_{of}"]).label(f"has_{of}") for of in STATUSES),
            *(sa.func.max(k[of]).label(of) for of in STATUSES),
        )
        .select_from(per_kind.join(kinds, kinds.c.kind == k.kind))
        .group_by(k.staff_id, kinds.c.requirement)
        .subquery("per_requirement")
    )
    p = per_requirement.c
    return sa.select(
        p.staff_id,
        p.requirement,
        sa.case(*((p[f"has_{of}"] == 1, of) for of in STATUSES), else_="missing").label("status"),
        sa.type_coerce(sa.case(*((p[f"has_{of}"] == 1, p[of]) for of in STATUSES)), sa.Date).label("expires"),
    )


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
    # Plain rows, not ORM entities: at register scale building entities was half of the dashboard's time.
    query = (
        sa.select(col(Staff.id), col(Staff.name), col(Staff.roles), col(Staff.designations))
        .where(col(Staff.active))
        .order_by(col(Staff.id))
    )
    if team_ids is not None:
        query = query.where(col(Staff.id).in_(sa.select(membership.c.staff_id)))
    if staff_id is not None:
        query = query.where(col(Staff.id) == staff_id)
    requirements: dict[tuple, list[str]] = {}

    def required_of(person) -> list[str]:
        key = (tuple(sorted(person.roles or ())), tuple(sorted(person.designations or ())))
        if key not in requirements:
            requirements[key] = requirements_for(person.roles, person.designations).required_certs()
        return requirements[key]

    # Each role combination's requirements once: at register scale (tens of thousands of people) the
    # per-person work is what costs.
    people = [(p, required) for p in session.execute(query) if (required := required_of(p))]
    held: dict[str, dict[str, tuple[str, dt.date | None]]] = defaultdict(dict)
    # The whole register's records when the report covers it (people not in it are skipped below);
    # a team's or a person's only, when it is that small.
    narrowed = team_ids is not None or staff_id is not None
    for held_id, requirement, status, expires in session.execute(
        _held_query(on, query.with_only_columns(col(Staff.id)).order_by(None) if narrowed else None)
    ):
        held[held_id][requirement] = (status, expires)
    window_end = on + timedelta(days=expiring_within)
    report = []
    for person, required in people:
        of_person = held.get(person.id, {})
        gaps = [gap for req in required if (gap := _gap(of_person.get(req), req, on, window_end))]
        if gaps or not only_with_gaps:
            report.append(
                PersonGaps.model_construct(
                    staff_id=person.id,
                    name=person.name,
                    teams=sorted(teams_of.get(person.id, set())),
                    roles=list(person.roles),
                    designations=list(person.designations),
                    required=list(required),
                    gaps=gaps,
                )
            )
    return report
