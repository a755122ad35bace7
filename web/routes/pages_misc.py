"""The Deputy Prosecutor's dashboard, the certification register, in-app notifications, and the
administrator's account list."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from sqlmodel import select

from models.web_tables import Account
from store import notifications as notification_store
from web import accounts, insights
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, require
from web.heavy import run_heavy
from web.templating import flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute)
REGISTER_PAGE = 200
DASHBOARD_LIST = 100


def dashboard_data(db, me, today: dt.date) -> dict:
    scope = me.dashboard_team_ids()
    overdue, escalated = insights.overdue_and_escalated(db, scope, limit=DASHBOARD_LIST)
    return {
        "scope": scope,
        "figures": insights.review_figures(db, scope),
        "overdue": overdue,
        "escalated": escalated,
        "no_focal_points": insights.teams_without_focal_points(db, scope),
        "gaps": insights.certification_gaps(db, scope, today)[:DASHBOARD_LIST],
        "kpis": insights.kpi_panels(db, scope, today),
        "summaries": insights.compliance_summaries(db, me.summaries_owner()) if me.may_see_summaries() else [],
        "today": today,
    }


@router.get("/dashboard")
async def dashboard(request: Request, db: DbSession, me: PagePrincipal):
    require(me.may_see_dashboard(), "The dashboard is for Deputy Prosecutors and the GCU head.")

    def read() -> dict:
        try:
            return dashboard_data(db, me, dt.date.today())
        finally:
            db.close()

    return render(request, "dashboard.html", {"title": "Dashboard", **await run_heavy(request, read)})


@router.get("/certifications")
async def certifications(request: Request, db: DbSession, me: PagePrincipal,
                   expiring_within: Annotated[int, Query(ge=0, le=3650)] = 90,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    """One page of the register (REGISTER_PAGE records, and the gaps of as many people): a register
    of tens of thousands of people must not become a page of tens of megabytes."""
    require(me.may_see_certifications(), "The certification register is for the GCU, Deputy Prosecutors and teams.")
    return render(request, "certifications.html", await run_heavy(request, _register_page, db, me, expiring_within, page))


def _register_page(db, me, expiring_within: int, page: int) -> dict:
    try:
        return _register_page_body(db, me, expiring_within, page)
    finally:
        db.close()


def _register_page_body(db, me, expiring_within: int, page: int) -> dict:
    scope = me.visible_team_ids()
    today = dt.date.today()
    offset = (page - 1) * REGISTER_PAGE
    gaps = insights.certification_gaps(db, scope, today, expiring_within)
    total = insights.count_certifications(db, scope, today)
    return {
        "title": "Certification register", "today": today, "window": expiring_within,
        "per_team": insights.certifications(db, scope, today, limit=REGISTER_PAGE, offset=offset),
        "expiring": insights.certifications(db, scope, today, expiring_within=expiring_within, limit=REGISTER_PAGE),
        "gaps": gaps[offset:offset + REGISTER_PAGE],
        "pager": {"page": page, "pages": max(1, -(-max(total, len(gaps)) // REGISTER_PAGE)), "total": total,
                  "total_gaps": len(gaps)},
    }


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


@router.get("/admin/accounts")
def admin_accounts(request: Request, db: DbSession, me: PagePrincipal):
    require(me.is_admin, "Only administrators manage accounts.")
    rows = db.exec(select(Account).order_by(Account.username)).all()
    return render(request, "admin_accounts.html", {"title": "Accounts", "rows": rows, "now": dt.datetime.now(dt.timezone.utc)})


@router.post("/admin/accounts")
def admin_create_account(
    request: Request, db: DbSession, me: FormPrincipal,
    username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "", staff_id: Annotated[str, Form()] = "",
):
    require(me.is_admin, "Only administrators manage accounts.")
    try:
        accounts.create_account(session=db, username=username, password=password or None, staff_id=staff_id.strip() or None)
    except ValueError as exc:
        return flash_redirect(request, "/admin/accounts", str(exc), "error")
    db.commit()
    return flash_redirect(request, "/admin/accounts", f"Account {username} created.")


@router.post("/admin/accounts/{account_id}/unlock")
def admin_unlock(request: Request, db: DbSession, me: FormPrincipal, account_id: int):
    require(me.is_admin, "Only administrators manage accounts.")
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "No such account.")
    account.locked_until, account.failed_logins = None, 0
    db.add(account)
    db.commit()
    return flash_redirect(request, "/admin/accounts", f"Account {account.username} unlocked.")
