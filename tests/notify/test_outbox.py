"""Email delivery of notifications against a real SMTP server: recipients, subject, body from the
kind's template, a link to the web app, and never a second email for one notification: not on a
second run, not after a crash between send and record, not with two senders at once."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from models.enums import NotificationKind
from models.summary_tables import DeliveryState, EmailDelivery
from models.tables import Notification, Staff
from notify.outbox import CLAIM_LEASE, Outbox
from notify.render import TEMPLATES
from settings import Settings
from store.db import session_scope
from store.notifications import create_notification
from tests.notify.conftest import SmtpServer, free_port

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def mail_settings(port: int, **kw) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        mail_from="GCU review <gcu@gcu.test>",
        app_base_url="https://gcu.test/",
        **kw,
    )


def person(s: Session, staff_id: str, email: str | None = None, active: bool = True) -> str:
    s.add(Staff(id=staff_id, name=f"Name {staff_id}", roles=["investigator"], email=email, active=active))
    s.flush()
    return staff_id


def notify(
    s: Session,
    recipient: str,
    kind: str = NotificationKind.RETURNED,
    subject: str = "Returned for revision: Plan P-1 (1.0)",
    body: str = "Resubmit by 2026-04-08.\nReason: add the interview safeguards",
    product_id: str | None = "P-1",
    created_at: datetime = NOW - timedelta(minutes=1),
) -> int:
    row = create_notification(
        session=s,
        recipient_id=recipient,
        kind=kind,
        subject=subject,
        body=body,
        product_id=product_id,
        dedupe_key=f"test:{uuid.uuid4()}",
        created_at=created_at,
    )
    return row.id


def plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def deliveries(engine) -> dict[int, str]:
    with Session(engine) as s:
        return {d.notification_id: d.state for d in s.exec(select(EmailDelivery))}


def test_every_notification_kind_has_a_text_and_an_html_template():
    for kind in NotificationKind:
        assert (TEMPLATES / f"{kind}.txt").exists() and (TEMPLATES / f"{kind}.html").exists(), kind


def test_pending_notifications_are_emailed_once_each(fresh_engine, smtp_server):
    with session_scope(fresh_engine) as s:
        person(s, "AU-1", "author@example.org")
        person(s, "GR-1", "reviewer@example.org")
        returned = notify(s, "AU-1")
        queued = notify(
            s,
            "GR-1",
            NotificationKind.QUEUED,
            "New product to review: Plan P-2 (1.0)",
            "Pre-check verdict: revise. Due 2026-03-20 17:00 UTC.",
            "P-2",
        )
        expiry = notify(
            s,
            "GR-1",
            NotificationKind.CERTIFICATE_EXPIRY,
            "CAC_BASIC of Name GR-1 expires in 30 days",
            "Renew it.",
            None,
        )
    outbox = Outbox(engine=fresh_engine, settings=mail_settings(smtp_server.port), clock=Clock())

    result = outbox.send_pending()

    assert (result.smtp_configured, result.sent, result.failed, result.retry) == (True, 3, 0, 0)
    by_subject = {m["Subject"]: (to, m) for to, m in smtp_server.received}
    to, message = by_subject["[GCU review] Returned for revision: Plan P-1 (1.0)"]
    assert to == ["author@example.org"]
    assert message["To"] == "Name AU-1 <author@example.org>"
    assert message["From"] == "GCU review <gcu@gcu.test>"
    assert message["Message-ID"] == f"<notification.{returned}@gcu.test>"
    text = plain(message)
    html = html_of(message)
    assert text.startswith("Dear Name AU-1,\n\nA product has been returned for revision.")
    assert "Reason: add the interview safeguards" in text
    assert "See the findings and resubmit a new version: https://gcu.test/products/P-1" in text
    assert '<a href="https://gcu.test/products/P-1"' in html and "Reason: add the interview safeguards" in html
    to, message = by_subject["[GCU review] New product to review: Plan P-2 (1.0)"]
    assert to == ["reviewer@example.org"]
    assert "waiting in the GCU review queue" in plain(message)
    _, message = by_subject["[GCU review] CAC_BASIC of Name GR-1 expires in 30 days"]
    assert "https://gcu.test/certifications" in plain(message)
    with Session(fresh_engine) as s:
        assert all(s.get(Notification, i).emailed_at == NOW for i in (returned, queued, expiry))

    again = outbox.send_pending()
    assert (again.sent, len(smtp_server.received)) == (0, 3)


def test_html_bodies_escape_what_people_typed(fresh_engine, smtp_server):
    with session_scope(fresh_engine) as s:
        person(s, "AU-2", "a2@example.org")
        notify(s, "AU-2", body="Reason: <script>alert(1)</script>")
    Outbox(engine=fresh_engine, settings=mail_settings(smtp_server.port), clock=Clock()).send_pending()
    ((_, message),) = smtp_server.received
    html = html_of(message)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_no_email_and_no_bookkeeping_when_smtp_is_not_configured(fresh_engine, smtp_server):
    with session_scope(fresh_engine) as s:
        person(s, "AU-3", "a3@example.org")
        n = notify(s, "AU-3")
    result = Outbox(engine=fresh_engine, settings=Settings(smtp_host=""), clock=Clock()).send_pending()
    assert (result.smtp_configured, result.sent) == (False, 0)
    assert smtp_server.received == [] and deliveries(fresh_engine) == {}
    with Session(fresh_engine) as s:
        assert s.get(Notification, n).emailed_at is None


class Killed(BaseException):
    """The worker process dying: nothing after it runs."""


class DiesAfterSending(Outbox):
    def _record(self, delivery_id, state, **kw):
        if state == DeliveryState.SENT:
            raise Killed()
        return super()._record(delivery_id, state, **kw)


def test_a_crash_between_send_and_record_never_sends_twice(fresh_engine, smtp_server):
    """At most once: the claim is committed before sending, so the message that may or may not have
    been recorded is not sent again; after the lease it is reported as unconfirmed."""
    with session_scope(fresh_engine) as s:
        person(s, "AU-4", "a4@example.org")
        n = notify(s, "AU-4")
    clock = Clock()
    settings = mail_settings(smtp_server.port)
    with pytest.raises(Killed):
        DiesAfterSending(engine=fresh_engine, settings=settings, clock=clock).send_pending()
    assert len(smtp_server.received) == 1
    assert deliveries(fresh_engine) == {n: DeliveryState.SENDING}

    restarted = Outbox(engine=fresh_engine, settings=settings, clock=clock)
    assert restarted.send_pending().sent == 0
    clock.now += CLAIM_LEASE + timedelta(seconds=1)
    later = restarted.send_pending()
    assert (later.sent, later.unconfirmed) == (0, 1)
    assert len(smtp_server.received) == 1
    assert deliveries(fresh_engine) == {n: DeliveryState.UNCONFIRMED}
    clock.now += timedelta(days=1)
    assert restarted.send_pending().sent == 0 and len(smtp_server.received) == 1


def test_a_server_that_is_down_is_retried_later_and_then_sent_once(fresh_engine):
    with session_scope(fresh_engine) as s:
        person(s, "AU-5", "a5@example.org")
        n = notify(s, "AU-5")
    clock = Clock()
    port = free_port()
    outbox = Outbox(engine=fresh_engine, settings=mail_settings(port), clock=clock)

    assert outbox.send_pending().retry == 1
    assert deliveries(fresh_engine) == {n: DeliveryState.RETRY}
    server = SmtpServer()
    server.port = port
    server.controller.port = port
    server.start()
    try:
        assert outbox.send_pending().sent == 0  # not due yet
        clock.now += timedelta(minutes=2)
        assert outbox.send_pending().sent == 1
        clock.now += timedelta(hours=1)
        assert outbox.send_pending().sent == 0
        assert [to for to, _ in server.received] == [["a5@example.org"]]
    finally:
        server.stop()
    with Session(fresh_engine) as s:
        row = s.exec(select(EmailDelivery)).one()
        assert (row.state, row.attempts) == (DeliveryState.SENT, 2)


def test_a_recipient_refused_for_good_is_not_retried(fresh_engine, smtp_server):
    smtp_server.handler.refuse["gone@example.org"] = "550 5.1.1 no such mailbox"
    with session_scope(fresh_engine) as s:
        person(s, "AU-6", "gone@example.org")
        person(s, "AU-7", "here@example.org")
        gone, here = notify(s, "AU-6"), notify(s, "AU-7")
    clock = Clock()
    outbox = Outbox(engine=fresh_engine, settings=mail_settings(smtp_server.port), clock=clock)
    result = outbox.send_pending()
    assert (result.sent, result.failed) == (1, 1)
    clock.now += timedelta(days=1)
    assert outbox.send_pending().failed == 0
    assert deliveries(fresh_engine) == {gone: DeliveryState.FAILED, here: DeliveryState.SENT}
    assert [to for to, _ in smtp_server.received] == [["here@example.org"]]


def test_people_without_address_inactive_or_old_notifications_are_skipped(fresh_engine, smtp_server):
    with session_scope(fresh_engine) as s:
        no_address = notify(s, person(s, "AU-8"))
        inactive = notify(s, person(s, "AU-9", "a9@example.org", active=False))
        old = notify(s, person(s, "AU-10", "a10@example.org"), created_at=NOW - timedelta(days=5))
    result = Outbox(engine=fresh_engine, settings=mail_settings(smtp_server.port), clock=Clock()).send_pending()
    assert (result.sent, result.skipped) == (0, 3)
    assert smtp_server.received == []
    assert deliveries(fresh_engine) == {no_address: "skipped", inactive: "skipped", old: "skipped"}


def test_two_senders_at_once_email_each_notification_once(fresh_engine, smtp_server):
    with session_scope(fresh_engine) as s:
        person(s, "AU-11", "a11@example.org")
        ids = [notify(s, "AU-11", subject=f"Approved: Plan {i}") for i in range(12)]
    settings = mail_settings(smtp_server.port)
    start = threading.Barrier(2)
    results = []

    def run():
        outbox = Outbox(engine=fresh_engine, settings=settings, clock=Clock())
        start.wait()
        results.append(outbox.send_pending())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subjects = sorted(m["Subject"] for _, m in smtp_server.received)
    assert subjects == sorted(f"[GCU review] Approved: Plan {i}" for i in range(12))
    assert sum(r.sent for r in results) == 12
    assert set(deliveries(fresh_engine).items()) == {(i, "sent") for i in ids}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_the_configured_credentials(fresh_engine):
    server = SmtpServer(credentials=("gcu", "s3cret")).start()
    try:
        with session_scope(fresh_engine) as s:
            person(s, "AU-12", "a12@example.org")
            notify(s, "AU-12")
        wrong = Outbox(
            engine=fresh_engine,
            settings=mail_settings(server.port, smtp_user="gcu", smtp_password="nope"),
            clock=Clock(),
        )
        assert wrong.send_pending().retry == 1 and server.received == []
        right = Outbox(
            engine=fresh_engine,
            settings=mail_settings(server.port, smtp_user="gcu", smtp_password="s3cret"),
            clock=Clock(NOW + timedelta(minutes=2)),
        )
        assert right.send_pending().sent == 1
        assert len(server.received) == 1
    finally:
        server.stop()


def test_an_operator_can_requeue_an_unconfirmed_delivery_and_nothing_else(fresh_engine, smtp_server):
    from notify.deliveries import list_deliveries, requeue

    with session_scope(fresh_engine) as s:
        person(s, "AU-13", "a13@example.org")
        notify(s, "AU-13")
    clock = Clock()
    settings = mail_settings(smtp_server.port)
    with pytest.raises(Killed):
        DiesAfterSending(engine=fresh_engine, settings=settings, clock=clock).send_pending()
    clock.now += CLAIM_LEASE + timedelta(seconds=1)
    outbox = Outbox(engine=fresh_engine, settings=settings, clock=clock)
    outbox.send_pending()
    with session_scope(fresh_engine) as s:
        (row,) = list_deliveries(session=s, state="unconfirmed")
        requeue(session=s, delivery_id=row.id)
    with session_scope(fresh_engine) as s, pytest.raises(ValueError, match="retry"):
        requeue(session=s, delivery_id=row.id)
    # The requeued delivery is due from now; utcnow() is later than the test clock's fixed NOW.
    clock.now = datetime.now(UTC) + timedelta(seconds=1)
    assert outbox.send_pending().sent == 1
    assert len(smtp_server.received) == 2
