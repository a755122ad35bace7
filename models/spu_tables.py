"""The SPU indicator's write-time facts (contract v2 §6.1): one row per stored interview-record
version, written beside its KPI 10 facts by the pre-check (store/kpi/spu_facts.py), so the indicator
is one query over a period's rows instead of a parse of every record's front matter."""

import datetime as dt
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from models.tables import UTCDateTime, utcnow


class InterviewRecordFacts(SQLModel, table=True):
    __tablename__ = "interview_record_facts"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "version_no"),
        sa.Index("ix_interview_record_facts_period_date_team_id", "period_date", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: str = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    version_no: int
    version_id: int = Field(foreign_key="product_version.id", index=True, ondelete="CASCADE")
    team_id: str = Field(index=True)
    situation: str = Field(index=True)
    format_error: bool = False  # counted and listed apart (v2 §6.1)
    record_date: dt.date | None = None
    # record.date; for a format error without one, product.submitted_on: the period the row belongs to
    period_date: dt.date
    submitted_on: dt.date
    witness_key: str  # the well-formed witness code, else the product id (one witness, v2 §6.1)
    vulnerable: bool = False
    categories: list[str] = Field(default_factory=list, sa_type=JSON)  # rules.vulnerability.CATEGORIES
    support_during: str | None = None  # psychosocial_support.during as written, if a string
    supported: bool = False  # VUL-IR-04's condition (v2 §6.1 numerator)
    needs_all_met: bool = False  # every need entry met == yes (or none)
    recorded_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
