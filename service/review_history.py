"""A review's whole history, for the status the API and the CLI show.

The workflow keeps only its current run's transitions: since the patch history-left-in-database, a
run started by continue-as-new carries none (a review open for months grew every run's input with
them). Every transition is in the audit trail, keyed on (workflow id, transition number), so the
transitions before the first one the workflow answers are read from there.
"""

import asyncio

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.messages import ReviewStatus, TransitionRecord
from models.tables import AuditEvent


def _complete(status: ReviewStatus) -> bool:
    return bool(status.history) and status.history[0].seq == 1


def earlier_transitions(*, db_engine: sa.Engine, workflow_id: str, before_seq: int | None) -> list[TransitionRecord]:
    """The recorded transitions of `workflow_id` numbered below `before_seq` (all: None), in order."""
    query = select(AuditEvent).where(col(AuditEvent.workflow_id) == workflow_id)
    if before_seq is not None:
        query = query.where(col(AuditEvent.transition_seq) < before_seq)
    with Session(db_engine) as session:
        events = session.exec(query.order_by(col(AuditEvent.transition_seq))).all()
        return [
            TransitionRecord(
                seq=e.transition_seq,
                action=e.action,
                actor_id=e.actor_id,
                from_state=e.from_state,
                to_state=e.to_state,
                reason=e.reason,
                at=e.at,
                details={k: str(v) for k, v in (e.details or {}).items()},
            )
            for e in events
        ]


async def with_full_history(*, db_engine: sa.Engine, status: ReviewStatus) -> ReviewStatus:
    """`status` with the transitions of the runs before the current one, read from the audit trail."""
    if _complete(status):
        return status
    before = status.history[0].seq if status.history else None
    earlier = await asyncio.to_thread(
        earlier_transitions, db_engine=db_engine, workflow_id=status.workflow_id, before_seq=before
    )
    return status.model_copy(update={"history": [*earlier, *status.history]})
