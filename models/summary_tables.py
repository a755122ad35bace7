"""Tables of issue 5's notifications and summaries: stored compliance summaries per Deputy
Prosecutor and period, and the email deliveries of the outbox (notify/outbox.py).

`email_delivery` is the outbox's claim ledger: one row per thing ever emailed (`key`, unique), so a
notification or a summary is claimed once by one sender and never emailed twice (at most once; the
states are explained in notify/outbox.py)."""

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, LargeBinary, SQLModel

from models.tables import UTCDateTime, utcnow


class ComplianceSummaryBase(SQLModel):
    deputy_prosecutor_id: str = Field(index=True)
    period_start: dt.date
    period_end: dt.date  # inclusive
    generated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    emailed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ComplianceSummary(ComplianceSummaryBase, table=True):
    __tablename__ = "compliance_summary"
    __table_args__ = (sa.UniqueConstraint("deputy_prosecutor_id", "period_start", "period_end"),)

    id: int | None = Field(default=None, primary_key=True)
    html: str = Field(default="", sa_type=sa.Text)
    pdf: bytes = Field(default=b"", sa_type=LargeBinary)
    # summaries.data.SummaryData, as JSON: the figures the HTML and PDF were rendered from.
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ComplianceSummaryPublic(ComplianceSummaryBase):
    """A list row: no HTML or PDF; the headline figures for a table of summaries."""

    id: int
    reviewed: int = 0
    approved: int = 0
    returned: int = 0
    open_blocking: int = 0
    overdue: int = 0


class ComplianceSummaryDetail(ComplianceSummaryPublic):
    html: str
    pdf: bytes
    data: dict[str, Any]


class DeliveryState(StrEnum):
    SENDING = "sending"  # claimed; the send has started (or the sender died before recording the outcome)
    SENT = "sent"  # the SMTP server accepted the message
    RETRY = "retry"  # certainly not accepted (connection refused, 4xx); sent again from next_attempt_at
    FAILED = "failed"  # refused for good (5xx) or out of attempts
    UNCONFIRMED = "unconfirmed"  # the outcome is unknown; never sent again automatically (at most once)
    SKIPPED = "skipped"  # nothing to send: no address, inactive recipient, too old


class EmailDelivery(SQLModel, table=True):
    __tablename__ = "email_delivery"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # "notification:<id>" | "summary:<id>"
    notification_id: int | None = Field(default=None, foreign_key="notification.id", index=True)
    summary_id: int | None = Field(default=None, foreign_key="compliance_summary.id", index=True)
    recipient_id: str | None = None
    to_address: str = ""
    message_id: str = ""
    state: str = Field(default=DeliveryState.SENDING, index=True)
    attempts: int = 0
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=sa.Text)
