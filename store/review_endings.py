"""Recording an abnormal ending of a review's workflow (terminated, timed out, failed) in the audit
trail and the review projection, for the reconciliation in activities/review_endings.py.

The workflow is gone, so it cannot record its own ending: the event takes the next transition
number after the last one recorded for the workflow id (`gcu-review repair --restart` continues after
it), and `review.ended_run_id` makes a second recording of the same run a no-op. Two reconcilers
racing meet the unique (workflow_id, transition_seq) of audit_event; the loser's transaction is
rolled back whole and it reports the ending as already recorded.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.enums import TERMINAL_STATES, AuditChannel, NotificationKind, ReviewAction
from models.messages import NotifyTarget
from models.tables import AuditEvent, Product, Review, stored_id, table_of
from store import audit, notifications, recipients
from store.db import execute_dml, session_scope

# Who is told: the GCU head decides what happens next (restart, or record why not); the assignee
# would otherwise wait for a review that no longer moves.
TOLD = [NotifyTarget(relation="gcu_head"), NotifyTarget(relation="assignee")]


@dataclass(frozen=True)
class Outcome:
    recorded: bool  # False: recorded before, or the review is not open
    open: bool
    state: str = ""
    audit_event_id: int | None = None


def last_recorded_seq(*, session: Session, workflow_id: str) -> int:
    """The highest transition number recorded for `workflow_id` (0: none)."""
    seq = session.execute(
        sa.select(sa.func.max(col(AuditEvent.transition_seq))).where(col(AuditEvent.workflow_id) == workflow_id)
    ).scalar()
    return int(seq or 0)


def clear_ending(*, session: Session, product_id: str) -> None:
    """A restart (the `restart` transition) ends the abnormal ending: the review runs again."""
    reviews = table_of(Review)
    execute_dml(
        session,
        sa.update(reviews)
        .where(reviews.c.product_id == product_id, reviews.c.workflow_ended.is_not(None))
        .values(workflow_ended=None, ended_run_id=None),
    )


def record_workflow_ending(
    *, db_engine: sa.Engine, product_id: str, workflow_id: str, run_id: str, ended: str, at: datetime
) -> Outcome:
    """Record that `workflow_id`'s run `run_id` ended `ended` at `at`, if its review is still open
    and this run's ending is not recorded yet. One transaction."""
    try:
        with session_scope(db_engine) as session:
            review = session.exec(select(Review).where(col(Review.product_id) == product_id)).first()
            if review is None or review.state in TERMINAL_STATES or review.workflow_id != workflow_id:
                return Outcome(recorded=False, open=False)
            if review.ended_run_id == run_id:
                return Outcome(recorded=False, open=True, state=review.state)
            product = session.get(Product, product_id)
            seq = last_recorded_seq(session=session, workflow_id=workflow_id) + 1
            reviews = table_of(Review)
            execute_dml(
                session,
                sa.update(reviews)
                .where(reviews.c.product_id == product_id)
                .values(workflow_ended=ended, ended_run_id=run_id, updated_at=at),
            )
            event = audit.append_event(
                session=session,
                workflow_id=workflow_id,
                transition_seq=seq,
                product_id=product_id,
                action=ReviewAction.WORKFLOW_ENDED,
                from_state=review.state,
                to_state=review.state,
                reason=f"the review's workflow {ended} while {review.state}; an operator restarts it with "
                "`gcu-review repair --restart`",
                at=at,
                details={"ended": ended, "run_id": run_id},
                channel=AuditChannel.SYSTEM,
            )
            told = (
                recipients.resolve_targets(session=session, targets=TOLD, product=product, assignee=review.assignee_id)
                if product is not None
                else []
            )
            subject = f"Review of {product_id} stopped: its workflow {ended}"
            body = (
                f"The review of {product_id} ({review.state}) no longer runs: its Temporal workflow {ended}. "
                "Nothing can be decided on it until an operator restarts it (`gcu-review repair --restart`), "
                "which carries on from where it stood."
            )
            notifications.create_for_event(
                session=session,
                audit_event_id=stored_id(event),
                product_id=product_id,
                created_at=at,
                messages=[(staff_id, NotificationKind.ESCALATION, subject, body) for staff_id in told],
            )
            return Outcome(recorded=True, open=True, state=review.state, audit_event_id=stored_id(event))
    except IntegrityError:
        return Outcome(recorded=False, open=True)  # another reconciler recorded it first
