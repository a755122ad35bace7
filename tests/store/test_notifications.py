from datetime import UTC, datetime, timedelta

import pytest

from store.db import session_scope
from store.notifications import create_notification, list_for, mark_emailed, mark_read, pending_email
from tests.dbutil import uid


def test_a_keyed_notification_is_written_once(engine):
    recipient, key = uid("S"), uid("cert-expiry")
    with session_scope(engine) as session:
        first = create_notification(
            session=session,
            recipient_id=recipient,
            kind="certificate_expiry",
            subject="SGBC_BASIC expires in 30 days",
            dedupe_key=key,
        )
        again = create_notification(
            session=session,
            recipient_id=recipient,
            kind="certificate_expiry",
            subject="SGBC_BASIC expires in 30 days",
            dedupe_key=key,
        )
    assert first is not None and again is None
    with session_scope(engine) as session:
        assert len(list_for(session=session, recipient_id=recipient)) == 1


def test_a_notification_without_event_or_key_is_refused(engine):
    with session_scope(engine) as session, pytest.raises(ValueError, match="never sent twice"):
        create_notification(session=session, recipient_id="S-1", kind="reminder", subject="x")


def test_unread_notifications_newest_first_and_only_the_recipient_marks_them_read(engine):
    recipient = uid("S")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        ids = [
            create_notification(
                session=session,
                recipient_id=recipient,
                kind="reminder",
                subject=f"n{i}",
                dedupe_key=uid("k"),
                created_at=t0 + timedelta(hours=i),
            ).id
            for i in range(3)
        ]
    with session_scope(engine) as session:
        assert mark_read(session=session, notification_id=ids[0], recipient_id="SOMEONE-ELSE") is False
        assert mark_read(session=session, notification_id=ids[0], recipient_id=recipient) is True
    with session_scope(engine) as session:
        unread = list_for(session=session, recipient_id=recipient, unread_only=True)
        everything = list_for(session=session, recipient_id=recipient)
    assert [n.subject for n in unread] == ["n2", "n1"]
    assert [n.subject for n in everything] == ["n2", "n1", "n0"]


def test_emailed_notifications_leave_the_pending_list(engine):
    recipient = uid("S")
    with session_scope(engine) as session:
        n = create_notification(
            session=session, recipient_id=recipient, kind="approved", subject="x", dedupe_key=uid("k")
        )
    with session_scope(engine) as session:
        assert n.id in [p.id for p in pending_email(session=session, limit=10_000)]
        mark_emailed(session=session, notification_id=n.id)
    with session_scope(engine) as session:
        assert n.id not in [p.id for p in pending_email(session=session, limit=10_000)]
