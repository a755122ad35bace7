"""A review's history read from its audit events: every entry of the workflow's history is mirrored
by exactly one audit event, keyed on (workflow id, transition number), recorded and committed before
the workflow adopts the state it leads to.

Two readers:
- the answer of a reviewer's action (`recorded_history`): the update's answer leaves the history out
  (it is written into the workflow's own history), and asking the workflow with the `status` query
  costs a second round trip through Temporal to a worker; one indexed read instead;
- the status the API and the CLI show (`with_full_history`): since the patch
  history-left-in-database a run started by continue-as-new carries none of the earlier runs'
  transitions (a review open for months grew every run's input with them), so those are read here.
"""

import asyncio
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from models.messages import ReviewStatus, TransitionRecord
from store import audit


def _records(events: Iterable[Any]) -> list[TransitionRecord]:
    """`events`: rows of store.audit.TRANSITION_COLUMNS."""
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


def recorded_history(
    db_engine: sa.Engine, workflow_id: str, changed: TransitionRecord
) -> list[TransitionRecord] | None:
    """The history of review `workflow_id` as recorded, or None when the records do not hold
    `changed` (the transition the answer names) exactly as the workflow has it: the caller asks
    the workflow then."""
    with Session(db_engine) as session:
        events = audit.workflow_events(session=session, workflow_id=workflow_id)
        try:
            history = _records(events)
        except ValidationError:  # an event the current enums do not know: the workflow's own answer is right
            return None
    if not any(record == changed for record in history):
        return None
    return history


def earlier_transitions(*, db_engine: sa.Engine, workflow_id: str, before_seq: int | None) -> list[TransitionRecord]:
    """The recorded transitions of `workflow_id` numbered below `before_seq` (all: None), in order."""
    with Session(db_engine) as session:
        return _records(audit.workflow_events(session=session, workflow_id=workflow_id, before_seq=before_seq))


def _complete(status: ReviewStatus) -> bool:
    return bool(status.history) and status.history[0].seq == 1


async def with_full_history(*, db_engine: sa.Engine, status: ReviewStatus) -> ReviewStatus:
    """`status` with the transitions of the runs before the current one, read from the audit trail."""
    if _complete(status):
        return status
    before = status.history[0].seq if status.history else None
    earlier = await asyncio.to_thread(
        earlier_transitions, db_engine=db_engine, workflow_id=status.workflow_id, before_seq=before
    )
    return status.model_copy(update={"history": [*earlier, *status.history]})
