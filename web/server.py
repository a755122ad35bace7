"""Run the web app with uvicorn: inside the caller's event loop, so `gcu-review up` can serve it next
to the worker and stop it when `stop` is set; or as several processes (`gcu-review web --workers`)."""

import asyncio
import contextlib
import logging
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess
from sqlalchemy.engine import Engine
from temporalio.client import Client

from settings import Settings
from web.app import create_app

log = logging.getLogger("gcu_review.web")
# The same server options in one process or several; the app's lifespan sizes its thread pool.
UVICORN_OPTIONS = {"log_level": "warning", "access_log": False, "lifespan": "on", "proxy_headers": False}


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    host: str | None = None,
    port: int | None = None,
    db_engine: Engine | None = None,
    temporal_client: Client | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Serve until `stop` is set. `started` (optional) is set once the socket is listening."""
    app = create_app(settings, db_engine=db_engine, temporal_client=temporal_client)
    config = uvicorn.Config(
        app, host=host or settings.web_host, port=port if port is not None else settings.web_port, **UVICORN_OPTIONS,
    )
    server = uvicorn.Server(config)
    # uvicorn's own signal handlers would take Ctrl-C away from the caller, who owns shutdown.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task  # re-raises why it could not start (e.g. the port is taken)
                raise RuntimeError(f"the web server stopped before it started on {config.host}:{config.port}")
            await asyncio.sleep(0.05)
        log.info("web app on http://%s:%s", config.host, config.port)
        if started is not None:
            started.set()
        stop_wait = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


def serve_processes(settings: Settings, processes: int, *, host: str | None = None, port: int | None = None) -> None:
    """Serve from `processes` uvicorn worker processes until SIGINT/SIGTERM. Each builds the app from
    the environment, as `get_settings()` reads it (the same settings as this process's)."""
    config = uvicorn.Config(
        "web.app:create_app", factory=True, workers=processes,
        host=host or settings.web_host, port=port if port is not None else settings.web_port, **UVICORN_OPTIONS,
    )
    sock = shared_socket(config)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()


def shared_socket(config: uvicorn.Config) -> socket.socket:
    """The listening socket the worker processes share, marked as TCP.

    uvicorn binds it with protocol 0 (uvicorn issue #3149, open), and asyncio turns Nagle's
    algorithm off only on accepted sockets whose protocol says TCP: every keep-alive response then
    waited ~40 ms for the client's delayed ACK (the web bench saw /healthz at 44 ms with 2
    processes, 1 ms with one)."""
    sock = config.bind_socket()
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
        return sock
    tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    tcp.set_inheritable(True)
    return tcp
