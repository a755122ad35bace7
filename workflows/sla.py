"""Pure SLA arithmetic: working-day due dates and the next timer event of a review.

No clock is read here: callers pass `now` (the workflow passes `workflow.now()`), so the same
functions run inside the workflow sandbox, in tests and in the web app.
Working days are counted on the calendar dates of the office's time zone (SlaPolicy.time_zone,
setting OFFICE_TIME_ZONE); Saturdays, Sundays and SlaPolicy.holidays are skipped.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from zoneinfo import ZoneInfo

    from models.enums import ReviewAction, ReviewState
    from models.messages import ReviewWorkflowState, SlaPolicy

SATURDAY = 5

# States in which the review clock runs (the GCU owes a decision).
REVIEW_CLOCK_STATES = frozenset({ReviewState.QUEUED, ReviewState.IN_REVIEW, ReviewState.ESCALATED})


def is_working_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < SATURDAY and day not in set(holidays)


def add_working_days(start: datetime, days: int, holidays: Iterable[date] = (), time_zone: str = "UTC") -> datetime:
    """The same time of day, `days` working days after `start` (the start day itself never counts),
    on the calendar of `time_zone`: a submission at 00:30 on a Monday in The Hague (Sunday 23:30 UTC)
    counts from Monday there.

    A submission on Friday 15:00 with days=1 is due Monday 15:00; on Saturday, also Monday.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if time_zone != "UTC" and start.tzinfo is not None:
        zone = ZoneInfo(time_zone)
        local = start.astimezone(zone)
        due = add_working_days(local.replace(tzinfo=None), days, holidays)
        # The same wall-clock time there (an hour moves with daylight saving), back in the start's zone.
        return due.replace(tzinfo=zone).astimezone(start.tzinfo)
    closed = set(holidays)
    day = start.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, closed):
            remaining -= 1
    return datetime.combine(day, start.timetz())


def review_due_at(submitted_at: datetime, policy: SlaPolicy) -> datetime:
    return add_working_days(submitted_at, policy.review_working_days, policy.holidays, policy.time_zone)


def resubmission_due_at(returned_at: datetime, policy: SlaPolicy) -> datetime:
    """Resubmission deadlines are calendar days: the team's drafting time, not the GCU's desk time."""
    return returned_at + timedelta(days=policy.resubmission_days)


@dataclass(frozen=True)
class SlaEvent:
    action: ReviewAction
    at: datetime
    due_at: datetime  # the deadline the event belongs to (guards against a moved due date)


def overdue_escalation_at(due_at: datetime, policy: SlaPolicy) -> datetime:
    return due_at + policy.escalate_after_due


def dp_escalation_at(due_at: datetime, policy: SlaPolicy) -> datetime:
    return overdue_escalation_at(due_at, policy) + policy.dp_escalation_after


def pending_sla_events(
    st: ReviewWorkflowState, policy: SlaPolicy, now: datetime, *, close_abandoned: bool = False
) -> list[SlaEvent]:
    """Every SLA event still owed in the current state, earliest first. `close_abandoned`: a returned
    review whose resubmission deadline has expired is closed `policy.close_after_expiry` later."""
    events: list[SlaEvent] = []
    if st.state in REVIEW_CLOCK_STATES and st.due_at is not None:
        due = st.due_at
        # A reminder is only useful before the deadline; once overdue the escalations take over.
        if st.reminder_sent_for_due != due and now < due:
            events.append(SlaEvent(ReviewAction.REMINDER, due - policy.reminder_before, due))
        if st.escalation_level < 1:
            events.append(SlaEvent(ReviewAction.OVERDUE_ESCALATION, overdue_escalation_at(due, policy), due))
        if st.escalation_level < 2:
            events.append(SlaEvent(ReviewAction.DP_ESCALATION, dp_escalation_at(due, policy), due))
    elif st.state == ReviewState.RETURNED and st.resubmission_due_at is not None:
        due = st.resubmission_due_at
        if st.resubmission_reminder_sent_for != due and now < due:
            events.append(SlaEvent(ReviewAction.RESUBMISSION_REMINDER, due - policy.resubmission_reminder_before, due))
        if st.resubmission_expired_for != due:
            events.append(SlaEvent(ReviewAction.RESUBMISSION_EXPIRED, due, due))
        elif close_abandoned:
            events.append(SlaEvent(ReviewAction.CLOSE_ABANDONED, due + policy.close_after_expiry, due))
    return sorted(events, key=lambda e: e.at)


def next_sla_event(
    st: ReviewWorkflowState, policy: SlaPolicy, now: datetime, *, close_abandoned: bool = False
) -> SlaEvent | None:
    events = pending_sla_events(st, policy, now, close_abandoned=close_abandoned)
    return events[0] if events else None


def mark_sla_event(st: ReviewWorkflowState, event: SlaEvent) -> None:
    """Note in `st` that `event` happened, so it is not owed again for the same deadline."""
    if event.action == ReviewAction.REMINDER:
        st.reminder_sent_for_due = event.due_at
    elif event.action == ReviewAction.OVERDUE_ESCALATION:
        st.escalation_level = max(st.escalation_level, 1)
    elif event.action == ReviewAction.DP_ESCALATION:
        st.escalation_level = 2
    elif event.action == ReviewAction.RESUBMISSION_REMINDER:
        st.resubmission_reminder_sent_for = event.due_at
    elif event.action == ReviewAction.RESUBMISSION_EXPIRED:
        st.resubmission_expired_for = event.due_at
    elif event.action == ReviewAction.CLOSE_ABANDONED:
        st.state = ReviewState.WITHDRAWN


def is_overdue(st: ReviewWorkflowState, now: datetime) -> bool:
    if st.state in REVIEW_CLOCK_STATES and st.due_at is not None:
        return now > st.due_at
    if st.state == ReviewState.RETURNED and st.resubmission_due_at is not None:
        return now > st.resubmission_due_at
    return False
