"""Where a review stands against its due date, as the worklist and the review page show it: in
words and in colour (never colour alone), for the states in which the GCU owes a decision."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from store.reviews import GCU_PENDING_STATES

# "Due soon": the last two days before the due date, time enough to act on a reminder.
DUE_SOON = timedelta(days=2)


@dataclass(frozen=True)
class SlaState:
    key: str  # overdue | due_soon | on_track | none
    text: str

    @property
    def css(self) -> str:
        return f"sla-{self.key.replace('_', '-')}"


NONE = SlaState("none", "")


def state_of(review, now: datetime | None = None) -> SlaState:
    """`review`: a Review or a queue row (state, due_at)."""
    if review is None or review.state not in GCU_PENDING_STATES or review.due_at is None:
        return NONE
    now = now or datetime.now(UTC)
    left = review.due_at - now
    if left < timedelta(0):
        days = (-left).days
        return SlaState("overdue", "Overdue" + (f" by {days} day{'s' if days != 1 else ''}" if days else ""))
    if left <= DUE_SOON:
        hours = int(left.total_seconds() // 3600)
        return SlaState("due_soon", "Due soon: within a day" if hours < 24 else "Due soon")
    return SlaState("on_track", "On track")
