"""The Deputy Prosecutor's dashboard, the certification register and in-app notifications (the
administrator's account pages are pages_admin.py)."""

import datetime as dt

from fastapi import APIRouter, HTTPException, Request

from store import notifications as notification_store
from web import insights
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, require
from web.templating import flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute)


def dashboard_data(db, me, today: dt.date) -> dict:
    scope = me.dashboard_team_ids()
    overdue, escalated = insights.overdue_and_escalated(db, scope)
    return {
        "scope": scope,
        "figures": insights.review_figures(db, scope),
        "overdue": overdue,
        "escalated": escalated,
        "no_focal_points": insights.teams_without_focal_points(db, scope),
        "gaps": insights.certification_gaps(db, scope, today),
        "kpis": insights.kpi_panels(db, scope, today),
        "summaries": insights.compliance_summaries(db, me.summaries_owner()) if me.may_see_summaries() else [],
        "today": today,
    }


@router.get("/dashboard")
def dashboard(request: Request, db: DbSession, me: PagePrincipal):
    require(me.may_see_dashboard(), "The dashboard is for Deputy Prosecutors and the GCU head.")
    return render(request, "dashboard.html", {"title": "Dashboard", **dashboard_data(db, me, dt.date.today())})


@router.get("/certifications")
def certifications(request: Request, db: DbSession, me: PagePrincipal, expiring_within: int = 90):
    require(me.may_see_certifications(), "The certification register is for the GCU, Deputy Prosecutors and teams.")
    scope = me.visible_team_ids()
    today = dt.date.today()
    return render(request, "certifications.html", {
        "title": "Certification register", "today": today, "window": expiring_within,
        "per_team": insights.certifications(db, scope, today),
        "expiring": insights.certifications(db, scope, today, expiring_within=expiring_within),
        "gaps": insights.certification_gaps(db, scope, today, expiring_within),
    })


@router.get("/notifications")
def notifications(request: Request, db: DbSession, me: PagePrincipal):
    rows = notification_store.list_for(session=db, recipient_id=me.staff_id, limit=200) if me.staff_id else []
    return render(request, "notifications.html", {"title": "Notifications", "rows": rows})


@router.post("/notifications/{notification_id}/read")
def mark_read(request: Request, db: DbSession, me: FormPrincipal, notification_id: int):
    if not me.staff_id or not notification_store.mark_read(session=db, notification_id=notification_id, recipient_id=me.staff_id):
        raise HTTPException(404, "No such notification.")
    db.commit()
    return flash_redirect(request, "/notifications", "Marked as read.")
