"""The figures of one Deputy Prosecutor's compliance summary, by SQL aggregation over the teams of
their cluster (active teams whose `deputy_prosecutor_id` is the DP).

Definitions (stated in the summary itself):
- reviewed / approved / returned: distinct products with a reviewer decision (approve or return; an
  escalation is not a decision) dated within the period; a product returned and then approved in
  the same period counts once as reviewed, and once in each of approved and returned.
- open blocking findings: blocking findings still open on the current version of products whose
  review is not finished (not approved, not withdrawn), as of the time the summary is made.
- overdue reviews: reviews awaiting the GCU whose due date has passed at that time.
- most frequent findings: findings raised on versions submitted within the period, by rule,
  advisory findings excluded, whatever happened to them afterwards.
"""

import datetime as dt
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models.enums import DecisionKind, FindingState, ReviewState, Severity
from models.summary_messages import SummaryPeriod
from models.tables import Decision, Finding, Product, ProductVersion, Review, Staff, Team
from store.reviews import GCU_PENDING_STATES

TOP_RULES = 10
FINISHED = [str(ReviewState.APPROVED), str(ReviewState.WITHDRAWN)]


class TeamFigures(BaseModel):
    team_id: str
    name: str
    reviewed: int = 0
    approved: int = 0
    returned: int = 0
    open_blocking: int = 0
    overdue: int = 0


class RuleCount(BaseModel):
    rule_id: str
    title: str
    severity: str
    citation: str
    count: int
    products: int


class OverdueReview(BaseModel):
    product_id: str
    title: str
    team_id: str
    state: str
    assignee_id: str | None
    due_at: datetime
    days_overdue: int


class TrendPoint(BaseModel):
    period: str
    value: float | None


class BreakdownLine(BaseModel):
    key: str  # team id, situation, vulnerability category
    numerator: int
    denominator: int
    value: float | None


class KpiFigures(BaseModel):
    kpi: str
    title: str
    citation: str
    period: str
    measure: str
    numerator: int
    denominator: int
    value: float | None
    target: float | None
    status: str
    per_team: list[TrendPoint] = Field(default_factory=list)  # period = team id
    trend: list[TrendPoint] = Field(default_factory=list)  # oldest first, this period last
    # The SPU indicator's rows (contract v2 §6.1) over the cluster's teams: "team", "situation",
    # "vulnerability_category" (a record counts in every category of its witness).
    breakdowns: dict[str, list[BreakdownLine]] = Field(default_factory=dict)


class GapRow(BaseModel):
    staff_id: str
    name: str | None
    teams: list[str]
    requirement: str
    status: str
    expires: dt.date | None


class GapCount(BaseModel):
    requirement: str
    status: str
    people: int


class SummaryData(BaseModel):
    deputy_prosecutor_id: str
    deputy_prosecutor_name: str | None
    period: SummaryPeriod
    as_of: datetime
    teams: list[TeamFigures]
    reviewed: int
    approved: int
    returned: int
    open_blocking: int
    overdue: int
    overdue_reviews: list[OverdueReview]
    top_findings: list[RuleCount]
    kpis: list[KpiFigures] | None = None  # None: KPI module unavailable
    certification_gaps: list[GapRow] | None = None  # the first GAP_LIST people's gaps (summaries/cluster.py)
    # How many people of the cluster have gaps, and per requirement and status (None in summaries
    # made before they were counted: their list was everyone).
    gap_people: int | None = None
    gap_counts: list[GapCount] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def period_bounds(period: SummaryPeriod) -> tuple[datetime, datetime]:
    """[first day 00:00 UTC, day after the last 00:00 UTC)."""
    return (
        datetime.combine(period.start, time(), dt.UTC),
        datetime.combine(period.end + timedelta(days=1), time(), dt.UTC),
    )


def cluster_teams(session: Session, deputy_prosecutor_id: str) -> list[Team]:
    return list(
        session.exec(
            select(Team).where(Team.active, Team.deputy_prosecutor_id == deputy_prosecutor_id).order_by(Team.id)
        )
    )


def _decisions_by_team(
    session: Session, team_ids: list[str], start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    kinds = [str(DecisionKind.APPROVE), str(DecisionKind.RETURN)]
    in_period = (
        col(Decision.decided_at) >= start,
        col(Decision.decided_at) < end,
        col(Decision.decision).in_(kinds),
        col(Product.team_id).in_(team_ids),
    )
    counts: dict[str, dict[str, int]] = {}
    by_kind = (
        sa.select(col(Product.team_id), col(Decision.decision), sa.func.count(sa.distinct(col(Decision.product_id))))
        .join(Product, col(Product.id) == col(Decision.product_id))
        .where(*in_period)
        .group_by(Product.team_id, Decision.decision)
    )
    for team_id, kind, n in session.execute(by_kind):
        counts.setdefault(team_id, {})[kind] = n
    reviewed = (
        sa.select(col(Product.team_id), sa.func.count(sa.distinct(col(Decision.product_id))))
        .join(Product, col(Product.id) == col(Decision.product_id))
        .where(*in_period)
        .group_by(col(Product.team_id))
    )
    for team_id, n in session.execute(reviewed):
        counts.setdefault(team_id, {})["reviewed"] = n
    return counts


def _open_blocking_by_team(session: Session, team_ids: list[str]) -> dict[str, int]:
    query = (
        sa.select(col(Product.team_id), sa.func.count(col(Finding.id)))
        .join(ProductVersion, col(ProductVersion.id) == col(Finding.version_id))
        .join(
            Product,
            sa.and_(
                col(Product.id) == col(ProductVersion.product_id),
                col(Product.current_version_no) == col(ProductVersion.version_no),
            ),
        )
        .join(Review, col(Review.product_id) == col(Product.id))
        .where(
            col(Product.team_id).in_(team_ids),
            col(Finding.severity) == str(Severity.BLOCKING),
            col(Finding.state) == str(FindingState.OPEN),
            col(Review.state).not_in(FINISHED),
        )
        .group_by(Product.team_id)
    )
    return dict(session.execute(query).all())


def _overdue(session: Session, team_ids: list[str], now: datetime) -> list[OverdueReview]:
    query = (
        sa.select(Review, col(Product.title))
        .join(Product, col(Product.id) == col(Review.product_id))
        .where(
            col(Review.team_id).in_(team_ids),
            col(Review.state).in_([str(s) for s in GCU_PENDING_STATES]),
            col(Review.due_at) < now,
        )
        .order_by(col(Review.due_at), col(Review.product_id))
    )
    return [
        OverdueReview(
            product_id=r.product_id,
            title=title,
            team_id=r.team_id,
            state=r.state,
            assignee_id=r.assignee_id,
            due_at=r.due_at,
            days_overdue=(now - r.due_at).days,
        )
        for r, title in session.execute(query)
    ]


def _top_findings(session: Session, team_ids: list[str], start: datetime, end: datetime) -> list[RuleCount]:
    query = (
        sa.select(
            col(Finding.rule_id),
            sa.func.max(col(Finding.title)),
            sa.func.max(col(Finding.severity)),
            sa.func.max(col(Finding.citation)),
            sa.func.count(col(Finding.id)),
            sa.func.count(sa.distinct(col(Finding.product_id))),
        )
        .join(ProductVersion, col(ProductVersion.id) == col(Finding.version_id))
        .join(Product, col(Product.id) == col(ProductVersion.product_id))
        .where(
            col(Product.team_id).in_(team_ids),
            col(ProductVersion.submitted_at) >= start,
            col(ProductVersion.submitted_at) < end,
            col(Finding.severity) != str(Severity.ADVISORY),
        )
        .group_by(Finding.rule_id)
        .order_by(sa.func.count(col(Finding.id)).desc(), col(Finding.rule_id))
        .limit(TOP_RULES)
    )
    return [
        RuleCount(rule_id=r, title=t or "", severity=s, citation=c or "", count=n, products=p)
        for r, t, s, c, n, p in session.execute(query)
    ]


def build_summary_data(
    *,
    session: Session,
    deputy_prosecutor_id: str,
    period: SummaryPeriod,
    as_of: datetime,
    with_kpis: bool = True,
    with_gaps: bool = True,
) -> SummaryData:
    from summaries.cluster import cluster_gaps, cluster_kpis

    dp = session.get(Staff, deputy_prosecutor_id)
    teams = cluster_teams(session, deputy_prosecutor_id)
    team_ids = [t.id for t in teams]
    start, end = period_bounds(period)
    decisions = _decisions_by_team(session, team_ids, start, end) if team_ids else {}
    blocking = _open_blocking_by_team(session, team_ids) if team_ids else {}
    overdue = _overdue(session, team_ids, as_of) if team_ids else []
    rows = []
    for team in teams:
        d = decisions.get(team.id, {})
        rows.append(
            TeamFigures(
                team_id=team.id,
                name=team.name or team.id,
                reviewed=d.get("reviewed", 0),
                approved=d.get(str(DecisionKind.APPROVE), 0),
                returned=d.get(str(DecisionKind.RETURN), 0),
                open_blocking=blocking.get(team.id, 0),
                overdue=sum(1 for o in overdue if o.team_id == team.id),
            )
        )
    notes = [] if teams else [f"No active team has {deputy_prosecutor_id} as its Deputy Prosecutor."]
    kpis = cluster_kpis(session, team_ids, period.end) if with_kpis else None
    gaps, gap_people, gap_counts = cluster_gaps(session, team_ids, as_of.date()) if with_gaps else (None, None, [])
    return SummaryData(
        deputy_prosecutor_id=deputy_prosecutor_id,
        deputy_prosecutor_name=dp.name if dp else None,
        period=period,
        as_of=as_of,
        teams=rows,
        reviewed=sum(r.reviewed for r in rows),
        approved=sum(r.approved for r in rows),
        returned=sum(r.returned for r in rows),
        open_blocking=sum(r.open_blocking for r in rows),
        overdue=len(overdue),
        overdue_reviews=overdue,
        top_findings=_top_findings(session, team_ids, start, end) if team_ids else [],
        kpis=kpis,
        certification_gaps=gaps,
        gap_people=gap_people,
        gap_counts=gap_counts,
        notes=notes,
    )
