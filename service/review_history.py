"""A review's history read from its audit events, for the answer of a reviewer's action.

The answer of an update leaves the history out (it is written into the workflow's own history);
asking the workflow for it with the `status` query costs a second round trip through Temporal to a
worker, about as long as the update itself. Every entry of the history is mirrored by exactly one
audit event, recorded (and committed) before the workflow adopts the state it leads to, so the
database has it by the time the update answers: one indexed read instead.
"""

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.messages import TransitionRecord
from store import audit


def recorded_history(db_engine: Engine, workflow_id: str, changed: TransitionRecord) -> list[TransitionRecord] | None:
    """The history of review `workflow_id` as recorded, or None when the records do not hold
    `changed` (the transition the answer names) exactly as the workflow has it: the caller asks
    the workflow then."""
    with Session(db_engine) as session:
        events = audit.workflow_events(session=session, workflow_id=workflow_id)
    try:
        history = [
            TransitionRecord(
                seq=e.transition_seq,
                action=e.action,
                actor_id=e.actor_id,
                from_state=e.from_state,
                to_state=e.to_state,
                reason=e.reason,
                at=e.at,
                details=e.details,
            )
            for e in events
        ]
    except ValidationError:  # an event the current enums do not know: the workflow's own answer is right
        return None
    if not any(record == changed for record in history):
        return None
    return history
