"""The append-only audit trail: one global hash chain over every recorded transition.

hash = sha256(prev_hash + canonical JSON of the event's fields). An append locks the one-row
`audit_chain_head` (an UPDATE: a row lock on PostgreSQL, the writer lock on SQLite) until its
transaction commits, so two activities appending at the same time queue up instead of forking the
chain; callers write their other rows first, so the lock is held briefly. Verification walks
the chain in id order and compares its end with the head, so an edited, deleted, reordered or
truncated trail is detected. Database triggers refuse UPDATE and DELETE on audit_event as well.

Since issue 15 the link is keyed: hash = HMAC-SHA256(key, key_id + prev_hash + canonical JSON), with
a key the application holds and the database never sees (store/audit_keys.py), so write access to
the database is no longer enough to rewrite the trail and recompute it. Events from before carry
no key id and keep their SHA-256; none may follow a keyed one. Checkpoints of the head recorded
outside the database (workflows/audit_anchor.py) catch a rewound tail: `verify_chain(anchors=...)`.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.audit_messages import AnchoredHead
from models.tables import AuditChainHead, AuditEvent, AuditEventPublic, Decision, Notification, table_of
from store.audit_keys import Keyring, application_keyring

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
        fields["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    fields["details"] = dict(fields["details"] or {})
    # Hashed only when recorded, so the events written before channels were keep their hashes.
    channel = get("channel") if isinstance(event, Mapping) else getattr(event, "channel", None)
    if channel is not None:
        fields["channel"] = channel
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, event: Any) -> str:
    """The unkeyed link of events from before the chain was keyed (key_id None)."""
    return hashlib.sha256((prev_hash + canonical_json(event)).encode("utf-8")).hexdigest()


def sealed_hash(prev_hash: str, event: Any, *, keyring: Keyring, key_id: str) -> str:
    return keyring.seal(key_id, prev_hash + canonical_json(event))


class ChainHead(BaseModel):
    last_hash: str
    length: int


_HEAD = table_of(AuditChainHead)
_EVENTS = table_of(AuditEvent)


def lock_chain(*, session: Session) -> ChainHead:
    """Take the chain lock for the rest of the transaction and return the current head.

    One statement (an UPDATE ... RETURNING): every append waits here, so the lock is taken as late
    as possible and held for as few round trips as possible."""
    row = session.execute(
        sa.update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(length=_HEAD.c.length)
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
    channel: str | None = None,
    keyring: Keyring | None = None,
) -> AuditEvent:
    """Append one event at the end of the chain, inside the caller's transaction.

    A second event for the same (workflow_id, transition_seq) raises sqlalchemy's IntegrityError
    (the table's unique constraint); the caller's transaction must then be rolled back."""
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    fields: dict[str, Any] = {
        "workflow_id": workflow_id,
        "transition_seq": transition_seq,
        "product_id": product_id,
        "action": str(action),
        "actor_id": actor_id,
        "from_state": None if from_state is None else str(from_state),
        "to_state": None if to_state is None else str(to_state),
        "reason": reason,
        # Stored times keep microseconds at most; hash exactly what will be read back.
        "at": at.astimezone(UTC),
        "details": dict(details or {}),
        "channel": None if channel is None else str(channel),
    }
    keyring = keyring or application_keyring()
    session.flush()  # the caller's own pending writes go first, outside the chain lock
    head = lock_chain(session=session)
    digest = sealed_hash(head.last_hash, fields, keyring=keyring, key_id=keyring.current_id)
    event_id = session.execute(
        sa.insert(_EVENTS)
        .values(**fields, prev_hash=head.last_hash, hash=digest, key_id=keyring.current_id)
        .returning(_EVENTS.c.id)
    ).scalar_one()
    session.execute(
        sa.update(_HEAD).where(_HEAD.c.id == 1).values(last_event_id=event_id, last_hash=digest, length=head.length + 1)
    )
    return AuditEvent(id=event_id, **fields, prev_hash=head.last_hash, hash=digest, key_id=keyring.current_id)


def current_head(*, session: Session, at: datetime) -> AnchoredHead:
    """The head as it stands (no lock: a checkpoint of a committed state)."""
    head = session.execute(sa.select(_HEAD).where(_HEAD.c.id == 1)).one_or_none()
    if head is None:
        raise RuntimeError("audit_chain_head row missing: run the database migrations")
    return AnchoredHead(length=head.length, last_event_id=head.last_event_id, last_hash=head.last_hash, recorded_at=at)


def find_event(*, session: Session, workflow_id: str, transition_seq: int) -> AuditEvent | None:
    return session.exec(
        select(AuditEvent).where(AuditEvent.workflow_id == workflow_id, AuditEvent.transition_seq == transition_seq)
    ).one_or_none()


def event_ids(*, session: Session, workflow_id: str, seqs: list[int]) -> dict[int, int]:
    """transition_seq -> event id, for those of `seqs` the workflow has an event for."""
    rows = session.execute(
        sa.select(col(AuditEvent.transition_seq), col(AuditEvent.id)).where(
            col(AuditEvent.workflow_id) == workflow_id, col(AuditEvent.transition_seq).in_(seqs)
        )
    ).all()
    return {seq: event_id for seq, event_id in rows}


# What a review's history is read from: plain rows of these columns, not ORM objects (every
# reviewer action's answer reads them; the identity map and the hash columns are not needed).
TRANSITION_COLUMNS = ("transition_seq", "action", "actor_id", "from_state", "to_state", "reason", "at", "details")


def workflow_events(*, session: Session, workflow_id: str, before_seq: int | None = None) -> Sequence[sa.Row[Any]]:
    """The events of one workflow (a review's transitions: one per entry of its history), by seq,
    as rows of TRANSITION_COLUMNS; with `before_seq`, only those numbered below it."""
    query = sa.select(*(_EVENTS.c[name] for name in TRANSITION_COLUMNS)).where(_EVENTS.c.workflow_id == workflow_id)
    if before_seq is not None:
        query = query.where(_EVENTS.c.transition_seq < before_seq)
    return session.connection().execute(query.order_by(_EVENTS.c.transition_seq)).all()


def list_events(*, session: Session, product_id: str) -> list[AuditEventPublic]:
    """The audit history of one product, oldest first."""
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.product_id) == product_id).order_by(col(AuditEvent.id)))
    return [AuditEventPublic.model_validate(row, from_attributes=True) for row in rows]


def _link_problem(event: Any, keyring: Keyring, seen_keyed: bool) -> str | None:
    if event.key_id is None:
        if seen_keyed:
            return (
                f"event {event.id} is sealed with the old unkeyed hash after keyed events: the trail from here "
                "was rewritten by someone without the application's key"
            )
        return (
            None
            if event_hash(event.prev_hash, event) == event.hash
            else f"event {event.id} was edited: its contents do not match its hash"
        )
    if event.key_id not in keyring.keys:
        return f"event {event.id} is sealed with key {event.key_id!r}, which this application does not hold (AUDIT_HMAC_KEYS)"
    if sealed_hash(event.prev_hash, event, keyring=keyring, key_id=event.key_id) != event.hash:
        return f"event {event.id} was edited: its contents do not match its keyed hash"
    return None


def _known_ids_after(session: Session, last_id: int, anchors: list[AnchoredHead]) -> list[int]:
    """Event ids beyond the end of the surviving chain that something still remembers: decisions and
    notifications point at their events, checkpoints at the last event they saw."""
    ids = {a.last_event_id for a in anchors if a.last_event_id is not None and a.last_event_id > last_id}
    for column in (col(Decision.audit_event_id), col(Notification.audit_event_id)):
        first = session.execute(sa.select(sa.func.min(column)).where(column > last_id)).scalar()
        if first is not None:
            ids.add(first)
    return sorted(ids)


def _missing_tail(
    session: Session,
    *,
    checked: int,
    last_id: int | None,
    expected_length: int,
    exact_at: dict[int, int | None],
    anchors: list[AnchoredHead],
    source: str,
) -> ChainReport:
    """Events were deleted from the end: name the first missing one, by its place in the chain and by
    its id (exact when a checkpoint or the head recorded that place; else the earliest id still
    referenced by a decision or notification; else the next id, as appends number them)."""
    first_position = checked + 1
    first_id, how = exact_at.get(first_position), ""
    if first_id is None:
        known = _known_ids_after(session, last_id or 0, anchors)
        first_id, how = (
            (known[0], " (the earliest still referenced)")
            if known
            else ((last_id or 0) + 1, " (by numbering: the id after the last surviving event)")
        )
    after = f"after event {last_id}" if last_id is not None else "at the start"
    return ChainReport(
        ok=False,
        checked=checked,
        first_broken_id=first_id,
        problem=f"{source} records {expected_length} events but the chain ends {after} with {checked}: "
        f"events were deleted from the end; the first missing is event {first_id}{how}, "
        f"number {first_position} of {expected_length} in the chain",
    )


def verify_chain(
    *,
    session: Session,
    batch_size: int = 1000,
    keyring: Keyring | None = None,
    anchors: list[AnchoredHead] | None = None,
) -> ChainReport:
    keyring = keyring or application_keyring()
    anchors = sorted(anchors or [], key=lambda a: a.length)
    anchored_at = {a.length: a for a in anchors if a.length > 0}
    expected_prev = GENESIS_HASH
    checked = 0
    seen_keyed = False
    last_id: int | None = None
    after_id = 0
    while True:
        # Plain rows, not entities: a long trail must not pile up in the caller's identity map.
        table = table_of(AuditEvent)
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
            problem = _link_problem(event, keyring, seen_keyed)
            if problem:
                return ChainReport(ok=False, checked=checked, first_broken_id=event.id, problem=problem)
            seen_keyed = seen_keyed or event.key_id is not None
            expected_prev = event.hash
            checked += 1
            last_id = event.id
            anchor = anchored_at.get(checked)
            if anchor is not None and (anchor.last_hash != event.hash or anchor.last_event_id != event.id):
                return ChainReport(
                    ok=False,
                    checked=checked,
                    first_broken_id=event.id,
                    problem=f"event {event.id} is not the event {checked} that the checkpoint of "
                    f"{anchor.recorded_at:%Y-%m-%d %H:%M:%S} UTC recorded outside the database: the trail up to it was rewritten",
                )
        after_id = batch[-1].id

    exact_at = {a.length: a.last_event_id for a in anchors}
    beyond = [a for a in anchors if a.length > checked]
    if beyond:
        return _missing_tail(
            session,
            checked=checked,
            last_id=last_id,
            expected_length=beyond[-1].length,
            exact_at=exact_at,
            anchors=anchors,
            source=f"the checkpoint of {beyond[-1].recorded_at:%Y-%m-%d %H:%M:%S} UTC (outside the database)",
        )
    head = session.execute(sa.select(table_of(AuditChainHead)).where(col(AuditChainHead.id) == 1)).one_or_none()
    if head is None:
        return ChainReport(ok=False, checked=checked, problem="audit_chain_head row missing")
    if head.length != checked or head.last_hash != expected_prev:
        if head.length > checked:
            return _missing_tail(
                session,
                checked=checked,
                last_id=last_id,
                expected_length=head.length,
                exact_at={**exact_at, head.length: head.last_event_id},
                anchors=anchors,
                source=f"the chain head (event {head.last_event_id})",
            )
        return ChainReport(
            ok=False,
            checked=checked,
            first_broken_id=head.last_event_id if head.last_event_id != last_id else None,
            problem=f"the chain head records {head.length} events ending at event {head.last_event_id}, "
            f"but {checked} linked events end at event {last_id}",
        )
    return ChainReport(ok=True, checked=checked)
