"""The FastAPI application: server-rendered pages for teams, GCU reviewers, Deputy Prosecutors and
administrators, and the same actions as a JSON API under /api (OpenAPI at /api/openapi.json).

`create_app(settings)` is the factory; the engine and the Temporal client can be handed in (tests,
`gcu-review up`), otherwise they are made from settings.
"""

import contextlib
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException
from temporalio.client import Client

from service.memory import return_large_blocks_to_the_system
from settings import Settings, get_settings
from web.api_errors import validation_error_body
from web.body_guard import BodyGuardMiddleware
from web.channel import ChannelMiddleware
from web.deps import LoginRequired, TemporalConnector
from web.headers import SecurityHeadersMiddleware
from web.outage import database_unavailable, health, is_database_outage
from web.templating import render

WEB_DIR = Path(__file__).resolve().parent
# An upload's form carries the file and its meta fields (a few KiB of YAML at most).
FORM_FIELDS_ALLOWANCE = 1024 * 1024


def create_app(
    settings: Settings | None = None, *, db_engine: Engine | None = None, temporal_client: Client | None = None
) -> FastAPI:
    settings = settings or get_settings()
    return_large_blocks_to_the_system()  # an upload's memory goes back to the system when it is done
    if db_engine is None:
        from store.db import make_engine

        db_engine = make_engine(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="gcu-review",
        description="Compliance review of SGBC/CAC products: the same actions and reads as the web pages, "
        "with the same authorization. Authenticate with `Authorization: Bearer <token>`.",
        version="1",
        docs_url=None,  # served by web.routes.api_docs from vendored assets (no CDN, strict CSP)
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db_engine = db_engine
    app.state.temporal = TemporalConnector(settings, temporal_client)
    # Before any route: a body is bounded, and an upload refused, before anything reads it.
    app.add_middleware(ChannelMiddleware)
    app.add_middleware(BodyGuardMiddleware, max_body=settings.max_upload_bytes + FORM_FIELDS_ALLOWANCE)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.environment not in ("development", "test"))
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    from web.routes import (
        api,
        api_docs,
        auth,
        codec,
        pages_admin,
        pages_impact,
        pages_misc,
        pages_products,
        pages_review,
        pages_spu,
        pages_summaries,
    )

    for module in (
        auth,
        pages_products,
        pages_review,
        pages_misc,
        pages_admin,
        pages_spu,
        pages_summaries,
        pages_impact,
        api_docs,
        api,
        codec,
    ):
        app.include_router(module.router)

    _install_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api", "/codec"))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        titles = {403: "Not allowed", 404: "Not found", 409: "Refused", 503: "Service unavailable"}
        return render(
            request,
            "error.html",
            {"title": titles.get(exc.status_code, "Error"), "message": exc.detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return JSONResponse(validation_error_body(exc), status_code=422)
        from web.plain import validation_problem

        message = " ".join(validation_problem(tuple(e["loc"]), e["msg"], e.get("input")) for e in exc.errors())
        return render(request, "error.html", {"title": "Please check the address", "message": message}, status_code=422)

    async def _database_error(request: Request, exc: Exception):
        if is_database_outage(exc):
            return database_unavailable(request)
        raise exc

    for database_error in (sa.exc.DBAPIError, sa.exc.TimeoutError):
        app.add_exception_handler(database_error, _database_error)

    @app.get("/healthz", include_in_schema=False)
    async def _health():
        return await health(app)

    # Liveness, apart from readiness: the process's event loop answers, whatever its dependencies
    # do. The web supervisor probes this; /healthz is 503 while the database is down, and restarting
    # every process for an outage they cannot fix would only add to it.
    @app.get("/livez", include_in_schema=False)
    async def _live() -> dict:
        return {"ok": True}

    @app.get("/favicon.ico", include_in_schema=False)
    async def _favicon():
        return HTMLResponse(status_code=204)
