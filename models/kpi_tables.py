"""Tables of the certification register's sweep and of KPIs 10-12 (issue 4).

They sit beside the data layer's tables (models/tables.py) without changing them:
- `CertificationNotice`: one row per (certificate, threshold) ever notified, so the daily sweep never
  sends the same expiry notice twice, whatever the retries.
- `ProductFacts`: the front-matter facts KPI 10 needs (relevance, execution and reference dates),
  computed once when a version is stored, so the KPI is a plain SQL aggregation.
- `ChargeUnit`: the KPI 11 register (requirements.md §7.2): one count x one suspect x one stage.
- `KpiSnapshot`: stored KPI values, for trends.
"""

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from models.tables import UTCDateTime, utcnow


class ChargeStage(StrEnum):
    AWA = "AWA"
    DCC = "DCC"
    TRIAL = "TRIAL"
    APPEAL = "APPEAL"


STAGE_ORDER = [ChargeStage.AWA, ChargeStage.DCC, ChargeStage.TRIAL, ChargeStage.APPEAL]


class ChargeOutcome(StrEnum):
    """requirements.md §7.2. `presented` and `pending` are both undecided; `presented` records that
    the filing happened, `pending` that nothing is known yet."""

    PRESENTED = "presented"
    GRANTED = "granted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    RECHARACTERISED = "recharacterised"
    PENDING = "pending"


DECIDED_OUTCOMES = (ChargeOutcome.GRANTED, ChargeOutcome.DECLINED, ChargeOutcome.RECHARACTERISED)


class SgbcBasis(StrEnum):
    EXPLICIT = "explicit"  # the crime tag is an SGBC tag (format §2.12)
    UNDERLYING_CONDUCT = "underlying_conduct"  # flagged is_sgbc, charged as another crime (torture by rape)


class ExpiryThreshold(StrEnum):
    DAYS_90 = "90"
    DAYS_30 = "30"
    DAYS_7 = "7"
    EXPIRED = "expired"


class CertificationNotice(SQLModel, table=True):
    __tablename__ = "certification_notice"
    __table_args__ = (sa.UniqueConstraint("certification_id", "threshold"),)

    id: int | None = Field(default=None, primary_key=True)
    certification_id: int = Field(foreign_key="certification.id", index=True, ondelete="CASCADE")
    staff_id: str = Field(index=True)
    cert: str
    threshold: str  # ExpiryThreshold
    expires: dt.date
    swept_on: dt.date
    recipients: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ProductFacts(SQLModel, table=True):
    """KPI 10 facts of one stored version (requirements.md §7.1), written by
    store.kpi.facts.record_product_facts."""

    __tablename__ = "product_facts"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "version_no"),
        sa.Index("ix_product_facts_reference_date_team_id", "reference_date", "team_id"),
        sa.Index("ix_product_facts_product_id_submitted_on_version_no", "product_id", "submitted_on", "version_no"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: str = Field(foreign_key="product.id", ondelete="CASCADE")
    version_no: int
    version_id: int = Field(foreign_key="product_version.id", index=True, ondelete="CASCADE")
    product_type: str
    team_id: str = Field(index=True)
    situation: str = Field(index=True)
    relevant: bool
    relevance_reason: str = ""
    submitted_on: dt.date
    execution_date: dt.date | None = None
    reference_date: dt.date
    # submitted on or after its execution date: never engaged (§7.1)
    late: bool = False
    # decisions strictly before this instant count as before execution (end of the execution day, UTC)
    engagement_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class ChargeUnit(SQLModel, table=True):
    __tablename__ = "charge_unit"
    __table_args__ = (
        sa.Index("ix_charge_unit_stage_filing_date", "stage", "filing_date"),
        sa.Index("ix_charge_unit_case_id_suspect_stage", "case_id", "suspect", "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # product:stage:count:suspect for seeded units; import:<case>:<stage>:<count>:<suspect> otherwise
    unit_key: str = Field(unique=True)
    case_id: str
    product_id: str | None = Field(default=None, foreign_key="product.id", index=True, ondelete="SET NULL")
    version_no: int | None = None
    team_id: str | None = Field(default=None, index=True)
    situation: str | None = Field(default=None, index=True)
    suspect: str
    stage: str  # ChargeStage
    count_no: int | None = None
    article: str | None = None
    crime: str | None = None
    label: str | None = Field(default=None, sa_type=sa.Text)
    is_sgbc: bool = False
    is_cac: bool = False
    sgbc_basis: str | None = None  # SgbcBasis, when is_sgbc
    outcome: str = ChargeOutcome.PENDING
    filing_date: dt.date | None = None
    decision_date: dt.date | None = None
    source_doc: str | None = None
    linked_unit_prev_stage: int | None = Field(
        default=None, foreign_key="charge_unit.id", index=True, ondelete="SET NULL"
    )
    # False when a later version of the source product no longer has the count active
    in_source: bool = True
    updated_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)


class KpiSnapshot(SQLModel, table=True):
    __tablename__ = "kpi_snapshot"
    __table_args__ = (sa.Index("ix_kpi_snapshot_kpi_scope_taken_on", "kpi", "scope", "taken_on"),)

    id: int | None = Field(default=None, primary_key=True)
    # kpi:period:scope:taken_on, so the sweep's retries and reruns on one day overwrite, never add
    snapshot_key: str = Field(unique=True)
    kpi: str  # "10" | "11" | "12"
    period_label: str
    period_start: dt.date
    period_end: dt.date
    scope: str = "all"  # all | team:<id> | situation:<name>
    taken_on: dt.date
    numerator: int
    denominator: int
    value: float | None = None
    target: float | None = None
    status: str
    definition: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime, default_factory=utcnow)
