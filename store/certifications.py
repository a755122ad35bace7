"""The certification register (issue 4): add, renew, revoke, list, and bulk import.

Semantics are the contract's (product-format.md §8-§9, requirements.md §4): a record is valid on d
when issued <= d <= expires; an expired certificate counts as not held. Revocation is recorded, not
deleted: a revoked record stops counting from the day it was revoked (so KPI 12 for an earlier
quarter still sees it). Default validity when no expiry is given: requirements.md §6.2 [D].
The gap report lives in store/cert_gaps.py.
"""

import datetime as dt
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.enums import BriefingArea, CertType
from models.tables import Briefing, Certification, Staff, Team, TeamMember, utcnow
from store.errors import NotFound, StoreError

# requirements.md §6.2 [D]: 3 years for BASIC, 2 years for ADV; `expires` is the last valid day.
DEFAULT_VALIDITY_YEARS = {
    CertType.SGBC_BASIC: 3,
    CertType.CAC_BASIC: 3,
    CertType.SGBC_ADV: 2,
    CertType.CAC_ADV: 2,
}
CERT_TYPES = frozenset(c.value for c in CertType)
AREAS = frozenset(a.value for a in BriefingArea)


class RegisterError(StoreError):
    """A register entry refused: unknown cert, dates the wrong way round, a duplicate record."""


def default_expiry(cert: str, issued: dt.date) -> dt.date:
    """Issue date plus the §6.2 default validity, minus one day (29 Feb rolls to 28 Feb)."""
    years = DEFAULT_VALIDITY_YEARS[CertType(cert)]
    try:
        anniversary = issued.replace(year=issued.year + years)
    except ValueError:
        anniversary = issued.replace(year=issued.year + years, day=28)
    return anniversary - timedelta(days=1)


def day_start(d: dt.date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=dt.UTC)


def cert_valid_on(d: dt.date, table=Certification):
    """SQL condition: the record is valid on `d` (and was not revoked on or before `d`)."""
    return sa.and_(
        table.issued.is_not(None),
        table.expires.is_not(None),
        table.issued <= d,
        table.expires >= d,
        sa.or_(table.revoked_at.is_(None), table.revoked_at >= day_start(d + timedelta(days=1))),
    )


def briefing_valid_on(d: dt.date, table=Briefing):
    return sa.and_(table.date.is_not(None), table.expires.is_not(None), table.date <= d, table.expires >= d)


def _check_cert(cert: str) -> str:
    if cert not in CERT_TYPES:
        raise RegisterError(f"unknown certification {cert!r}: expected one of {', '.join(sorted(CERT_TYPES))}")
    return cert


def _check_staff(session: Session, staff_id: str) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id!r} in the register")
    return staff


def _check_dates(issued: dt.date, expires: dt.date, what: str) -> None:
    if expires < issued:
        raise RegisterError(f"{what}: expires {expires} is before issued {issued}")


def add_certification(
    *,
    session: Session,
    staff_id: str,
    cert: str,
    issued: dt.date,
    expires: dt.date | None = None,
    source: str = "cli",
) -> Certification:
    _check_staff(session, staff_id)
    _check_cert(cert)
    expires = expires or default_expiry(cert, issued)
    _check_dates(issued, expires, f"{cert} of {staff_id}")
    existing = session.exec(
        select(Certification).where(
            Certification.staff_id == staff_id, Certification.cert == cert, Certification.issued == issued
        )
    ).first()
    if existing is not None:
        raise RegisterError(
            f"{staff_id} already has a {cert} record issued {issued} (id {existing.id}); renew with a new issue date"
        )
    row = Certification(staff_id=staff_id, cert=cert, issued=issued, expires=expires, source=source)
    session.add(row)
    session.flush()
    return row


def renew_certification(
    *,
    session: Session,
    staff_id: str,
    cert: str,
    issued: dt.date,
    expires: dt.date | None = None,
    source: str = "cli",
) -> Certification:
    """A renewal is a new record (the old one stays as history); the person must have held `cert`."""
    _check_cert(cert)
    previous = session.exec(
        select(Certification).where(Certification.staff_id == staff_id, Certification.cert == cert)
    ).first()
    if previous is None:
        _check_staff(session, staff_id)
        raise RegisterError(f"{staff_id} has no {cert} record to renew; use `certs add`")
    return add_certification(
        session=session, staff_id=staff_id, cert=cert, issued=issued, expires=expires, source=source
    )


def revoke_certification(
    *,
    session: Session,
    staff_id: str,
    cert: str,
    reason: str,
    issued: dt.date | None = None,
    at: datetime | None = None,
) -> list[Certification]:
    """Revoke the record issued on `issued`, or every unrevoked `cert` record of the person."""
    _check_cert(cert)
    if not reason.strip():
        raise RegisterError("a revocation needs a reason")
    query = select(Certification).where(
        col(Certification.staff_id) == staff_id,
        col(Certification.cert) == cert,
        col(Certification.revoked_at).is_(None),
    )
    if issued is not None:
        query = query.where(Certification.issued == issued)
    rows = list(session.exec(query))
    if not rows:
        _check_staff(session, staff_id)
        raise NotFound(f"{staff_id} has no unrevoked {cert} record" + (f" issued {issued}" if issued else ""))
    at = at or utcnow()
    for row in rows:
        row.revoked_at, row.revoked_reason, row.updated_at = at, reason, utcnow()
    session.flush()
    return rows


def add_briefing(
    *,
    session: Session,
    staff_id: str,
    area: str,
    date: dt.date,
    expires: dt.date,
    briefed_by: str | None = None,
) -> Briefing:
    _check_staff(session, staff_id)
    if area not in AREAS:
        raise RegisterError(f"unknown briefing area {area!r}: expected SGBC or CAC")
    _check_dates(date, expires, f"{area} briefing of {staff_id}")
    row = session.exec(
        select(Briefing).where(Briefing.staff_id == staff_id, Briefing.area == area, Briefing.date == date)
    ).first()
    if row is None:
        row = Briefing(staff_id=staff_id, area=area, date=date, expires=expires, briefed_by=briefed_by)
        session.add(row)
    else:
        row.expires, row.briefed_by = expires, briefed_by
    session.flush()
    return row


def team_staff_query(team_ids: Sequence[str] | None = None, situation: str | None = None) -> sa.CompoundSelect:
    """(team_id, staff_id) of team staff (format §9.1: leader, focal points, members) of active teams.
    UNION ALL: a leader who is also listed as a member appears twice; callers count distinct staff."""

    def of_teams(q):
        q = q.where(Team.active)
        if team_ids is not None:
            q = q.where(col(Team.id).in_(list(team_ids)))
        if situation is not None:
            q = q.where(col(Team.situation) == situation)
        return q

    parts = [
        of_teams(sa.select(col(Team.id).label("team_id"), column.label("staff_id")).where(column.is_not(None)))
        for column in (col(Team.leader_id), col(Team.sgbc_focal_point_id), col(Team.cac_focal_point_id))
    ]
    parts.append(
        of_teams(
            sa.select(col(TeamMember.team_id), col(TeamMember.staff_id)).join(
                Team, col(Team.id) == col(TeamMember.team_id)
            )
        )
    )
    return sa.union_all(*parts)


class CertificationRow(BaseModel):
    id: int
    staff_id: str
    name: str | None
    cert: str
    issued: dt.date | None
    expires: dt.date | None
    status: str  # valid | expired | not_yet_valid | undated | revoked
    days_left: int | None = None


def record_status(issued: dt.date | None, expires: dt.date | None, revoked_at: datetime | None, on: dt.date) -> str:
    if revoked_at is not None and revoked_at < day_start(on + timedelta(days=1)):
        return "revoked"
    if issued is None or expires is None:
        return "undated"
    if on < issued:
        return "not_yet_valid"
    return "valid" if on <= expires else "expired"


def list_certifications(
    *,
    session: Session,
    on: dt.date,
    team_id: str | None = None,
    staff_id: str | None = None,
    expiring_within: int | None = None,
    include_revoked: bool = False,
) -> list[CertificationRow]:
    """Register records; with `expiring_within`, only records valid on `on` expiring within N days."""
    query = sa.select(Certification, col(Staff.name)).join(Staff, col(Staff.id) == col(Certification.staff_id))
    if team_id is not None:
        members = team_staff_query([team_id]).subquery()
        query = query.where(col(Certification.staff_id).in_(sa.select(members.c.staff_id)))
    if staff_id is not None:
        query = query.where(col(Certification.staff_id) == staff_id)
    if expiring_within is not None:
        query = query.where(cert_valid_on(on), col(Certification.expires) <= on + timedelta(days=expiring_within))
    if not include_revoked:
        query = query.where(col(Certification.revoked_at).is_(None))
    query = query.order_by(col(Certification.staff_id), col(Certification.cert), col(Certification.issued))
    rows = []
    for cert, name in session.execute(query):
        rows.append(
            CertificationRow(
                id=cert.id,
                staff_id=cert.staff_id,
                name=name,
                cert=cert.cert,
                issued=cert.issued,
                expires=cert.expires,
                status=record_status(cert.issued, cert.expires, cert.revoked_at, on),
                days_left=(cert.expires - on).days if cert.expires else None,
            )
        )
    return rows


def _register_query(*, on: dt.date, team_ids: Sequence[str], expiring_within: int | None) -> sa.Select:
    members = team_staff_query(list(team_ids)).subquery()
    pairs = sa.select(members.c.team_id, members.c.staff_id).distinct().subquery()
    query = (
        sa.select(pairs.c.team_id, Certification, col(Staff.name))
        .join(Certification, col(Certification.staff_id) == pairs.c.staff_id)
        .join(Staff, col(Staff.id) == col(Certification.staff_id))
        .where(col(Certification.revoked_at).is_(None))
    )
    if expiring_within is not None:
        query = query.where(cert_valid_on(on), col(Certification.expires) <= on + timedelta(days=expiring_within))
    return query


def page_certifications(
    *,
    session: Session,
    on: dt.date,
    team_ids: Sequence[str],
    expiring_within: int | None = None,
    limit: int,
    offset: int = 0,
) -> list[tuple[str, CertificationRow]]:
    """One page of the register records of these teams' staff, as (team id, row), ordered by team,
    person, certificate: the database sorts and cuts, so a page costs the same however large the
    register is."""
    query = _register_query(on=on, team_ids=team_ids, expiring_within=expiring_within)
    query = (
        query.order_by(
            query.selected_columns[0],
            col(Certification.staff_id),
            col(Certification.cert),
            col(Certification.issued),
            col(Certification.id),
        )
        .limit(limit)
        .offset(offset)
    )
    return [
        (
            team_id,
            CertificationRow(
                id=cert.id,
                staff_id=cert.staff_id,
                name=name,
                cert=cert.cert,
                issued=cert.issued,
                expires=cert.expires,
                status=record_status(cert.issued, cert.expires, cert.revoked_at, on),
                days_left=(cert.expires - on).days if cert.expires else None,
            ),
        )
        for team_id, cert, name in session.execute(query)
    ]


def count_certifications(
    *, session: Session, on: dt.date, team_ids: Sequence[str], expiring_within: int | None = None
) -> int:
    query = _register_query(on=on, team_ids=team_ids, expiring_within=expiring_within).subquery()
    return session.execute(sa.select(sa.func.count()).select_from(query)).scalar_one()
