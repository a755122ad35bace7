"""KPIs 10-12 and certification gaps for a Deputy Prosecutor's cluster, from the data layer
(store/kpi/cluster.py, store/cert_gaps.py), shaped for the compliance summary."""

import datetime as dt

from sqlmodel import Session

from store.cert_gaps import gap_report
from store.kpi.cluster import cluster_kpis as store_cluster_kpis
from summaries.data import GapRow, KpiFigures, TrendPoint

TREND_PERIODS = 4


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
        )
        for k in store_cluster_kpis(session=session, today=day, team_ids=team_ids, trend_periods=TREND_PERIODS)
    ]


def cluster_gaps(session: Session, team_ids: list[str], on: dt.date, expiring_within: int = 90) -> list[GapRow]:
    """People of the cluster's teams with certification gaps against the role matrix, once each."""
    seen: set[str] = set()
    rows: list[GapRow] = []
    for team_id in team_ids:
        for person in gap_report(session=session, on=on, team_id=team_id, expiring_within=expiring_within):
            if person.staff_id in seen:
                continue
            seen.add(person.staff_id)
            rows.extend(
                GapRow(
                    staff_id=person.staff_id,
                    name=person.name,
                    teams=person.teams,
                    requirement=g.requirement,
                    status=g.status,
                    expires=g.expires,
                )
                for g in person.gaps
            )
    return rows
