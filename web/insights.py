"""What the Deputy Prosecutor's dashboard and the certification page read, for a set of teams
(None: all teams). KPIs and certification gaps are computed by the data layer (store/kpi,
store/cert_gaps); this module only adapts them to the pages, in one function each, so the pages do
not depend on how those modules are arranged."""

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.enums import ReviewState
from models.tables import Review, Team
from store import reviews as review_store
from store.cert_gaps import GapFigures, PersonGaps, gap_overview
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
    """Per team, counted by the database in one grouped query (a few rows back, however many
    reviews there are)."""
    now = now or datetime.now(dt.UTC)
    figures = {t.id: TeamFigures(team_id=t.id, name=t.name or t.id) for t in teams_in_scope(session, team_ids)}
    pending = col(Review.state).in_(sorted(PENDING))

    def count(condition) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    query = sa.select(
        col(Review.team_id),
        count(pending),
        count(sa.and_(pending, col(Review.due_at) < now)),
        count(
            sa.or_(col(Review.state) == str(ReviewState.ESCALATED), sa.and_(pending, col(Review.escalation_level) > 0))
        ),
        count(Review.state == str(ReviewState.RETURNED)),
        count(Review.state == str(ReviewState.APPROVED)),
        count(Review.state == str(ReviewState.WITHDRAWN)),
    ).group_by(Review.team_id)
    if team_ids is not None:
        query = query.where(col(Review.team_id).in_(sorted(team_ids)))
    for team_id, in_review, overdue, escalated, returned, approved, withdrawn in session.execute(query):
        row = figures.setdefault(team_id, TeamFigures(team_id=team_id, name=team_id))
        row.in_review, row.overdue, row.escalated = int(in_review or 0), int(overdue or 0), int(escalated or 0)
        row.returned, row.approved, row.withdrawn = int(returned or 0), int(approved or 0), int(withdrawn or 0)
    return list(figures.values())


def overdue_and_escalated(session: Session, team_ids: frozenset[str] | None, limit: int | None = None):
    """The overdue and the escalated reviews, soonest due first: `limit` of each at most."""
    teams = sorted(team_ids) if team_ids is not None else None
    if teams == []:
        return [], []
    overdue = review_store.list_queue(session=session, team=teams, overdue=True, limit=limit)
    escalated = review_store.list_queue(session=session, team=teams, escalated=True, limit=limit)
    return overdue, escalated


def teams_without_focal_points(session: Session, team_ids: frozenset[str] | None) -> list[tuple[Team, list[str]]]:
    missing = []
    for team in teams_in_scope(session, team_ids):
        areas = [area for area, fp in (("SGBC", team.sgbc_focal_point_id), ("CAC", team.cac_focal_point_id)) if not fp]
        if areas:
            missing.append((team, areas))
    return missing


@dataclass
class GapPage:
    people: list[PersonGaps]  # one page of the people with gaps, by staff id
    figures: GapFigures  # every person's, counted by the database (`figures.people`: how many in all)


def certification_gaps(
    session: Session,
    team_ids: frozenset[str] | None,
    on: dt.date,
    expiring_within: int = 90,
    *,
    limit: int,
    offset: int = 0,
) -> GapPage:
    """People of these teams whose certificates do not meet the role matrix (missing, lapsed,
    expiring within the window), from store.cert_gaps: `limit` of them from `offset`, and the
    figures of all of them."""
    figures, people = gap_overview(
        session=session,
        on=on,
        team_ids=None if team_ids is None else sorted(team_ids),
        expiring_within=expiring_within,
        limit=limit,
        offset=offset,
    )
    return GapPage(people=people, figures=figures)


def certifications(
    session: Session,
    team_ids: frozenset[str] | None,
    on: dt.date,
    expiring_within: int | None = None,
    limit: int | None = None,
    offset: int = 0,
):
    """Certification records per team: [(team, rows)], from store.certifications; with `limit`, one
    page of the records of all these teams together (ordered by team, person, certificate)."""
    teams = teams_in_scope(session, team_ids)
    if limit is None:
        return [
            (team, list_certifications(session=session, on=on, team_id=team.id, expiring_within=expiring_within))
            for team in teams
        ]
    from store.certifications import page_certifications

    rows = page_certifications(
        session=session,
        on=on,
        team_ids=[t.id for t in teams],
        expiring_within=expiring_within,
        limit=limit,
        offset=offset,
    )
    by_team: dict[str, tuple[Any, list[Any]]] = {t.id: (t, []) for t in teams}
    for team_id, row in rows:
        by_team[team_id][1].append(row)
    return [entry for entry in by_team.values() if entry[1]]


def count_certifications(
    session: Session, team_ids: frozenset[str] | None, on: dt.date, expiring_within: int | None = None
) -> int:
    from store.certifications import count_certifications as count

    return count(
        session=session,
        on=on,
        team_ids=[t.id for t in teams_in_scope(session, team_ids)],
        expiring_within=expiring_within,
    )


def kpi_panels(
    session: Session, team_ids: frozenset[str] | None, today: dt.date, trend_periods: int = 4
) -> list[KpiPanel]:
    """KPIs 10, 11 and 12 for the dashboard, with the cluster headline of store/kpi/cluster.py (the
    same figures as the Deputy Prosecutor's compliance summary)."""
    panels = []
    for k in cluster_kpis(session=session, today=today, team_ids=team_ids, trend_periods=trend_periods):
        r = k.result
        panels.append(
            KpiPanel(
                kpi=r.kpi,
                title=r.title,
                citation=r.citation,
                value=k.value,
                target=r.target,
                status=k.status,
                measure=r.measure,
                period=r.period.label,
                numerator=k.numerator,
                denominator=k.denominator,
                per_team=[(b.key, b.value, b.numerator, b.denominator) for b in k.team_rows],
                trend=k.trend,
            )
        )
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
