"""When a dependency is down: a database outage answers 503 with a short body and Retry-After (not a
plain-text 500), and /healthz names the dependency that is down.

A database error is an outage when the connection itself failed (refused, reset, timed out, the
pool exhausted, an SQLite file that cannot be opened or is locked); any other database error is a
defect and stays a 500, so it is not hidden behind "try again"."""

import asyncio
import re
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.engine import Engine

RETRY_AFTER_SECONDS = 15
DATABASE_UNAVAILABLE = "The database is unavailable, try again in a moment."
HEALTH_TIMEOUT_SECONDS = 3.0
_SQLITE_OUTAGE = re.compile(r"unable to open database|database is locked|disk i/o error|database or disk is full", re.I)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service unavailable</title></head>
<body><h1>Service unavailable</h1><p role="alert">{message}</p></body></html>
"""


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa.exc.InterfaceError):
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    module = type(exc.orig).__module__ if exc.orig is not None else ""
    if module.startswith("sqlite3"):
        return bool(_SQLITE_OUTAGE.search(str(exc.orig)))
    return True  # psycopg: OperationalError is the connection's, SQL errors are ProgrammingError & co


def database_unavailable(request: Request) -> JSONResponse | HTMLResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=503, headers=headers)
    return HTMLResponse(_PAGE.format(message=DATABASE_UNAVAILABLE), status_code=503, headers=headers)


def _database_status(engine: Engine) -> dict[str, Any]:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: the database does not answer"}


async def _temporal_status(app: FastAPI) -> dict[str, Any]:
    try:
        client = await asyncio.wait_for(app.state.temporal.get(), HEALTH_TIMEOUT_SECONDS)
        healthy = await asyncio.wait_for(client.service_client.check_health(), HEALTH_TIMEOUT_SECONDS)
        return {"ok": True} if healthy else {"ok": False, "detail": "the review service reports it is not serving"}
    except Exception as exc:
        return {"ok": False, "detail": f"{type(exc).__name__}: the review service (Temporal) does not answer"}


async def health(app: FastAPI) -> JSONResponse:
    """Names every dependency that is down. 503 when the database is (nothing can be served); with
    Temporal down the pages still read, so 200 with `ok` and Temporal listed under `down`."""
    from anyio import to_thread

    database: Any
    temporal: Any
    database, temporal = await asyncio.gather(
        asyncio.wait_for(to_thread.run_sync(_database_status, app.state.db_engine), HEALTH_TIMEOUT_SECONDS * 3),
        _temporal_status(app),
        return_exceptions=True,
    )
    if isinstance(database, BaseException):
        database = {"ok": False, "detail": "the database did not answer in time"}
    dependencies = {"database": database, "temporal": temporal}
    down = [name for name, status in dependencies.items() if not status["ok"]]
    serving = bool(database["ok"])
    body = {"ok": serving, "down": down, "dependencies": dependencies}
    return JSONResponse(body, status_code=200 if serving else 503, headers={"Cache-Control": "no-store"})
