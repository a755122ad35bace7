"""KPIs 10-12 for a group of teams (a Deputy Prosecutor's cluster), with their trend: the one
definition that the dashboard (web/insights.py) and the compliance summaries (summaries/cluster.py)
both show.

Cluster headline: KPI 10 counts the cluster's teams whose relevant products were all engaged (over
the teams that had relevant products); KPIs 11 and 12 and the SPU indicator add up the teams'
numerators and denominators from the per-team breakdown (a person on the staff of two teams of the cluster counts in both).
With no team filter (`team_ids` None: the GCU head, the admin) the office-wide figures are used.
"""

import datetime as dt
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from store.kpi.config import KpiConfig, load_kpi_config
from store.kpi.report import KPIS, kpi_over_periods
from store.kpi.result import KpiResult, ratio, status_of

DEFAULT_TREND_PERIODS = 4


class ClusterKpi(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    result: KpiResult  # office-wide result for the period, with its per-team breakdown
    team_rows: list  # the breakdown rows of the cluster's teams
    numerator: int
    denominator: int
    value: float | None
    status: str
    trend: list[tuple[str, float | None]]  # oldest first, the current period last


def _rows(result: KpiResult, team_ids: frozenset[str] | None) -> list:
    rows = result.breakdowns.get("team", [])
    return rows if team_ids is None else [b for b in rows if b.key in team_ids]


def cluster_headline(result: KpiResult, team_ids: frozenset[str] | None) -> tuple[int, int, float | None]:
    if team_ids is None:
        return result.numerator, result.denominator, result.value
    rows = _rows(result, team_ids)
    if result.kpi == "10":
        numerator = sum(1 for b in rows if b.denominator and b.extra.get("all_engaged"))
        denominator = sum(1 for b in rows if b.denominator)
    else:
        numerator, denominator = sum(b.numerator for b in rows), sum(b.denominator for b in rows)
    return numerator, denominator, ratio(numerator, denominator)


def cluster_kpis(
    *,
    session: Session,
    today: dt.date,
    team_ids: Iterable[str] | None,
    trend_periods: int = DEFAULT_TREND_PERIODS,
    config: KpiConfig | None = None,
) -> list[ClusterKpi]:
    """Each KPI over its default period containing `today` (§7: quarter for 10 and 12, year for 11),
    with the periods before it as the trend. `config` defaults to the configured definitions
    (KPI_CONFIG_FILE), so every view states the same numbers."""
    config = config or load_kpi_config()
    scope = None if team_ids is None else frozenset(team_ids)
    figures = []
    for kpi in KPIS:
        result, *past = kpi_over_periods(
            session=session, today=today, kpi=kpi, count=max(1, trend_periods), config=config
        )
        numerator, denominator, value = cluster_headline(result, scope)
        trend = [(p.period.label, cluster_headline(p, scope)[2]) for p in reversed(past)] + [
            (result.period.label, value)
        ]
        figures.append(
            ClusterKpi(
                result=result,
                team_rows=_rows(result, scope),
                numerator=numerator,
                denominator=denominator,
                value=value,
                status=status_of(value, result.target),
                trend=trend,
            )
        )
    return figures
