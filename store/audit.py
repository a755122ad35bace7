"""The append-only audit trail: one global hash chain over every recorded transition.

hash = sha256(prev_hash + canonical JSON of the event's fields). Appends lock the one-row
`audit_chain_head` first (an UPDATE: a row lock on PostgreSQL, the writer lock on SQLite), so two
activities appending at the same time queue up instead of forking the chain. Verification walks
the chain in id order and compares its end with the head, so an edited, deleted, reordered or
truncated trail is detected. Database triggers refuse UPDATE and DELETE on audit_event as well.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, select

from models.tables import AuditChainHead, AuditEvent, AuditEventPublic

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "workflow_id",
    "transition_seq",
    "product_id",
    "action",
    "actor_id",
    "from_state",
    "to_state",
    "reason",
    "at",
    "details",
)


class ChainReport(BaseModel):
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def canonical_json(event: Any) -> str:
    """`event`: an AuditEvent, a result row of audit_event, or a mapping of HASHED_FIELDS."""
    get = event.get if isinstance(event, Mapping) else lambda name: getattr(event, name)
    fields: dict[str, Any] = {name: get(name) for name in HASHED_FIELDS}
    at = fields["at"]
    if isinstance(at, datetime):
        fields["at"] = at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    fields["details"] = dict(fields["details"] or {})
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, event: Any) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event)).encode("utf-8")).hexdigest()


def lock_chain(*, session: Session) -> AuditChainHead:
    """Take the chain lock for the rest of the transaction and return the current head."""
    session.execute(
        sa.update(AuditChainHead).where(AuditChainHead.id == 1).values(length=AuditChainHead.length)
    )
    head = session.exec(
        select(AuditChainHead).where(AuditChainHead.id == 1).execution_options(populate_existing=True)
    ).one_or_none()
    if head is None:
        raise RuntimeError("audit_chain_head row missing: run the database migrations")
    return head


def append_event(
    *,
    session: Session,
    workflow_id: str,
    transition_seq: int,
    action: str,
    at: datetime,
    product_id: str | None = None,
    actor_id: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event at the end of the chain, inside the caller's transaction."""
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    head = lock_chain(session=session)
    fields = {
        "workflow_id": workflow_id,
        "transition_seq": transition_seq,
        "product_id": product_id,
        "action": str(action),
        "actor_id": actor_id,
        "from_state": None if from_state is None else str(from_state),
        "to_state": None if to_state is None else str(to_state),
        "reason": reason,
        # Stored times keep microseconds at most; hash exactly what will be read back.
        "at": at.astimezone(timezone.utc),
        "details": dict(details or {}),
    }
    event = AuditEvent(**fields, prev_hash=head.last_hash, hash=event_hash(head.last_hash, fields))
    session.add(event)
    session.flush()
    head.last_event_id = event.id
    head.last_hash = event.hash
    head.length = head.length + 1
    session.add(head)
    session.flush()
    return event


def find_event(*, session: Session, workflow_id: str, transition_seq: int) -> AuditEvent | None:
    return session.exec(
        select(AuditEvent).where(AuditEvent.workflow_id == workflow_id, AuditEvent.transition_seq == transition_seq)
    ).one_or_none()


def list_events(*, session: Session, product_id: str) -> list[AuditEventPublic]:
    """The audit history of one product, oldest first."""
    rows = session.exec(select(AuditEvent).where(AuditEvent.product_id == product_id).order_by(AuditEvent.id))
    return [AuditEventPublic.model_validate(row, from_attributes=True) for row in rows]


def verify_chain(*, session: Session, batch_size: int = 1000) -> ChainReport:
    expected_prev = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    after_id = 0
    while True:
        # Plain rows, not entities: a long trail must not pile up in the caller's identity map.
        table = AuditEvent.__table__
        batch = session.execute(
            sa.select(table).where(table.c.id > after_id).order_by(table.c.id).limit(batch_size)
        ).all()
        if not batch:
            break
        for event in batch:
            if event.prev_hash != expected_prev:
                return ChainReport(
                    ok=False,
                    checked=checked,
                    first_broken_id=event.id,
                    problem=f"event {event.id} does not follow the event before it: "
                    "an event was deleted or events were reordered",
                )
            if event_hash(event.prev_hash, event) != event.hash:
                return ChainReport(
                    ok=False,
                    checked=checked,
                    first_broken_id=event.id,
                    problem=f"event {event.id} was edited: its contents do not match its hash",
                )
            expected_prev = event.hash
            checked += 1
            last_id = event.id
        after_id = batch[-1].id

    head = session.execute(sa.select(AuditChainHead.__table__).where(AuditChainHead.id == 1)).one_or_none()
    if head is None:
        return ChainReport(ok=False, checked=checked, problem="audit_chain_head row missing")
    if head.length != checked or head.last_hash != expected_prev:
        return ChainReport(
            ok=False,
            checked=checked,
            first_broken_id=head.last_event_id if head.last_event_id != last_id else None,
            problem=f"the chain head records {head.length} events ending at event {head.last_event_id}, "
            f"but {checked} linked events end at event {last_id}: events were deleted from the end",
        )
    return ChainReport(ok=True, checked=checked)
