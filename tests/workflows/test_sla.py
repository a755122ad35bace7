"""Pure SLA arithmetic (workflows/sla.py): working days and which timer fires next."""

from datetime import UTC, date, datetime, timedelta

import pytest

from models.enums import ReviewAction, ReviewState
from models.messages import ReviewWorkflowState, SlaPolicy
from workflows.sla import add_working_days, is_overdue, next_sla_event, pending_sla_events, review_due_at

UTC = UTC
FRI_1500 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday
POLICY = SlaPolicy(
    reminder_before=timedelta(days=2),
    escalate_after_due=timedelta(hours=4),
    dp_escalation_after=timedelta(days=5),
    resubmission_reminder_before=timedelta(days=7),
)


def state(**kw) -> ReviewWorkflowState:
    return ReviewWorkflowState(version_id=1, version_no=1, version_label="v1", title="t", **kw)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRI_1500, 0, FRI_1500),
        (FRI_1500, 1, datetime(2026, 11, 30, 15, 0, tzinfo=UTC)),  # Friday + 1 -> Monday
        (FRI_1500 + timedelta(days=1), 1, datetime(2026, 11, 30, 15, 0, tzinfo=UTC)),  # Saturday + 1 -> Monday
        (FRI_1500, 5, datetime(2026, 12, 4, 15, 0, tzinfo=UTC)),
        (FRI_1500, 10, datetime(2026, 12, 11, 15, 0, tzinfo=UTC)),
    ],
)
def test_working_days_skip_weekends(start, days, expected):
    assert add_working_days(start, days) == expected


def test_working_days_skip_holidays():
    holidays = [date(2026, 11, 30), date(2026, 12, 1)]
    assert add_working_days(FRI_1500, 1, holidays) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert review_due_at(
        FRI_1500, POLICY.model_copy(update={"review_working_days": 1, "holidays": holidays})
    ) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def test_negative_days_are_rejected():
    with pytest.raises(ValueError):
        add_working_days(FRI_1500, -1)


def test_review_ladder_reminder_then_gcu_head_then_deputy_prosecutor():
    due = FRI_1500 + timedelta(days=14)
    st = state(state=ReviewState.IN_REVIEW, due_at=due)
    events = pending_sla_events(st, POLICY, FRI_1500)
    assert [(e.action, e.at) for e in events] == [
        (ReviewAction.REMINDER, due - timedelta(days=2)),
        (ReviewAction.OVERDUE_ESCALATION, due + timedelta(hours=4)),
        (ReviewAction.DP_ESCALATION, due + timedelta(days=5, hours=4)),
    ]


def test_reminder_is_skipped_once_overdue_and_sent_once_per_due_date():
    due = FRI_1500
    assert next_sla_event(state(state=ReviewState.QUEUED, due_at=due), POLICY, due + timedelta(minutes=1)).action == (
        ReviewAction.OVERDUE_ESCALATION
    )
    reminded = state(state=ReviewState.QUEUED, due_at=due, reminder_sent_for_due=due)
    assert next_sla_event(reminded, POLICY, due - timedelta(days=3)).action == ReviewAction.OVERDUE_ESCALATION
    moved = reminded.model_copy(update={"due_at": due + timedelta(days=3)})
    assert next_sla_event(moved, POLICY, due - timedelta(days=3)).action == ReviewAction.REMINDER


def test_no_review_timers_after_level_two_or_outside_review_states():
    assert (
        next_sla_event(state(state=ReviewState.IN_REVIEW, due_at=FRI_1500, escalation_level=2), POLICY, FRI_1500)
        is None
    )
    assert next_sla_event(state(state=ReviewState.APPROVED, due_at=FRI_1500), POLICY, FRI_1500) is None


def test_resubmission_deadline_reminder_then_expiry():
    due = FRI_1500 + timedelta(days=30)
    st = state(state=ReviewState.RETURNED, due_at=FRI_1500, resubmission_due_at=due)
    events = pending_sla_events(st, POLICY, FRI_1500)
    assert [(e.action, e.at) for e in events] == [
        (ReviewAction.RESUBMISSION_REMINDER, due - timedelta(days=7)),
        (ReviewAction.RESUBMISSION_EXPIRED, due),
    ]
    expired = st.model_copy(update={"resubmission_expired_for": due})
    assert next_sla_event(expired, POLICY, due + timedelta(hours=1)) is None
    assert is_overdue(expired, due + timedelta(hours=1))


def test_working_days_are_counted_on_the_offices_calendar():
    """Monday 00:30 in The Hague is Sunday 23:30 UTC: counted on UTC dates, five working days fell
    on a Saturday (00:30 local); on the office's calendar they end the next Monday, same local time."""
    from zoneinfo import ZoneInfo

    hague = ZoneInfo("Europe/Amsterdam")
    submitted = datetime(2026, 3, 2, 0, 30, tzinfo=hague).astimezone(UTC)  # a Monday there
    utc_due = review_due_at(submitted, SlaPolicy(review_working_days=5))
    office_due = review_due_at(submitted, SlaPolicy(review_working_days=5, time_zone="Europe/Amsterdam"))
    assert utc_due.astimezone(hague).strftime("%a %H:%M") == "Sat 00:30"
    assert office_due.astimezone(hague) == datetime(2026, 3, 9, 0, 30, tzinfo=hague)
    assert office_due.tzinfo == UTC
    # Across the change to summer time the local hour stays: 14:00 there, before and after.
    before = datetime(2026, 3, 27, 14, 0, tzinfo=hague).astimezone(UTC)
    after = review_due_at(before, SlaPolicy(review_working_days=1, time_zone="Europe/Amsterdam"))
    assert after.astimezone(hague) == datetime(2026, 3, 30, 14, 0, tzinfo=hague)


def test_an_unknown_office_time_zone_stops_the_settings():
    from settings import Settings

    with pytest.raises(ValueError, match="OFFICE_TIME_ZONE 'Europe/Hague' is not a time zone name"):
        Settings(office_time_zone="Europe/Hague")
