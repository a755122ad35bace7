"""KPIs 10-12 and the SPU indicator (contract v2 §6.1) for one period and scope: what `gcu-review kpi`
and the daily sweep compute."""

import datetime as dt

from sqlmodel import Session

from store.kpi.config import KpiConfig
from store.kpi.kpi10 import compute_kpi10
from store.kpi.kpi11 import compute_kpi11
from store.kpi.kpi12 import compute_kpi12, compute_kpi12_periods
from store.kpi.periods import Period, containing, previous
from store.kpi.result import KpiResult
from store.kpi.spu import compute_spu_indicator

KPIS = ("10", "11", "12", "SPU")  # every indicator, in the order reports and panels show them


def compute_kpis(
    *,
    session: Session,
    today: dt.date,
    period: Period | None = None,
    team_id: str | None = None,
    situation: str | None = None,
    config: KpiConfig | None = None,
    kpis: tuple[str, ...] = KPIS,
) -> list[KpiResult]:
    """With no `period`, each KPI uses its default period (§7: quarter for 10 and 12, year for 11)
    containing `today`; KPI 12's reporting date is then `today` rather than a future quarter end."""
    config = config or KpiConfig()
    results = []
    scope = dict(team_id=team_id, situation=situation)
    if "10" in kpis:
        results.append(
            compute_kpi10(
                session=session,
                period=period or containing(config.kpi10.default_period, today),
                config=config.kpi10,
                **scope,
            )
        )
    if "11" in kpis:
        results.append(
            compute_kpi11(
                session=session,
                period=period or containing(config.kpi11.default_period, today),
                config=config.kpi11,
                **scope,
            )
        )
    if "12" in kpis:
        results.append(
            compute_kpi12(
                session=session,
                period=period or containing(config.kpi12.default_period, today),
                config=config.kpi12,
                as_of=None if period else today,
                **scope,
            )
        )
    if "SPU" in kpis:
        results.append(
            compute_spu_indicator(
                session=session,
                period=period or containing(config.spu.default_period, today),
                config=config.spu,
                **scope,
            )
        )
    return results


def kpi_over_periods(
    *, session: Session, today: dt.date, kpi: str, count: int, config: KpiConfig | None = None
) -> list[KpiResult]:
    """One KPI over its default period containing `today` and the `count - 1` periods before it,
    newest first (a trend). KPI 12 judges the register once for all of them."""
    config = config or KpiConfig()
    kind = {
        "10": config.kpi10.default_period,
        "11": config.kpi11.default_period,
        "12": config.kpi12.default_period,
        "SPU": config.spu.default_period,
    }[kpi]
    periods = [containing(kind, today)]
    for _ in range(count - 1):
        periods.append(previous(periods[-1], kind))
    if kpi == "12":
        return compute_kpi12_periods(session=session, periods=periods, config=config.kpi12, as_of=today)
    results = compute_kpis(session=session, today=today, config=config, kpis=(kpi,))
    for period in periods[1:]:
        results += compute_kpis(session=session, today=today, period=period, config=config, kpis=(kpi,))
    return results
