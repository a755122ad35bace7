"""The Deputy Prosecutor's dashboard, the certification register and in-app notifications (the
administrator's account pages are pages_admin.py)."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from store import notifications as notification_store
from web import charts, insights, readmodel
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, require
from web.heavy import run_heavy
from web.templating import flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute)
REGISTER_PAGE = 200
DASHBOARD_LIST = 100


def dashboard_data(db, me, today: dt.date) -> dict:
    scope = me.dashboard_team_ids()
    overdue, escalated = insights.overdue_and_escalated(db, scope, limit=DASHBOARD_LIST)
    figures = insights.review_figures(db, scope)
    gaps = insights.certification_gaps(db, scope, today, limit=DASHBOARD_LIST)
    return {
        "scope": scope,
        "figures": figures,
        "overdue": overdue,
        "escalated": escalated,
        "no_focal_points": insights.teams_without_focal_points(db, scope),
        "gaps": gaps.people,
        "gap_figures": gaps.figures,
        # Each list shows DASHBOARD_LIST at most, says how many there are, and links to all of them.
        "totals": {
            "overdue": sum(f.overdue for f in figures),
            "escalated": sum(f.escalated for f in figures),
            "gaps": gaps.figures.people,
        },
        "kpis": insights.kpi_panels(db, scope, today),
        "names": readmodel.staff_names(db, [r.assignee_id for r in overdue]),
        "summaries": insights.compliance_summaries(db, me.summaries_owner()) if me.may_see_summaries() else [],
        "today": today,
    }


def recent_quarters(today: dt.date, n: int = 8) -> list[str]:
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(n):
        out.append(f"{year}-Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out


@router.get("/dashboard")
async def dashboard(request: Request, db: DbSession, me: PagePrincipal, quarter: str = ""):
    require(me.may_see_dashboard(), "The dashboard is for Deputy Prosecutors and the GCU head.")
    from store.kpi.periods import parse_period

    today = dt.date.today()
    quarters = recent_quarters(today)
    if quarter and quarter not in quarters:
        raise HTTPException(
            422, f"Choose one of the last eight quarters ({quarters[-1]} to {quarters[0]}), not “{quarter}”."
        )
    chosen = quarter or quarters[0]
    as_of = min(parse_period(chosen).end, today)

    def read() -> dict:  # on the slow-work threads (web/heavy.py): quick pages keep theirs
        try:
            return dashboard_data(db, me, as_of)
        finally:
            db.close()

    data = await run_heavy(request, read)
    return render(
        request,
        "dashboard.html",
        {"title": "Dashboard", "quarters": quarters, "chosen": chosen, **data, **dashboard_charts(data, me)},
    )


_SEGMENTS = (
    ("in_review", "with the GCU", "#0b5cad", "state=with_gcu"),
    ("returned", "returned", "#bf8700", "state=returned"),
    ("approved", "approved", "#1a7f37", "state=approved"),
    ("withdrawn", "withdrawn", "#8c959f", "state=withdrawn"),
)


def dashboard_charts(data: dict, me) -> dict:
    """SVG charts of the dashboard's figures, every mark a link to the list behind it."""
    team_chart = charts.stacked_bars(
        [
            (
                f.team_id,
                [
                    charts.Segment(label, getattr(f, attr), colour, f"/products?team={f.team_id}&{query}")
                    for attr, label, colour, query in _SEGMENTS
                ],
            )
            for f in data["figures"]
        ],
        title="Reviews per team by state",
    )
    kpi_charts = {}
    for k in data["kpis"] or []:
        hrefs = ["/certifications" if k.kpi == "12" else f"/products?period={label}" for label, _v in k.trend]
        kpi_charts[k.kpi] = charts.kpi_trend(k.trend, k.target, title=f"KPI {k.kpi} trend: {k.title}", hrefs=hrefs)
    return {"team_chart": team_chart, "kpi_charts": kpi_charts, "segments": _SEGMENTS}


@router.get("/certifications")
async def certifications(
    request: Request,
    db: DbSession,
    me: PagePrincipal,
    expiring_within: Annotated[int, Query(ge=0, le=3650)] = 90,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """One page of the register (REGISTER_PAGE records, and the gaps of as many people): a register
    of tens of thousands of people must not become a page of tens of megabytes."""
    require(me.may_see_certifications(), "The certification register is for the GCU, Deputy Prosecutors and teams.")
    return render(
        request, "certifications.html", await run_heavy(request, _register_page, db, me, expiring_within, page)
    )


def _register_page(db, me, expiring_within: int, page: int) -> dict:
    try:
        return _register_page_body(db, me, expiring_within, page)
    finally:
        db.close()


def _register_page_body(db, me, expiring_within: int, page: int) -> dict:
    scope = me.visible_team_ids()
    today = dt.date.today()
    offset = (page - 1) * REGISTER_PAGE
    gaps = insights.certification_gaps(db, scope, today, expiring_within, limit=REGISTER_PAGE, offset=offset)
    total = insights.count_certifications(db, scope, today)
    return {
        "title": "Certification register",
        "today": today,
        "window": expiring_within,
        "per_team": insights.certifications(db, scope, today, limit=REGISTER_PAGE, offset=offset),
        "expiring": insights.certifications(db, scope, today, expiring_within=expiring_within, limit=REGISTER_PAGE),
        "gaps": gaps.people,
        "gap_figures": gaps.figures,
        "pager": {
            "page": page,
            "pages": max(1, -(-max(total, gaps.figures.people) // REGISTER_PAGE)),
            "total": total,
            "total_gaps": gaps.figures.people,
        },
    }


@router.get("/notifications")
def notifications(request: Request, db: DbSession, me: PagePrincipal):
    rows = notification_store.list_for(session=db, recipient_id=me.staff_id, limit=200) if me.staff_id else []
    return render(request, "notifications.html", {"title": "Notifications", "rows": rows})


@router.post("/notifications/{notification_id}/read")
def mark_read(request: Request, db: DbSession, me: FormPrincipal, notification_id: int):
    if not me.staff_id or not notification_store.mark_read(
        session=db, notification_id=notification_id, recipient_id=me.staff_id
    ):
        raise HTTPException(404, "No such notification.")
    db.commit()
    return flash_redirect(request, "/notifications", "Marked as read.")
