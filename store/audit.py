"""The append-only audit trail: one global hash chain over every recorded transition.

hash = sha256(prev_hash + canonical JSON of the event's fields). An append locks the one-row
`audit_chain_head` (an UPDATE: a row lock on PostgreSQL, the writer lock on SQLite) until its
transaction commits, so two activities appending at the same time queue up instead of forking the
chain; callers write their other rows first, so the lock is held briefly. Verification walks
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
from sqlmodel import Session, select, col

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


class ChainHead(BaseModel):
    last_hash: str
    length: int


_HEAD = AuditChainHead.__table__
_EVENTS = AuditEvent.__table__


def lock_chain(*, session: Session) -> ChainHead:
    """Take the chain lock for the rest of the transaction and return the current head.

    One statement (an UPDATE ... RETURNING): every append waits here, so the lock is taken as late
    as possible and held for as few round trips as possible."""
    row = session.execute(
        sa.update(_HEAD).where(_HEAD.c.id == 1).values(length=_HEAD.c.length)
        .returning(_HEAD.c.last_hash, _HEAD.c.length)
    ).one_or_none()
    if row is None:
        raise RuntimeError("audit_chain_head row missing: run the database migrations")
    return ChainHead(last_hash=row.last_hash, length=row.length)


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
    """Append one event at the end of the chain, inside the caller's transaction.

    A second event for the same (workflow_id, transition_seq) raises sqlalchemy's IntegrityError
    (the table's unique constraint); the caller's transaction must then be rolled back."""
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
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
    session.flush()  # the caller's own pending writes go first, outside the chain lock
    head = lock_chain(session=session)
    digest = event_hash(head.last_hash, fields)
    event_id = session.execute(
        sa.insert(_EVENTS).values(**fields, prev_hash=head.last_hash, hash=digest).returning(_EVENTS.c.id)
    ).scalar_one()
    session.execute(
        sa.update(_HEAD).where(_HEAD.c.id == 1).values(last_event_id=event_id, last_hash=digest, length=head.length + 1)
    )
    return AuditEvent(id=event_id, **fields, prev_hash=head.last_hash, hash=digest)


def find_event(*, session: Session, workflow_id: str, transition_seq: int) -> AuditEvent | None:
    return session.exec(
        select(AuditEvent).where(AuditEvent.workflow_id == workflow_id, AuditEvent.transition_seq == transition_seq)
    ).one_or_none()


def event_ids(*, session: Session, workflow_id: str, seqs: list[int]) -> dict[int, int]:
    """transition_seq -> event id, for those of `seqs` the workflow has an event for."""
    rows = session.execute(
        sa.select(col(AuditEvent.transition_seq), col(AuditEvent.id))
        .where(col(AuditEvent.workflow_id) == workflow_id, col(AuditEvent.transition_seq).in_(seqs))
    ).all()
    return {seq: event_id for seq, event_id in rows}


def list_events(*, session: Session, product_id: str) -> list[AuditEventPublic]:
    """The audit history of one product, oldest first."""
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.product_id) == product_id).order_by(col(AuditEvent.id)))
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

    head = session.execute(sa.select(AuditChainHead.__table__).where(col(AuditChainHead.id) == 1)).one_or_none()
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
