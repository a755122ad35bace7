"""What the Deputy Prosecutor's dashboard and the certification page read, for a set of teams
(None: all teams). KPIs and certification gaps are computed by the data layer (store/kpi,
store/cert_gaps); this module only adapts them to the pages, in one function each, so the pages do
not depend on how those modules are arranged."""

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlmodel import Session, select, col

from models.enums import ReviewState
from models.tables import Review, Team
from store import reviews as review_store
from store.cert_gaps import gap_report
from store.certifications import list_certifications
from store.kpi.cluster import cluster_kpis

PENDING = {str(s) for s in review_store.GCU_PENDING_STATES}


@dataclass
class TeamFigures:
    team_id: str
    name: str = ""
    in_review: int = 0  # awaiting the GCU (pre-checked, queued, in review, escalated)
    overdue: int = 0
    escalated: int = 0
    returned: int = 0
    approved: int = 0
    withdrawn: int = 0


@dataclass
class KpiPanel:
    kpi: str
    title: str
    citation: str
    value: float | None
    target: float | None
    status: str
    measure: str
    period: str
    numerator: int
    denominator: int
    per_team: list[tuple[str, float | None, int, int]] = field(default_factory=list)
    trend: list[tuple[str, float | None]] = field(default_factory=list)


def teams_in_scope(session: Session, team_ids: frozenset[str] | None) -> list[Team]:
    query = select(Team).where(Team.active).order_by(Team.id)
    if team_ids is not None:
        query = query.where(col(Team.id).in_(sorted(team_ids)))
    return list(session.exec(query))


def review_figures(session: Session, team_ids: frozenset[str] | None, now: datetime | None = None) -> list[TeamFigures]:
    now = now or datetime.now(timezone.utc)
    figures = {t.id: TeamFigures(team_id=t.id, name=t.name or t.id) for t in teams_in_scope(session, team_ids)}
    query = select(Review)
    if team_ids is not None:
        query = query.where(col(Review.team_id).in_(sorted(team_ids)))
    for review in session.exec(query):
        row = figures.setdefault(review.team_id, TeamFigures(team_id=review.team_id, name=review.team_id))
        if review.state in PENDING:
            row.in_review += 1
            if review_store.is_overdue(review, now):
                row.overdue += 1
        if review.state == ReviewState.ESCALATED or (review.state in PENDING and review.escalation_level > 0):
            row.escalated += 1
        if review.state == ReviewState.RETURNED:
            row.returned += 1
        if review.state == ReviewState.APPROVED:
            row.approved += 1
        if review.state == ReviewState.WITHDRAWN:
            row.withdrawn += 1
    return list(figures.values())


def overdue_and_escalated(session: Session, team_ids: frozenset[str] | None):
    teams = sorted(team_ids) if team_ids is not None else None
    if teams == []:
        return [], []
    overdue = review_store.list_queue(session=session, team=teams, overdue=True)
    escalated = [
        r for r in review_store.list_queue(session=session, team=teams, state=sorted(PENDING))
        if r.state == ReviewState.ESCALATED or r.escalation_level > 0
    ]
    return overdue, escalated


def teams_without_focal_points(session: Session, team_ids: frozenset[str] | None) -> list[tuple[Team, list[str]]]:
    missing = []
    for team in teams_in_scope(session, team_ids):
        areas = [area for area, fp in (("SGBC", team.sgbc_focal_point_id), ("CAC", team.cac_focal_point_id)) if not fp]
        if areas:
            missing.append((team, areas))
    return missing


def certification_gaps(session: Session, team_ids: frozenset[str] | None, on: dt.date, expiring_within: int = 90):
    """People of these teams whose certificates do not meet the role matrix (missing, lapsed,
    expiring within the window), from store.cert_gaps."""
    if team_ids is None:
        return gap_report(session=session, on=on, expiring_within=expiring_within)
    seen, report = set(), []
    for team_id in sorted(team_ids):
        for person in gap_report(session=session, on=on, team_id=team_id, expiring_within=expiring_within):
            if person.staff_id not in seen:
                seen.add(person.staff_id)
                report.append(person)
    return report


def certifications(session: Session, team_ids: frozenset[str] | None, on: dt.date, expiring_within: int | None = None):
    """Certification records per team: [(team, rows)], from store.certifications."""
    return [
        (team, list_certifications(session=session, on=on, team_id=team.id, expiring_within=expiring_within))
        for team in teams_in_scope(session, team_ids)
    ]


def kpi_panels(session: Session, team_ids: frozenset[str] | None, today: dt.date, trend_periods: int = 4) -> list[KpiPanel]:
    """KPIs 10, 11 and 12 for the dashboard, with the cluster headline of store/kpi/cluster.py (the
    same figures as the Deputy Prosecutor's compliance summary)."""
    panels = []
    for k in cluster_kpis(session=session, today=today, team_ids=team_ids, trend_periods=trend_periods):
        r = k.result
        panels.append(KpiPanel(
            kpi=r.kpi, title=r.title, citation=r.citation, value=k.value, target=r.target, status=k.status,
            measure=r.measure, period=r.period.label, numerator=k.numerator, denominator=k.denominator,
            per_team=[(b.key, b.value, b.numerator, b.denominator) for b in k.team_rows], trend=k.trend,
        ))
    return panels


def count_reviews(session: Session, team_ids: frozenset[str] | None) -> int:
    query = sa.select(sa.func.count()).select_from(Review)
    if team_ids is not None:
        query = query.where(col(Review.team_id).in_(sorted(team_ids)))
    return session.execute(query).scalar_one()


def compliance_summaries(session: Session, owner: str | None, limit: int | None = 20):
    """Stored compliance summaries, newest period first (summaries/store.py): one Deputy Prosecutor's
    (`owner`), or everyone's (None). List rows only: headline figures, no HTML or PDF."""
    from summaries.store import list_summaries

    return list_summaries(session=session, deputy_prosecutor_id=owner, limit=limit)
