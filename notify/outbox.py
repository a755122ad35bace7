"""The email outbox: sends in-app notifications (and compliance summaries) by email, row by row, at
most once each.

Only recorded things are sent: a notification is written in the transaction of its audit event
(activities/review.py), so anything the outbox can read is already durably recorded.

Once-only, and why "at most once". Each email has a key ("notification:<id>", "summary:<id>") and
goes through three steps, each its own transaction or network exchange:

1. claim: insert the `email_delivery` row for the key (unique) in state `sending` and commit. Two
   senders racing for a key: one insert wins, the other gets an IntegrityError and moves on
   (portable to SQLite and PostgreSQL, no row locks held while talking to the mail server).
2. send over SMTP.
3. record: `sent` (and stamp notification.emailed_at / summary.emailed_at), or the failure.

A crash between 2 and 3 leaves the row in `sending`. Nothing tells us whether the server accepted
the message, so the outbox does not send it again: after `CLAIM_LEASE` the row becomes
`unconfirmed` and stays visible for an operator (`gcu-review notify deliveries --state unconfirmed`,
`gcu-review notify requeue ID` after checking the mail server's log). We chose at-most-once because
the brief says "never twice for one event" and every notification stays readable in the app, so a
lost email loses no information; at-least-once (send, then mark) would email twice after such a
crash. Failures where the server certainly did not take the message (no connection, 4xx) are
retried with back-off; 5xx refusals fail for good. A stable Message-ID per key lets mail clients
fold a hand-made re-send into the original.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.summary_messages import OutboxResult
from models.summary_tables import ComplianceSummary, DeliveryState, EmailDelivery
from models.tables import Notification, Staff, utcnow
from notify.mailer import MailConnection, Mailer, MailNotSent, MailOutcomeUnknown
from notify.render import Attachment, EmailContent, EmailRenderer, build_message, message_id_for
from settings import Settings
from store.db import execute_dml, get_existing, session_scope
from store.notifications import mark_emailed

log = logging.getLogger("gcu_review.outbox")

CLAIM_LEASE = timedelta(minutes=10)  # longer than any one SMTP exchange (timeout: smtp_timeout_seconds)
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TAKEN = "taken"  # another sender holds the key


class Prepared(NamedTuple):
    """What a key's email needs; skip_reason instead when there is nothing to send."""

    recipient_id: str | None
    to_address: str = ""
    to_name: str | None = None
    content: EmailContent | None = None
    attachments: list[Attachment] = []
    skip_reason: str | None = None


def notification_key(notification_id: int) -> str:
    return f"notification:{notification_id}"


def summary_key(summary_id: int) -> str:
    return f"summary:{summary_id}"


class Outbox:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        settings: Settings,
        mailer: Mailer | None = None,
        renderer: EmailRenderer | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.settings = settings
        self.mailer = mailer or Mailer(settings)
        self.renderer = renderer or EmailRenderer(settings)
        self.clock = clock

    # ------------------------------------------------------------------ public

    def send_pending(self, *, limit: int = 200, progress: Callable[[], None] | None = None) -> OutboxResult:
        """Email the pending notifications, oldest first; nothing at all when SMTP is not configured."""
        result = OutboxResult(smtp_configured=self.mailer.configured)
        if not self.mailer.configured:
            return result
        result.unconfirmed += self.expire_stale_claims()
        ids = self._pending_notification_ids(limit)
        summary_ids = self._summary_retries_due()
        if not ids and not summary_ids:
            return result
        with self.mailer.connection() as conn:
            for notification_id in ids:
                outcome = self._deliver(
                    conn,
                    notification_key(notification_id),
                    partial(self._prepare_notification, notification_id=notification_id),
                    notification_id=notification_id,
                )
                _count(result, outcome)
                if progress:
                    progress()
            for summary_id in summary_ids:  # summaries whose email could not be handed over at first
                self._deliver(
                    conn,
                    summary_key(summary_id),
                    partial(self._prepare_summary, summary_id=summary_id),
                    summary_id=summary_id,
                )
        return result

    def send_summary(self, summary_id: int) -> str:
        """Email one stored summary to its Deputy Prosecutor, PDF attached; the delivery state."""
        if not self.mailer.configured:
            return "not_configured"
        with self.mailer.connection() as conn:
            return self._deliver(
                conn,
                summary_key(summary_id),
                partial(self._prepare_summary, summary_id=summary_id),
                summary_id=summary_id,
            )

    def expire_stale_claims(self) -> int:
        """Claims left in `sending` longer than CLAIM_LEASE: their sender died between send and
        record. They become `unconfirmed`, never sent again automatically."""
        with session_scope(self.engine) as session:
            result = execute_dml(
                session,
                sa.update(EmailDelivery)
                .where(
                    col(EmailDelivery.state) == DeliveryState.SENDING,
                    col(EmailDelivery.claimed_at) < self.clock() - CLAIM_LEASE,
                )
                .values(
                    state=DeliveryState.UNCONFIRMED,
                    error="the sender stopped between sending and recording the outcome; not re-sent",
                ),
            )
            if result.rowcount:
                log.warning("%d email deliveries unconfirmed (sender crashed mid-send)", result.rowcount)
            return result.rowcount

    # ------------------------------------------------------------------ steps

    def _pending_notification_ids(self, limit: int) -> list[int]:
        now = self.clock()
        with Session(self.engine) as session:
            never_tried = (
                select(Notification.id)
                .outerjoin(EmailDelivery, col(EmailDelivery.notification_id) == col(Notification.id))
                .where(col(EmailDelivery.id).is_(None), col(Notification.emailed_at).is_(None))
            )
            retry_due = select(EmailDelivery.notification_id).where(
                col(EmailDelivery.notification_id).is_not(None),
                col(EmailDelivery.state) == DeliveryState.RETRY,
                col(EmailDelivery.next_attempt_at) <= now,
            )
            ids = {
                i for i in session.exec(never_tried.order_by(col(Notification.id)).limit(limit)).all() if i is not None
            }
            ids |= {
                i
                for i in session.exec(retry_due.order_by(col(EmailDelivery.notification_id)).limit(limit)).all()
                if i is not None
            }
        return sorted(ids)[:limit]

    def _summary_retries_due(self) -> list[int]:
        with Session(self.engine) as session:
            due = session.exec(
                select(EmailDelivery.summary_id)
                .where(
                    col(EmailDelivery.summary_id).is_not(None),
                    col(EmailDelivery.state) == DeliveryState.RETRY,
                    col(EmailDelivery.next_attempt_at) <= self.clock(),
                )
                .order_by(col(EmailDelivery.summary_id))
            ).all()
            return [i for i in due if i is not None]

    def _deliver(self, conn: MailConnection, key: str, prepare: Callable[[Session, bool], Prepared], **refs) -> str:
        claimed = self._claim(key, prepare, refs)
        if isinstance(claimed, str):
            return claimed
        delivery_id, prepared = claimed
        assert prepared.content is not None  # only a skipped email has none, and _claim returned for it
        try:
            message = build_message(
                prepared.content,
                settings=self.settings,
                to_address=prepared.to_address,
                to_name=prepared.to_name,
                message_id=message_id_for(key, self.settings),
                attachments=prepared.attachments,
            )
            conn.send(message)
        except MailOutcomeUnknown as exc:
            return self._record(delivery_id, DeliveryState.UNCONFIRMED, error=str(exc))
        except MailNotSent as exc:
            return self._record_not_sent(delivery_id, str(exc), permanent=exc.permanent)
        except Exception as exc:
            return self._record_not_sent(delivery_id, f"{type(exc).__name__}: {exc}", permanent=False)
        return self._record(delivery_id, DeliveryState.SENT, key=key)

    def _claim(self, key: str, prepare: Callable[[Session, bool], Prepared], refs: dict) -> str | tuple[int, Prepared]:
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                existing = session.exec(select(EmailDelivery).where(EmailDelivery.key == key)).first()
                if existing is not None and not (
                    existing.state == DeliveryState.RETRY
                    and existing.next_attempt_at
                    and existing.next_attempt_at <= now
                ):
                    return f"already_{existing.state}"
                prepared = prepare(session, existing is None)
                state = DeliveryState.SKIPPED if prepared.skip_reason else DeliveryState.SENDING
                fields: dict[str, Any] = dict(
                    recipient_id=prepared.recipient_id,
                    to_address=prepared.to_address,
                    message_id=message_id_for(key, self.settings),
                    claimed_at=now,
                    error=prepared.skip_reason,
                )
                if existing is None:
                    row = EmailDelivery(
                        key=key, state=state, attempts=0 if prepared.skip_reason else 1, **fields, **refs
                    )
                    session.add(row)
                    session.flush()
                    assert row.id is not None  # assigned by the flush
                    delivery_id = row.id
                else:
                    # Compare-and-set: only one sender moves a due retry back to `sending`.
                    taken = execute_dml(
                        session,
                        sa.update(EmailDelivery)
                        .where(col(EmailDelivery.id) == existing.id, col(EmailDelivery.state) == DeliveryState.RETRY)
                        .values(
                            state=state,
                            attempts=EmailDelivery.attempts + (0 if prepared.skip_reason else 1),
                            next_attempt_at=None,
                            **fields,
                        ),
                    ).rowcount
                    if not taken:
                        return TAKEN
                    assert existing.id is not None
                    delivery_id = existing.id
        except sa.exc.IntegrityError:
            return TAKEN
        return DeliveryState.SKIPPED.value if prepared.skip_reason else (delivery_id, prepared)

    def _record(
        self, delivery_id: int, state: DeliveryState, *, key: str | None = None, error: str | None = None
    ) -> str:
        now = self.clock()
        with session_scope(self.engine) as session:
            row = get_existing(session, EmailDelivery, delivery_id)
            row.state = state
            row.error = error
            if state == DeliveryState.SENT:
                row.sent_at = now
                if row.notification_id is not None:
                    mark_emailed(session=session, notification_id=row.notification_id, at=now)
                if row.summary_id is not None:
                    summary = get_existing(session, ComplianceSummary, row.summary_id)
                    summary.emailed_at = summary.emailed_at or now
            session.flush()
        return state.value

    def _record_not_sent(self, delivery_id: int, error: str, *, permanent: bool) -> str:
        with session_scope(self.engine) as session:
            attempts = get_existing(session, EmailDelivery, delivery_id).attempts
        if permanent or attempts >= MAX_ATTEMPTS:
            log.error("email delivery %s failed: %s", delivery_id, error)
            return self._record(delivery_id, DeliveryState.FAILED, error=error)
        with session_scope(self.engine) as session:
            row = get_existing(session, EmailDelivery, delivery_id)
            row.state, row.error = DeliveryState.RETRY, error
            row.next_attempt_at = self.clock() + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
        return DeliveryState.RETRY.value

    # ------------------------------------------------------------------ what to send

    def _recipient(self, session: Session, staff_id: str) -> tuple[Staff | None, str | None]:
        staff = session.get(Staff, staff_id)
        if staff is None:
            return None, f"{staff_id} is not in the register"
        if not staff.active:
            return None, f"{staff_id} is no longer active"
        if not (staff.email or "").strip():
            return None, f"{staff_id} has no email address in the register"
        return staff, None

    def _prepare_notification(self, session: Session, first: bool, *, notification_id: int) -> Prepared:
        n = get_existing(session, Notification, notification_id)
        too_old = self.clock() - timedelta(hours=self.settings.mail_max_age_hours)
        if first and n.created_at < too_old:  # a retry or an operator's requeue is sent whatever its age
            return Prepared(
                n.recipient_id, skip_reason=f"older than mail_max_age_hours ({self.settings.mail_max_age_hours})"
            )
        staff, why_not = self._recipient(session, n.recipient_id)
        if staff is None:
            return Prepared(n.recipient_id, skip_reason=why_not)
        content = self.renderer.notification(n, staff.name or staff.id)
        return Prepared(staff.id, (staff.email or "").strip(), staff.name, content)

    def _prepare_summary(self, session: Session, _first: bool = False, *, summary_id: int) -> Prepared:
        from summaries.store import public_of

        summary = session.get(ComplianceSummary, summary_id)
        if summary is None:
            return Prepared(None, skip_reason=f"summary {summary_id} does not exist")
        staff, why_not = self._recipient(session, summary.deputy_prosecutor_id)
        if staff is None:
            return Prepared(summary.deputy_prosecutor_id, skip_reason=why_not)
        content = self.renderer.summary(public_of(summary), staff.name or staff.id)
        attachment = Attachment(
            filename=f"compliance-summary-{summary.deputy_prosecutor_id}-{summary.period_start.isoformat()}.pdf",
            content=summary.pdf,
        )
        return Prepared(staff.id, (staff.email or "").strip(), staff.name, content, [attachment])


def _count(result: OutboxResult, outcome: str) -> None:
    field = {
        "sent": "sent",
        "retry": "retry",
        "failed": "failed",
        "skipped": "skipped",
        "unconfirmed": "unconfirmed",
        TAKEN: "taken_by_other_sender",
    }.get(outcome)
    if outcome.startswith("already_"):
        field = "taken_by_other_sender"  # a concurrent sender finished it between our read and claim
    if field:
        setattr(result, field, getattr(result, field) + 1)
