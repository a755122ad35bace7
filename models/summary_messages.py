"""Workflow and activity messages of the notification outbox and the compliance summaries (issue 5),
with the activity names both sides share (workflows reference activities by name only)."""

import datetime as dt

from pydantic import BaseModel, Field

SEND_PENDING_NOTIFICATIONS = "notify.send_pending_notifications"
LIST_DEPUTY_PROSECUTORS = "summaries.list_deputy_prosecutors"
PRODUCE_SUMMARY = "summaries.produce_summary"
EMAIL_SUMMARY = "summaries.email_summary"


class OutboxInput(BaseModel):
    limit: int = 200  # at most this many notifications per run; the next run takes the rest


class OutboxResult(BaseModel):
    smtp_configured: bool
    sent: int = 0
    retry: int = 0  # certainly not accepted; tried again later
    failed: int = 0
    skipped: int = 0  # no address, inactive recipient, older than mail_max_age_hours
    unconfirmed: int = 0  # outcome unknown (a crash between send and record); never re-sent
    taken_by_other_sender: int = 0


class SummaryPeriod(BaseModel):
    start: dt.date
    end: dt.date  # inclusive


class SummaryRunInput(BaseModel):
    """Empty for a scheduled run: the previous period, every Deputy Prosecutor, emailed."""

    period: SummaryPeriod | None = None
    period_days: int = 7  # without `period`: the days that end the day before the (scheduled) run
    deputy_prosecutor_id: str | None = None
    email: bool = True
    # Remake summaries already emailed (data corrected since); they are not emailed again.
    regenerate_emailed: bool = False


class DeputyProsecutorsInput(BaseModel):
    only: str | None = None


class DeputyProsecutorsResult(BaseModel):
    ids: list[str] = Field(default_factory=list)


class ProduceSummaryInput(BaseModel):
    deputy_prosecutor_id: str
    period: SummaryPeriod
    as_of: dt.datetime  # "now" of the figures that depend on it (overdue reviews, open findings)
    regenerate_emailed: bool = False


class SummaryRef(BaseModel):
    summary_id: int
    deputy_prosecutor_id: str
    period: SummaryPeriod
    replaced: bool = False  # an earlier summary of the same DP and period was regenerated
    kept: bool = False  # it had been emailed already, so it was kept as sent


class EmailSummaryInput(BaseModel):
    summary_id: int


class EmailSummaryResult(BaseModel):
    summary_id: int
    state: str  # a DeliveryState, or "not_configured" when SMTP is off


class SummaryRunResult(BaseModel):
    period: SummaryPeriod
    summaries: list[SummaryRef] = Field(default_factory=list)
    emails: list[EmailSummaryResult] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)  # Deputy Prosecutors whose summary could not be made


def previous_period(run_day: dt.date, days: int) -> SummaryPeriod:
    """The `days` whole days that end the day before `run_day` (a Monday run: the previous week)."""
    if days < 1:
        raise ValueError("a summary period is at least one day")
    return SummaryPeriod(start=run_day - dt.timedelta(days=days), end=run_day - dt.timedelta(days=1))
