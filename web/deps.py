"""FastAPI dependencies: the database session, the signed-in person (cookie for pages, Bearer token
for /api), CSRF checks, the Temporal client, and the flash message of the last action."""

import asyncio
import functools
import inspect
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from temporalio.client import Client

from models.enums import AuditChannel, ReviewAction
from models.tables import Product, Review
from settings import Settings
from store import accounts
from store.account_events import Operator
from web import security
from web.access import Principal, may_act, principal_for

ANON_CSRF_COOKIE = "gcu_csrf"
log = logging.getLogger("gcu_review.web")


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the sign-in page."""


class TemporalConnector:
    """One client per app, connected on first use (the pages that only read never need Temporal)."""

    def __init__(self, settings: Settings, client: Client | None = None):
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    from service.temporal_client import connect

                    self._client = await connect(self._settings)
        return self._client


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The route's session. Made and closed on the event loop (no thread hop): a Session opens no
    connection until its first query, which the route makes in its own worker thread."""
    session = Session(request.app.state.db_engine, expire_on_commit=False)
    request.state.db = session  # the page header's unread count reads on it (web.templating.render)
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]


class DbRoute(APIRoute):
    """A route whose synchronous endpoint gives its database connection back before it returns.

    FastAPI validates a sync endpoint's return value in a second worker thread, and closes the
    `get_db` session only after the response is sent. Holding the connection until then, a request
    would wait for a thread while keeping a connection that a thread may be waiting for: with few
    threads (WEB_THREADS) and a busy pool, both waits never end."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any):
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _releasing_sessions(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _releasing_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.close()

    return run


def session_signer(settings: Settings) -> security.CookieSigner:
    return security.CookieSigner(settings.secret_key.get_secret_value(), salt="gcu-review.session")


_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


# Who is signed in is read in a session of its own, closed before the route runs: a request never
# holds a pooled connection while it waits for a worker thread (with WEB_THREADS below the pool
# size, that wait would otherwise deadlock under load).
def _session_principal(request: Request) -> Principal | None:
    settings: Settings = request.app.state.settings
    max_age = int(timedelta(hours=settings.session_max_age_hours).total_seconds())
    session_id = session_signer(settings).loads(request.cookies.get(settings.session_cookie_name), max_age)
    if session_id is None:
        return None
    engine = request.app.state.db_engine
    with Session(engine, expire_on_commit=False) as db:
        if engine.dialect.name == "postgresql":
            # Two reads and at most one write (the last use, committed at once anyway): each its own
            # transaction spares the BEGIN and the ROLLBACK, two of a page's round trips. (SQLite
            # begins no transaction for a read, and would reset the isolation level with a PRAGMA.)
            db.connection(execution_options=_AUTOCOMMIT)
        found = accounts.signed_in(
            session=db, session_id=session_id, idle=timedelta(minutes=settings.session_idle_minutes)
        )
        if found is None:
            return None
        row, account, staff = found
        if db.dirty:
            # The session's last use, at most once a minute; committed before any other query (its
            # autoflush would write the change and leave it to the rollback at close).
            db.commit()
        return principal_for(db, account, csrf_token=row.csrf_token, staff=staff)


def optional_principal(request: Request) -> Principal | None:
    return _session_principal(request)


def page_principal(request: Request) -> Principal:
    principal = _session_principal(request)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def check_csrf(principal: PagePrincipal, csrf_token: Annotated[str, Form()] = "") -> Principal:
    if not security.same_token(csrf_token, principal.csrf_token):
        raise HTTPException(
            status_code=403,
            detail="The form has expired or did not come from this site (CSRF check). Reload the page and try again.",
        )
    return principal


FormPrincipal = Annotated[Principal, Depends(check_csrf)]

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(
    auto_error=False, description="An API token: `gcu-review accounts token USERNAME`, or the Account page."
)


def api_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status_code=401, detail="a Bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    with Session(request.app.state.db_engine, expire_on_commit=False) as db:
        found = accounts.token_and_account(session=db, token=credentials.credentials)
        if found is None:
            raise HTTPException(
                status_code=401, detail="invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        token, account = found
        if token.read_only and request.method not in _READS:
            raise HTTPException(status_code=403, detail="this API token is read-only: it may read, not change anything")
        db.commit()  # last_used_at, when it moved
        return principal_for(db, account, via_token=True)


ApiPrincipal = Annotated[Principal, Depends(api_principal)]


def client_address(request: Request) -> str:
    """The address of the person asking: the peer, or, when the peer is a trusted proxy, the
    last address its X-Forwarded-For adds that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = _networks(tuple(request.app.state.settings.trusted_proxies))
    if not trusted or not _within(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]):
        if not _within(hop, trusted):
            return hop[:100]
    return peer


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def operator(principal: Principal) -> Operator:
    """The audit identity of a change made through the pages or the API."""
    channel = AuditChannel.API if principal.via_token else AuditChannel.WEB
    return Operator(channel=channel, username=principal.username, staff_id=principal.staff_id)


async def temporal_client(request: Request) -> Client:
    try:
        return await request.app.state.temporal.get()
    except Exception as exc:
        # The address and the error go to the log, not to the page: they map the internal network.
        log.warning("Temporal at %s is not reachable: %s", request.app.state.settings.temporal_address, exc)
        raise HTTPException(
            status_code=503,
            detail="The review service is not reachable at the moment; please try again in a few minutes.",
        ) from exc


TemporalClient = Annotated[Client, Depends(temporal_client)]


def require(condition: bool, message: str = "You do not have access to this page.") -> None:
    if not condition:
        raise HTTPException(status_code=403, detail=message)


def require_action(principal: Principal, action: ReviewAction, product: Product, review: Review | None) -> None:
    """403 with the review policy's sentence unless this person could take `action` on this product."""
    ruling = may_act(principal, action, product, review)
    if not ruling.allowed:
        raise HTTPException(status_code=403, detail=ruling.reason)


def not_found(what: str = "This product does not exist, or you do not have access to it.") -> HTTPException:
    return HTTPException(status_code=404, detail=what)
