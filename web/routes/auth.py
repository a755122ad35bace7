"""Sign-in (local password, optional OIDC), sign-out, and the account page (API tokens)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from web import accounts, security
from web.deps import ANON_CSRF_COOKIE, DbRoute, DbSession, FormPrincipal, PagePrincipal, optional_principal, session_signer
from web.templating import cookie_secure, flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute)
ANON_CSRF_MAX_AGE = 3600


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute URL or `//host` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _anon_signer(request: Request) -> security.CookieSigner:
    return security.CookieSigner(request.app.state.settings.secret_key, salt="gcu-review.login-csrf")


def _login_page(request: Request, next_url: str, error: str | None = None, status_code: int = 200, username: str = ""):
    token = security.new_csrf_token()
    response = render(
        request, "login.html",
        {"csrf_token": token, "next": next_url, "error": error, "username": username,
         "oidc_label": request.app.state.settings.oidc_button_label},
        status_code=status_code,
    )
    response.set_cookie(
        ANON_CSRF_COOKIE, _anon_signer(request).dumps(token), max_age=ANON_CSRF_MAX_AGE, httponly=True,
        samesite="lax", secure=cookie_secure(request), path="/",
    )
    return response


def start_browser_session(request: Request, db, account_id: int, next_url: str, via: str = "password") -> RedirectResponse:
    settings = request.app.state.settings
    max_age = timedelta(hours=settings.session_max_age_hours)
    _row, session_id = accounts.start_session(session=db, account_id=account_id, max_age=max_age, via=via)
    db.commit()
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    response.set_cookie(
        settings.session_cookie_name, session_signer(settings).dumps(session_id),
        max_age=int(max_age.total_seconds()), httponly=True, samesite="lax", secure=cookie_secure(request), path="/",
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
    settings = request.app.state.settings
    result = accounts.authenticate(
        session=db, username=username, password=password, max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
    db.commit()
    if not result.ok:
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


@router.get("/account")
def account_page(request: Request, db: DbSession, me: PagePrincipal):
    tokens = accounts.list_api_tokens(session=db, account_id=me.account_id)
    return render(request, "account.html", {"title": "Your account", "tokens": tokens})


@router.post("/account/tokens")
def create_token(request: Request, db: DbSession, me: FormPrincipal, name: Annotated[str, Form()] = "token"):
    from models.web_tables import Account

    account = db.get(Account, me.account_id)
    _row, token = accounts.create_api_token(session=db, account=account, name=name)
    db.commit()
    tokens = accounts.list_api_tokens(session=db, account_id=me.account_id)
    return render(request, "account.html", {"title": "Your account", "tokens": tokens, "new_token": token})


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, db: DbSession, me: FormPrincipal, token_id: int):
    if not accounts.revoke_api_token(session=db, account_id=me.account_id, token_id=token_id):
        raise HTTPException(404, "No such token.")
    db.commit()
    return flash_redirect(request, "/account", "Token revoked.")


# ---------------------------------------------------------------- OIDC (optional)


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, next: str = "/"):
    from web.oidc import begin

    return await begin(request, _safe_next(next))


@router.get("/auth/oidc/callback")
async def oidc_callback(request: Request, db: DbSession):
    from web.oidc import finish

    account_id, next_url, error = await finish(request, db)
    if account_id is None:
        return _login_page(request, "/", error, 401)
    return start_browser_session(request, db, account_id, next_url, via="oidc")
