"""In-app notifications. Each is written once: per (audit event, recipient) for review events, per
`dedupe_key` for events without an audit event (certificate-expiry thresholds). Email delivery
(issue 5) reads `pending_email` and stamps `emailed_at`."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.tables import Notification, NotificationPublic, table_of, utcnow


def create_notification(
    *,
    session: Session,
    recipient_id: str,
    kind: str,
    subject: str,
    body: str = "",
    product_id: str | None = None,
    audit_event_id: int | None = None,
    dedupe_key: str | None = None,
    created_at: datetime | None = None,
) -> Notification | None:
    """Write one notification, or nothing (None) when this one was already written."""
    if audit_event_id is None and dedupe_key is None:
        raise ValueError("a notification needs an audit event or a dedupe key, so it is never sent twice")
    duplicate = select(Notification.id)
    if audit_event_id is not None:
        duplicate = duplicate.where(
            Notification.audit_event_id == audit_event_id, Notification.recipient_id == recipient_id
        )
    else:
        duplicate = duplicate.where(Notification.dedupe_key == dedupe_key)
    if session.exec(duplicate).first() is not None:
        return None
    row = Notification(
        recipient_id=recipient_id,
        kind=str(kind),
        subject=subject,
        body=body,
        product_id=product_id,
        audit_event_id=audit_event_id,
        dedupe_key=dedupe_key,
        created_at=created_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def create_for_event(
    *,
    session: Session,
    audit_event_id: int,
    product_id: str | None,
    created_at: datetime,
    messages: list[tuple[str, str, str, str]],
) -> int:
    """The notifications of an audit event appended in this same transaction, in one INSERT:
    `messages` are (recipient_id, kind, subject, body), at most one kept per (recipient, kind).
    The event is new, so nothing can have been written for it before: no lookup needed."""
    rows: dict[tuple[str, str], dict] = {}
    for recipient_id, kind, subject, body in messages:
        rows.setdefault(
            (recipient_id, str(kind)),
            {
                "recipient_id": recipient_id,
                "kind": str(kind),
                "subject": subject,
                "body": body,
                "product_id": product_id,
                "audit_event_id": audit_event_id,
                "dedupe_key": None,
                "created_at": created_at,
                "read_at": None,
                "emailed_at": None,
            },
        )
    if rows:
        session.execute(sa.insert(table_of(Notification)), list(rows.values()))
    return len(rows)


def list_for(
    *, session: Session, recipient_id: str, unread_only: bool = False, limit: int | None = None
) -> list[NotificationPublic]:
    """Newest first."""
    query = select(Notification).where(Notification.recipient_id == recipient_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return [NotificationPublic.model_validate(n, from_attributes=True) for n in session.exec(query)]


def mark_read(*, session: Session, notification_id: int, recipient_id: str, at: datetime | None = None) -> bool:
    """Only the recipient can mark their notification read; False when it is not theirs."""
    row = session.get(Notification, notification_id)
    if row is None or row.recipient_id != recipient_id:
        return False
    if row.read_at is None:
        row.read_at = at or utcnow()
        session.flush()
    return True


def pending_email(*, session: Session, limit: int = 100) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(col(Notification.emailed_at).is_(None))
            .order_by(col(Notification.id))
            .limit(limit)
        )
    )


def mark_emailed(*, session: Session, notification_id: int, at: datetime | None = None) -> None:
    row = session.get(Notification, notification_id)
    if row is not None and row.emailed_at is None:
        row.emailed_at = at or utcnow()
        session.flush()
