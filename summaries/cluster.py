"""KPIs 10-12 and certification gaps for a Deputy Prosecutor's cluster, from the data layer
(store/kpi/cluster.py, store/cert_gaps.py), shaped for the compliance summary."""

import datetime as dt

from sqlmodel import Session

from rules.vulnerability import CATEGORIES
from store.cert_gaps import gap_overview
from store.kpi.cluster import ClusterKpi
from store.kpi.cluster import cluster_kpis as store_cluster_kpis
from store.kpi.config import SpuConfig
from store.kpi.result import KpiResult, ratio
from store.kpi.spu import compute_spu_indicator
from summaries.data import BreakdownLine, GapCount, GapRow, KpiFigures, TrendPoint

TREND_PERIODS = 4
GAP_LIST = 100  # people whose gaps a summary lists; it counts all of them


def cluster_kpis(session: Session, team_ids: list[str], day: dt.date) -> list[KpiFigures]:
    """Each KPI over its default period containing `day`, with the three periods before it as the
    trend (store/kpi/cluster.py: the same figures as the dashboard)."""
    return [
        KpiFigures(
            kpi=k.result.kpi,
            title=k.result.title,
            citation=k.result.citation,
            period=k.result.period.label,
            measure=k.result.measure,
            numerator=k.numerator,
            denominator=k.denominator,
            value=k.value,
            target=k.result.target,
            status=k.status,
            per_team=[TrendPoint(period=b.key, value=b.value) for b in k.team_rows],
            trend=[TrendPoint(period=label, value=value) for label, value in k.trend],
            breakdowns=_spu_breakdowns(session, k, team_ids) if k.result.kpi == "SPU" else {},
        )
        for k in store_cluster_kpis(session=session, today=day, team_ids=team_ids, trend_periods=TREND_PERIODS)
    ]


SPU_BREAKDOWNS = ("team", "situation", "vulnerability_category")
CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}  # v2 §6.1's order; teams and situations by name


def _spu_breakdowns(session: Session, k: ClusterKpi, team_ids: list[str] | None) -> dict[str, list[BreakdownLine]]:
    """The SPU indicator's rows over the cluster's teams. A record belongs to one team, so the
    teams' own rows add up to the cluster's (categories too: each team's record counts once per
    category of its witness); the office-wide result already holds them when there is no filter."""
    if team_ids is None:
        results: list[KpiResult] = [k.result]
    else:
        config = SpuConfig(**k.result.definition)
        results = [
            compute_spu_indicator(session=session, period=k.result.period, config=config, team_id=team)
            for team in team_ids
        ]
    lines: dict[str, list[BreakdownLine]] = {}
    for name in SPU_BREAKDOWNS:
        sums: dict[str, list[int]] = {}
        for result in results:
            for row in result.breakdowns.get(name, []):
                tally = sums.setdefault(row.key, [0, 0])
                tally[0] += row.numerator
                tally[1] += row.denominator
        keys = sorted(sums, key=lambda key: (CATEGORY_ORDER.get(key, len(CATEGORY_ORDER)), key))
        lines[name] = [
            BreakdownLine(key=key, numerator=sums[key][0], denominator=sums[key][1], value=ratio(*sums[key]))
            for key in keys
        ]
    return lines


def cluster_gaps(
    session: Session, team_ids: list[str], on: dt.date, expiring_within: int = 90
) -> tuple[list[GapRow], int, list[GapCount]]:
    """People of the cluster's teams with certification gaps against the role matrix: the gaps of
    the first GAP_LIST of them (by staff id, once each), how many people have gaps, and how many per
    requirement and status. A summary of a 50,000-person cluster lists a page, not everyone: the
    Certifications page has the rest."""
    if not team_ids:
        return [], 0, []
    figures, people = gap_overview(
        session=session, on=on, team_ids=team_ids, expiring_within=expiring_within, limit=GAP_LIST
    )
    rows = [
        GapRow(
            staff_id=person.staff_id,
            name=person.name,
            teams=person.teams,
            requirement=g.requirement,
            status=g.status,
            expires=g.expires,
        )
        for person in people
        for g in person.gaps
    ]
    counts = [GapCount(requirement=r.requirement, status=r.status, people=r.people) for r in figures.by_requirement]
    return rows, figures.people, counts
