"""Certificate expiry notices of the daily sweep (issue 4), idempotent.

On day d a valid certificate with `expires - d` days left is due for the notice of the smallest
threshold (90, 30, 7 days) that is >= the days left; a certificate that expired at most
`expired_window_days` ago is due for the `expired` notice. Each (certificate, threshold) is notified
once, ever (`certification_notice` has a unique key), to the person and the leaders of their teams
(team staff, format §9.1, plus their home team). A sweep that missed days sends only the nearest
threshold, not every one it skipped. A certificate already renewed (another unrevoked record of the
same certificate, or ADV of the same area for BASIC, that lasts longer) is not notified.
"""

import datetime as dt
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.cert_messages import ExpiryNoticesInput, ExpiryNoticesResult
from models.enums import NotificationKind
from models.kpi_tables import CertificationNotice, ExpiryThreshold
from models.tables import Certification, Staff, Team
from store.certifications import team_staff_query
from store.notifications import create_notification


def threshold_for(days_left: int, thresholds: list[int]) -> str | None:
    if days_left < 0:
        return ExpiryThreshold.EXPIRED.value
    fitting = [t for t in sorted(thresholds) if days_left <= t]
    return str(fitting[0]) if fitting else None


def _renewed():
    other = aliased(Certification, name="other")
    satisfies = sa.or_(
        other.cert == Certification.cert,
        *[sa.and_(Certification.cert == f"{area}_BASIC", other.cert == f"{area}_ADV") for area in ("SGBC", "CAC")],
    )
    return sa.exists(
        sa.select(1).where(
            other.staff_id == Certification.staff_id,
            other.id != Certification.id,
            satisfies,
            other.revoked_at.is_(None),
            other.issued.is_not(None),
            other.expires > Certification.expires,
        )
    )


def _leaders(session: Session, staff_ids: set[str]) -> dict[str, set[str]]:
    membership = team_staff_query().subquery()
    leaders: dict[str, set[str]] = {s: set() for s in staff_ids}
    ids = sorted(staff_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for staff_id, leader in session.execute(
            sa.select(membership.c.staff_id, col(Team.leader_id))
            .join(Team, col(Team.id) == membership.c.team_id)
            .where(membership.c.staff_id.in_(chunk), col(Team.leader_id).is_not(None))
        ):
            leaders[staff_id].add(leader)
        for staff_id, leader in session.execute(
            sa.select(col(Staff.id), col(Team.leader_id))
            .join(Team, col(Team.id) == col(Staff.home_team_id))
            .where(col(Staff.id).in_(chunk), col(Team.active), col(Team.leader_id).is_not(None))
        ):
            leaders[staff_id].add(leader)
    return leaders


def _text(cert: str, staff_id: str, name: str | None, threshold: str, expires: dt.date, on: dt.date) -> tuple[str, str]:
    who = f"{name} ({staff_id})" if name else staff_id
    if threshold == ExpiryThreshold.EXPIRED.value:
        subject = f"{cert} of {who} expired on {expires.isoformat()}"
        status = "has expired and no longer counts as held (requirements.md §4)"
    else:
        subject = f"{cert} of {who} expires in {(expires - on).days} days ({expires.isoformat()})"
        status = f"expires on {expires.isoformat()}; after that day it no longer counts as held"
    body = (
        f"The {cert} certification of {who} {status}. Renew it before interviews, missions or plans "
        f"that require it (role matrix, requirements.md §6.3), and record the renewal with "
        f"`gcu-review certs renew {staff_id} {cert} --issued DATE`."
    )
    return subject, body


def send_expiry_notices(*, session: Session, request: ExpiryNoticesInput) -> ExpiryNoticesResult:
    on = request.as_of
    horizon = on + timedelta(days=max(request.thresholds_days, default=0))
    oldest = on - timedelta(days=request.expired_window_days)
    result = ExpiryNoticesResult(as_of=on)
    candidates = session.execute(
        sa.select(
            col(Certification.id),
            col(Certification.staff_id),
            col(Certification.cert),
            col(Certification.expires),
            col(Staff.name),
        )
        .join(Staff, col(Staff.id) == col(Certification.staff_id))
        .where(
            col(Staff.active),
            col(Certification.revoked_at).is_(None),
            col(Certification.issued).is_not(None),
            col(Certification.issued) <= on,
            col(Certification.expires) >= oldest,
            col(Certification.expires) <= horizon,
            sa.not_(_renewed()),
        )
        .order_by(col(Certification.id))
    ).all()
    due = []
    for cert_id, staff_id, cert, expires, name in candidates:
        threshold = threshold_for((expires - on).days, request.thresholds_days)
        if threshold is not None:
            due.append((cert_id, staff_id, cert, expires, name, threshold))
    if not due:
        return result
    sent = {
        tuple(row)
        for row in session.execute(
            sa.select(col(CertificationNotice.certification_id), col(CertificationNotice.threshold)).where(
                col(CertificationNotice.certification_id).in_([d[0] for d in due])
            )
        )
    }
    leaders = _leaders(session, {d[1] for d in due})
    for cert_id, staff_id, cert, expires, name, threshold in due:
        if (cert_id, threshold) in sent:
            result.already_sent += 1
            continue
        recipients = [staff_id] + sorted(leaders.get(staff_id, set()) - {staff_id})
        session.add(
            CertificationNotice(
                certification_id=cert_id,
                staff_id=staff_id,
                cert=cert,
                threshold=threshold,
                expires=expires,
                swept_on=on,
                recipients=recipients,
            )
        )
        subject, body = _text(cert, staff_id, name, threshold, expires, on)
        for recipient in recipients:
            key = f"cert-expiry:{cert_id}:{threshold}:{recipient}"
            written = create_notification(
                session=session,
                recipient_id=recipient,
                kind=NotificationKind.CERTIFICATE_EXPIRY.value,
                subject=subject,
                body=body,
                dedupe_key=key,
            )
            result.notifications += written is not None
        result.notices += 1
        result.by_threshold[threshold] = result.by_threshold.get(threshold, 0) + 1
    session.flush()
    return result
