"""The SPU dashboard: the SPU indicator (contract v2 §6.1) for SPU officers (and the GCU head, who
receives it for the Deputy Prosecutors' summaries, ¶64), with its trend, breakdowns and the lists
the SPU acts on."""

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from store.kpi.config import load_kpi_config
from store.kpi.periods import containing, parse_period, previous
from store.kpi.spu import compute_spu_indicator
from web.deps import DbRoute, DbSession, PagePrincipal, require
from web.templating import render

router = APIRouter(include_in_schema=False, route_class=DbRoute)
TREND_PERIODS = 4


@router.get("/spu")
def spu_dashboard(request: Request, db: DbSession, me: PagePrincipal, period: str = ""):
    require(me.may_see_spu_dashboard(), "The SPU dashboard is for SPU officers and the GCU head.")
    config = load_kpi_config().spu
    try:
        chosen = parse_period(period) if period else containing(config.default_period, dt.date.today())
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"period: {exc}") from None
    result = compute_spu_indicator(session=db, period=chosen, config=config)
    trend: list[Any] = []
    past = chosen
    for _ in range(TREND_PERIODS - 1):
        past = previous(past, config.default_period)
        earlier = compute_spu_indicator(session=db, period=past, config=config)
        trend.insert(0, (past.label, earlier.value, earlier.numerator, earlier.denominator))
    trend.append((chosen.label, result.value, result.numerator, result.denominator))
    return render(
        request,
        "spu.html",
        {
            "title": "SPU dashboard",
            "r": result,
            "trend": trend,
            "previous": previous(chosen, config.default_period).label,
        },
    )
