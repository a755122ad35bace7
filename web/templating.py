"""Jinja2 rendering with the signed-in person, the CSRF token and the flash message of the last
action; autoescaping is on for every template (document text and reasons are user input)."""

import functools
import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, col

from models.enums import ReviewAction
from rules.product_types import label_for
from store.kpi.result import kpi_name
from web import plain
from web.document import COMMENT_ANCHOR
from web.idempotency import new_request_key
from web.security import CookieSigner

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
# Templates change only with a new release (the server restarts): not checked on disk at every render.
TEMPLATES.env.auto_reload = False
FLASH_COOKIE = "gcu_flash"
FLASH_MAX_AGE = 120


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d")
    return value.isoformat()


def _label(value) -> str:
    return str(value or "").replace("_", " ")


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["day"] = day
TEMPLATES.env.filters["label"] = _label
TEMPLATES.env.globals["A"] = ReviewAction
TEMPLATES.env.globals["new_request_key"] = new_request_key  # the action forms' idempotency keys
TEMPLATES.env.filters["type_label"] = label_for  # "IO" -> "Interview outline" (rules/product_types/)
TEMPLATES.env.filters["kpi_name"] = kpi_name  # "10" -> "KPI 10", "SPU" -> "SPU indicator"
TEMPLATES.env.filters["comment_body"] = lambda text: COMMENT_ANCHOR.sub("", text or "", count=1)
TEMPLATES.env.filters["comment_line"] = lambda text: m.group(1) if (m := COMMENT_ANCHOR.match(text or "")) else ""
TEMPLATES.env.filters["where"] = plain.location_label
TEMPLATES.env.filters["citation"] = plain.citation_html
TEMPLATES.env.filters["md_inline"] = plain.inline_markdown
TEMPLATES.env.filters["refusal"] = plain.refusal
TEMPLATES.env.globals["finding_detail"] = plain.finding_detail
TEMPLATES.env.globals["fix_text"] = plain.fix_text
TEMPLATES.env.globals["CITATION_TAGS"] = plain.CITATION_TAGS


def _signer(request: Request) -> CookieSigner:
    return CookieSigner(request.app.state.settings.secret_key.get_secret_value(), salt="gcu-review.flash")


def flash_redirect(request: Request, url: str, message: str, kind: str = "ok") -> RedirectResponse:
    """Redirect after a POST, carrying one message (the result or the refusal reason) to the next page."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        _signer(request).dumps(json.dumps({"kind": kind, "message": message})),
        max_age=FLASH_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    return response


def cookie_secure(request: Request) -> bool:
    settings = request.app.state.settings
    if settings.session_cookie_secure is not None:
        return settings.session_cookie_secure
    return settings.environment != "development"


@functools.cache
def _unread() -> sa.Select:
    """Built once (every page's header asks); on first use, as models are imported after this module."""
    from models.tables import Notification

    return (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(col(Notification.recipient_id) == sa.bindparam("staff_id"), col(Notification.read_at).is_(None))
    )


def unread_notifications(request: Request, staff_id: str) -> int:
    """The header's unread count: one indexed count (recipient_id). On the route's own connection
    while it holds one: on PostgreSQL a checkout of its own cost a ping, a BEGIN and a ROLLBACK,
    three round trips around one count. Read without autoflush, so rendering never writes the
    route's pending changes."""
    db: Session | None = getattr(request.state, "db", None)
    if db is not None and db.in_transaction():
        return db.connection().execute(_unread(), {"staff_id": staff_id}).scalar_one()
    with request.app.state.db_engine.connect() as connection:
        return connection.execute(_unread(), {"staff_id": staff_id}).scalar_one()


def render(request: Request, name: str, context: dict | None = None, *, status_code: int = 200, headers=None):
    context = dict(context or {})
    principal = getattr(request.state, "principal", None)
    context.setdefault("me", principal)
    context.setdefault("csrf_token", principal.csrf_token if principal is not None else context.get("csrf_token", ""))
    flash = None
    raw = request.cookies.get(FLASH_COOKIE)
    if raw:
        data = _signer(request).loads(raw, FLASH_MAX_AGE)
        if data:
            try:
                flash = json.loads(data)
            except ValueError:
                flash = None
    context.setdefault("flash", flash)
    if principal is not None and principal.staff_id and not name.startswith("_"):
        context.setdefault("unread", unread_notifications(request, principal.staff_id))
    context.setdefault("oidc_enabled", bool(request.app.state.settings.oidc_discovery_url))
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
    if raw:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
