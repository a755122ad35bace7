"""The administrator's account pages: create, edit (username, staff link, administrator role),
deactivate and reactivate, unlock, reset the password, revoke API tokens, link or unlink the
identity-provider sign-in, and the sign-in event log. Every change is an audit event
(store/account_events.py) recorded with the administrator who made it."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from sqlmodel import select

from models.tables import stored_id
from models.web_tables import Account
from store import accounts, sign_in
from store.account_events import events_of
from store.credentials import PasswordPolicyError
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, operator, require
from web.templating import flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute)
ONLY_ADMINS = "Only administrators manage accounts."


def _account(db, account_id: int) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "No such account.")
    return account


@router.get("/admin/accounts")
def admin_accounts(request: Request, db: DbSession, me: PagePrincipal):
    require(me.is_admin, ONLY_ADMINS)
    rows = db.exec(select(Account).order_by(Account.username)).all()
    return render(request, "admin_accounts.html", {"title": "Accounts", "rows": rows, "now": dt.datetime.now(dt.UTC)})


@router.post("/admin/accounts")
def admin_create_account(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    staff_id: Annotated[str, Form()] = "",
):
    require(me.is_admin, ONLY_ADMINS)
    try:
        accounts.create_account(
            session=db, username=username, password=password or None, staff_id=staff_id.strip() or None, by=operator(me)
        )
    except ValueError as exc:
        return flash_redirect(request, "/admin/accounts", str(exc), "error")
    db.commit()
    return flash_redirect(request, "/admin/accounts", f"Account {username} created.")


@router.get("/admin/accounts/{account_id}")
def admin_account(request: Request, db: DbSession, me: PagePrincipal, account_id: int):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    return render(
        request,
        "admin_account.html",
        {
            "title": f"Account {account.username}",
            "account": account,
            "now": dt.datetime.now(dt.UTC),
            "tokens": accounts.list_api_tokens(session=db, account_id=stored_id(account)),
            "events": events_of(session=db, account_id=stored_id(account)),
            "sign_ins": sign_in.recent_sign_ins(session=db, limit=20, username=account.username),
        },
    )


@router.post("/admin/accounts/{account_id}/edit")
def admin_edit(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    account_id: int,
    username: Annotated[str, Form()] = "",
    staff_id: Annotated[str, Form()] = "",
    is_admin: Annotated[bool, Form()] = False,
):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    page = f"/admin/accounts/{account_id}"
    try:
        accounts.update_account(
            session=db,
            account=account,
            by=operator(me),
            username=username,
            staff_id=staff_id,
            unlink_staff=not staff_id.strip(),
            is_admin=is_admin,
        )
    except accounts.AccountError as exc:
        db.rollback()
        return flash_redirect(request, page, str(exc), "error")
    db.commit()
    return flash_redirect(request, page, f"Account {account.username} saved.")


@router.post("/admin/accounts/{account_id}/deactivate")
def admin_deactivate(
    request: Request, db: DbSession, me: FormPrincipal, account_id: int, reason: Annotated[str, Form()] = ""
):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    page = f"/admin/accounts/{account_id}"
    if account.id == me.account_id:
        return flash_redirect(request, page, "You cannot deactivate your own account.", "error")
    try:
        accounts.set_active(session=db, account=account, active=False, by=operator(me), reason=reason.strip() or None)
    except accounts.AccountError as exc:
        return flash_redirect(request, page, str(exc), "error")
    db.commit()
    return flash_redirect(request, page, f"Account {account.username} deactivated: signed out, its tokens revoked.")


@router.post("/admin/accounts/{account_id}/activate")
def admin_activate(request: Request, db: DbSession, me: FormPrincipal, account_id: int):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    accounts.set_active(session=db, account=account, active=True, by=operator(me))
    db.commit()
    return flash_redirect(request, f"/admin/accounts/{account_id}", f"Account {account.username} reactivated.")


@router.post("/admin/accounts/{account_id}/unlock")
def admin_unlock(request: Request, db: DbSession, me: FormPrincipal, account_id: int):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    accounts.unlock(session=db, account=account, by=operator(me))
    db.commit()
    return flash_redirect(request, "/admin/accounts", f"Account {account.username} unlocked.")


@router.post("/admin/accounts/{account_id}/password")
def admin_reset_password(
    request: Request, db: DbSession, me: FormPrincipal, account_id: int, password: Annotated[str, Form()] = ""
):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    page = f"/admin/accounts/{account_id}"
    try:
        accounts.set_password(session=db, username=account.username, password=password, by=operator(me))
    except (accounts.AccountError, PasswordPolicyError) as exc:
        return flash_redirect(request, page, str(exc), "error")
    db.commit()
    return flash_redirect(
        request, page, f"Password of {account.username} set: signed out everywhere, its API tokens revoked."
    )


@router.post("/admin/accounts/{account_id}/tokens/{token_id}/revoke")
def admin_revoke_token(request: Request, db: DbSession, me: FormPrincipal, account_id: int, token_id: int):
    require(me.is_admin, ONLY_ADMINS)
    _account(db, account_id)
    if not accounts.revoke_api_token(session=db, account_id=account_id, token_id=token_id, by=operator(me)):
        raise HTTPException(404, "No such token.")
    db.commit()
    return flash_redirect(request, f"/admin/accounts/{account_id}", "Token revoked.")


@router.post("/admin/accounts/{account_id}/identity")
def admin_identity(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    account_id: int,
    email: Annotated[str, Form()] = "",
    unlink: Annotated[bool, Form()] = False,
):
    require(me.is_admin, ONLY_ADMINS)
    account = _account(db, account_id)
    page = f"/admin/accounts/{account_id}"
    try:
        if unlink:
            accounts.unlink_identity(session=db, account=account, by=operator(me))
        else:
            accounts.allow_identity_link(session=db, account=account, email=email, by=operator(me))
    except accounts.AccountError as exc:
        return flash_redirect(request, page, str(exc), "error")
    db.commit()
    return flash_redirect(
        request,
        page,
        "Identity-provider link removed."
        if unlink
        else f"The next sign-in with the verified email {email.strip()} will be linked to {account.username}.",
    )


@router.get("/admin/sign-ins")
def admin_sign_ins(request: Request, db: DbSession, me: PagePrincipal, username: str = ""):
    require(me.is_admin, ONLY_ADMINS)
    rows = sign_in.recent_sign_ins(session=db, limit=500, username=username.strip() or None)
    return render(request, "admin_sign_ins.html", {"title": "Sign-in log", "rows": rows, "username": username})
