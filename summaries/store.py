"""Stored compliance summaries: one per (Deputy Prosecutor, period), regenerated in place.

What the web dashboard calls: `list_summaries` (no HTML/PDF, newest period first) and `get_summary`.
"""

import datetime as dt
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.enums import StaffRole
from models.summary_messages import SummaryPeriod
from models.summary_tables import ComplianceSummary, ComplianceSummaryDetail, ComplianceSummaryPublic
from models.tables import Staff, Team, stored_id, table_of

HEADLINE = ("reviewed", "approved", "returned", "open_blocking", "overdue")


def public_of(row: ComplianceSummary) -> ComplianceSummaryPublic:
    data = row.data or {}
    return ComplianceSummaryPublic(
        id=stored_id(row),
        deputy_prosecutor_id=row.deputy_prosecutor_id,
        period_start=row.period_start,
        period_end=row.period_end,
        generated_at=row.generated_at,
        emailed_at=row.emailed_at,
        **{k: int(data.get(k, 0)) for k in HEADLINE},
    )


def list_summaries(
    *, session: Session, deputy_prosecutor_id: str | None = None, limit: int | None = None
) -> list[ComplianceSummaryPublic]:
    """Newest period first. The heavy columns (html, pdf) are not read."""
    columns = [c for c in table_of(ComplianceSummary).c if c.name not in ("html", "pdf")]
    query = sa.select(*columns)
    if deputy_prosecutor_id is not None:
        query = query.where(col(ComplianceSummary.deputy_prosecutor_id) == deputy_prosecutor_id)
    query = query.order_by(
        col(ComplianceSummary.period_end).desc(),
        col(ComplianceSummary.deputy_prosecutor_id),
        col(ComplianceSummary.id).desc(),
    )
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).mappings().all()
    return [public_of(ComplianceSummary(**dict(r))) for r in rows]


def get_summary(*, session: Session, summary_id: int) -> ComplianceSummaryDetail | None:
    row = session.get(ComplianceSummary, summary_id)
    if row is None:
        return None
    return ComplianceSummaryDetail(**public_of(row).model_dump(), html=row.html, pdf=row.pdf, data=row.data)


def find_summary(*, session: Session, deputy_prosecutor_id: str, period: SummaryPeriod) -> ComplianceSummary | None:
    return session.exec(
        select(ComplianceSummary).where(
            ComplianceSummary.deputy_prosecutor_id == deputy_prosecutor_id,
            ComplianceSummary.period_start == period.start,
            ComplianceSummary.period_end == period.end,
        )
    ).first()


def save_summary(
    *,
    session: Session,
    deputy_prosecutor_id: str,
    period: SummaryPeriod,
    html: str,
    pdf: bytes,
    data: dict,
    generated_at: datetime,
) -> tuple[ComplianceSummary, bool]:
    """Insert, or replace the content of the summary of the same DP and period (keeping its id and
    emailed_at, so a regenerated summary is not emailed again). Returns (row, replaced)."""
    row = find_summary(session=session, deputy_prosecutor_id=deputy_prosecutor_id, period=period)
    replaced = row is not None
    if row is None:
        row = ComplianceSummary(
            deputy_prosecutor_id=deputy_prosecutor_id, period_start=period.start, period_end=period.end
        )
        session.add(row)
    row.html, row.pdf, row.data, row.generated_at = html, pdf, data, generated_at
    session.flush()
    return row, replaced


def deputy_prosecutor_ids(*, session: Session, only: str | None = None) -> list[str]:
    """Deputy Prosecutors who get a summary: active register staff named by an active team, plus
    active staff with the deputy_prosecutor role (a DP without teams gets a summary saying so)."""
    named = set(
        session.exec(
            select(col(Team.deputy_prosecutor_id)).where(col(Team.active), col(Team.deputy_prosecutor_id).is_not(None))
        ).all()
    )
    with_role = session.exec(
        select(Staff.id, Staff.roles).where(
            Staff.active, sa.cast(Staff.roles, sa.String).like(f'%"{StaffRole.DEPUTY_PROSECUTOR}"%')
        )
    ).all()
    candidates = named | {sid for sid, roles in with_role if str(StaffRole.DEPUTY_PROSECUTOR) in (roles or [])}
    active = (
        set(session.exec(select(col(Staff.id)).where(col(Staff.id).in_(candidates), col(Staff.active))).all())
        if candidates
        else set()
    )
    ids = sorted(active)
    return [i for i in ids if i == only] if only else ids


def day_bounds_ok(period: SummaryPeriod) -> None:
    if period.end < period.start:
        raise ValueError(f"period end {period.end} is before its start {period.start}")
    if period.end - period.start > dt.timedelta(days=366):
        raise ValueError("a summary period is at most a year")
