"""KPIs 10-12 and certification gaps for a Deputy Prosecutor's cluster, from the data layer
(store/kpi, store/cert_gaps). Either returns None when its module is not installed, so a summary
can still be made.

Cluster headline (the same rule as the web dashboard, web/insights.py): KPI 10 counts the cluster's
teams whose relevant products were all engaged (over the teams that had relevant products); KPIs
11 and 12 add up the teams' numerators and denominators from the per-team breakdown.
"""

import datetime as dt

from sqlmodel import Session

from summaries.data import GapRow, KpiFigures, TrendPoint

TREND_PERIODS = 4


def _headline(result, team_ids: list[str]) -> tuple[int, int, float | None, list]:
    rows = [b for b in result.breakdowns.get("team", []) if b.key in set(team_ids)]
    if result.kpi == "10":
        numerator = sum(1 for b in rows if b.denominator and b.extra.get("all_engaged"))
        denominator = sum(1 for b in rows if b.denominator)
    else:
        numerator, denominator = sum(b.numerator for b in rows), sum(b.denominator for b in rows)
    return numerator, denominator, (numerator / denominator if denominator else None), rows


def _status(value: float | None, target: float | None) -> str:
    if value is None:
        return "no data"
    if target is None:
        return "no target"
    return "met" if value >= target - 1e-12 else "not met"


def cluster_kpis(session: Session, team_ids: list[str], day: dt.date) -> list[KpiFigures] | None:
    """Each KPI over its default period containing `day` (§7: quarter for 10 and 12, year for 11),
    with the three periods before it as the trend."""
    try:
        from store.kpi.config import load_kpi_config
        from store.kpi.periods import previous
        from store.kpi.report import compute_kpis
    except ImportError:
        return None
    config = load_kpi_config()
    kinds = {"10": config.kpi10.default_period, "11": config.kpi11.default_period, "12": config.kpi12.default_period}
    figures = []
    for result in compute_kpis(session=session, today=day, config=config):
        numerator, denominator, value, rows = _headline(result, team_ids)
        trend, period = [TrendPoint(period=result.period.label, value=value)], result.period
        for _ in range(TREND_PERIODS - 1):
            period = previous(period, kinds[result.kpi])
            (past,) = compute_kpis(session=session, today=day, period=period, config=config, kpis=(result.kpi,))
            trend.insert(0, TrendPoint(period=past.period.label, value=_headline(past, team_ids)[2]))
        figures.append(KpiFigures(
            kpi=result.kpi, title=result.title, citation=result.citation, period=result.period.label,
            measure=result.measure, numerator=numerator, denominator=denominator, value=value, target=result.target,
            status=_status(value, result.target), per_team=[TrendPoint(period=b.key, value=b.value) for b in rows],
            trend=trend,
        ))
    return figures


def cluster_gaps(session: Session, team_ids: list[str], on: dt.date, expiring_within: int = 90) -> list[GapRow] | None:
    """People of the cluster's teams with certification gaps against the role matrix, once each."""
    try:
        from store.cert_gaps import gap_report
    except ImportError:
        return None
    seen: set[str] = set()
    rows: list[GapRow] = []
    for team_id in team_ids:
        for person in gap_report(session=session, on=on, team_id=team_id, expiring_within=expiring_within):
            if person.staff_id in seen:
                continue
            seen.add(person.staff_id)
            rows.extend(GapRow(staff_id=person.staff_id, name=person.name, teams=person.teams, requirement=g.requirement,
                               status=g.status, expires=g.expires) for g in person.gaps)
    return rows
