"""Sign-in (local password, optional OIDC), sign-out, and the account page (API tokens)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from models.tables import utcnow
from models.web_tables import Account
from store import accounts, sign_in
from store.db import get_existing
from web import security
from web.deps import (
    ANON_CSRF_COOKIE,
    DbRoute,
    DbSession,
    FormPrincipal,
    PagePrincipal,
    client_address,
    operator,
    optional_principal,
    session_signer,
)
from web.templating import cookie_secure, flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute)
ANON_CSRF_MAX_AGE = 3600


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute URL or `//host` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _anon_signer(request: Request) -> security.CookieSigner:
    return security.CookieSigner(request.app.state.settings.secret_key.get_secret_value(), salt="gcu-review.login-csrf")


def _login_page(request: Request, next_url: str, error: str | None = None, status_code: int = 200, username: str = ""):
    token = security.new_csrf_token()
    response = render(
        request,
        "login.html",
        {
            "csrf_token": token,
            "next": next_url,
            "error": error,
            "username": username,
            "oidc_label": request.app.state.settings.oidc_button_label,
        },
        status_code=status_code,
    )
    response.set_cookie(
        ANON_CSRF_COOKIE,
        _anon_signer(request).dumps(token),
        max_age=ANON_CSRF_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    return response


def sign_in_limits(settings) -> sign_in.SignInLimits:
    return sign_in.SignInLimits(
        max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        max_address_failures=settings.login_max_address_failures,
        address_window=timedelta(minutes=settings.login_address_window_minutes),
    )


def start_browser_session(
    request: Request, db, account_id: int, next_url: str, via: str = "password"
) -> RedirectResponse:
    settings = request.app.state.settings
    max_age = timedelta(hours=settings.session_max_age_hours)
    _row, session_id = accounts.start_session(session=db, account_id=account_id, max_age=max_age, via=via)
    db.commit()
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    response.set_cookie(
        settings.session_cookie_name,
        session_signer(settings).dumps(session_id),
        max_age=int(max_age.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    if optional_principal(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, _safe_next(next))


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):
    expected = _anon_signer(request).loads(request.cookies.get(ANON_CSRF_COOKIE), ANON_CSRF_MAX_AGE)
    if not security.same_token(csrf_token, expected):
        return _login_page(request, _safe_next(next), "The sign-in form expired; please try again.", 403, username)
    result = sign_in.authenticate(
        session=db,
        username=username,
        password=password,
        address=client_address(request),
        limits=sign_in_limits(request.app.state.settings),
    )
    if not result.ok or result.account_id is None:
        return _login_page(request, _safe_next(next), result.message, 401, username)
    return start_browser_session(request, db, result.account_id, next)


@router.post("/logout")
def logout(request: Request, db: DbSession, _me: FormPrincipal):
    settings = request.app.state.settings
    max_age = int(timedelta(hours=settings.session_max_age_hours).total_seconds())
    session_id = session_signer(settings).loads(request.cookies.get(settings.session_cookie_name), max_age)
    if session_id:
        accounts.end_session(session=db, session_id=session_id)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(settings.session_cookie_name, path="/")
    return response


@router.get("/")
def home(me: PagePrincipal):
    if me.is_gcu_reviewer:
        return RedirectResponse("/my-reviews", status_code=303)
    if me.is_admin:
        return RedirectResponse("/queue", status_code=303)
    if me.is_deputy_prosecutor:
        return RedirectResponse("/dashboard", status_code=303)
    if me.is_team_staff:
        return RedirectResponse("/team", status_code=303)
    return RedirectResponse("/notifications", status_code=303)


# ---------------------------------------------------------------- account page: API tokens


def _account_page(request: Request, db, me, **extra):
    account = db.get(Account, me.account_id)
    tokens = accounts.list_api_tokens(session=db, account_id=me.account_id)
    return render(
        request,
        "account.html",
        {
            "title": "Your account",
            "tokens": tokens,
            "account": account,
            "token_days": request.app.state.settings.api_token_days,
            "max_token_days": accounts.MAX_TOKEN_DAYS,
            **extra,
        },
    )


@router.get("/account")
def account_page(request: Request, db: DbSession, me: PagePrincipal):
    return _account_page(request, db, me)


@router.post("/account/tokens")
def create_token(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    name: Annotated[str, Form()] = "token",
    days: Annotated[int | None, Form(ge=1, le=accounts.MAX_TOKEN_DAYS)] = None,
    read_only: Annotated[bool, Form()] = False,
):
    account = get_existing(db, Account, me.account_id)
    days = days or request.app.state.settings.api_token_days
    _row, token = accounts.create_api_token(
        session=db,
        account=account,
        name=name,
        read_only=read_only,
        expires_at=utcnow() + timedelta(days=days),
        by=operator(me),
    )
    db.commit()
    return _account_page(request, db, me, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, db: DbSession, me: FormPrincipal, token_id: int):
    if not accounts.revoke_api_token(session=db, account_id=me.account_id, token_id=token_id, by=operator(me)):
        raise HTTPException(404, "No such token.")
    db.commit()
    return flash_redirect(request, "/account", "Token revoked.")


@router.post("/account/identity/unlink")
def unlink_identity(request: Request, db: DbSession, me: FormPrincipal):
    accounts.unlink_identity(session=db, account=get_existing(db, Account, me.account_id), by=operator(me))
    db.commit()
    return flash_redirect(request, "/account", "Sign-in through the identity provider is no longer linked.")


# ---------------------------------------------------------------- OIDC (optional)


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, next: str = "/"):
    from web.oidc import begin

    return await begin(request, _safe_next(next))


@router.post("/auth/oidc/link")
async def oidc_link(request: Request, me: FormPrincipal):
    """Link this account to an identity of the provider: the person proves both at once (signed
    in here, then signing in there)."""
    from web.oidc import begin

    return await begin(request, "/account", link_account_id=me.account_id)


@router.get("/auth/oidc/callback")
async def oidc_callback(request: Request, db: DbSession):
    from web.oidc import finish

    outcome = await finish(request, db, signed_in=optional_principal(request))
    if outcome.account_id is None:
        if outcome.linking:
            return flash_redirect(request, "/account", outcome.error, "error")
        return _login_page(request, "/", outcome.error, 401)
    if outcome.linking:
        return flash_redirect(
            request, "/account", "Sign-in through the identity provider is now linked to this account."
        )
    return start_browser_session(request, db, outcome.account_id, outcome.next_url, via="oidc")
