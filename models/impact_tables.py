"""A `rules impact` run asked for on the GCU head's page: run by the worker (RuleImpactWorkflow),
its progress and report stored here so that any web process can show them, and the report stays
after the page is closed."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.tables import UTCDateTime, utcnow


class RuleImpactRun(SQLModel, table=True):
    __tablename__ = "rule_impact_run"

    id: int | None = Field(default=None, primary_key=True)
    candidate_version: str
    active_version: str
    requested_by: str  # username of the account that asked
    state: str = "queued"  # queued | running | done | failed (models.impact.ImpactRunState)
    products_done: int = 0
    products_total: int | None = None
    report_json: str | None = Field(default=None, sa_type=sa.Text)  # models.impact.ImpactReport, when done
    error: str | None = Field(default=None, sa_type=sa.Text)  # what went wrong, in words, when failed
    requested_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
