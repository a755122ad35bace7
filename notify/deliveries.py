"""The outbox ledger for operators: list deliveries, and requeue one an operator has checked (an
`unconfirmed` delivery the mail server's log shows was never accepted, or a `failed` one whose
cause is fixed). Requeueing is the one deliberate way to send something a second time."""

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.summary_tables import DeliveryState, EmailDelivery
from models.tables import utcnow

REQUEUEABLE = (DeliveryState.UNCONFIRMED, DeliveryState.FAILED, DeliveryState.SKIPPED)


class DeliveryRow(BaseModel):
    id: int
    key: str
    state: str
    recipient_id: str | None
    to_address: str
    attempts: int
    claimed_at: str
    sent_at: str | None
    error: str | None


def list_deliveries(*, session: Session, state: str | None = None, limit: int = 100) -> list[DeliveryRow]:
    query = select(EmailDelivery).order_by(col(EmailDelivery.id).desc()).limit(limit)
    if state:
        query = query.where(EmailDelivery.state == state)
    return [
        DeliveryRow(
            id=d.id,
            key=d.key,
            state=d.state,
            recipient_id=d.recipient_id,
            to_address=d.to_address,
            attempts=d.attempts,
            claimed_at=d.claimed_at.isoformat(),
            sent_at=d.sent_at.isoformat() if d.sent_at else None,
            error=d.error,
        )
        for d in session.exec(query)
    ]


def requeue(*, session: Session, delivery_id: int) -> EmailDelivery:
    row = session.get(EmailDelivery, delivery_id)
    if row is None:
        raise LookupError(f"no email delivery {delivery_id}")
    if row.state not in REQUEUEABLE:
        raise ValueError(f"delivery {delivery_id} is {row.state}; only {', '.join(REQUEUEABLE)} can be requeued")
    row.state, row.next_attempt_at, row.attempts = DeliveryState.RETRY, utcnow(), 0
    session.flush()
    return row
