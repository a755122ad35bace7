"""Run the web app with uvicorn: inside the caller's event loop, so `gcu-review up` can serve it next
to the worker and stop it when `stop` is set; or as several processes (`gcu-review web --workers`)."""

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import socket
import threading
import time

import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client

from settings import Settings
from web.app import create_app

log = logging.getLogger("gcu_review.web")
# The same server options in one process or several; the app's lifespan sizes its thread pool.
UVICORN_OPTIONS = {"log_level": "warning", "access_log": False, "lifespan": "on", "proxy_headers": False}
STARTUP_GRACE_SECONDS = 10.0  # a web process dying sooner than this is a start-up failure, not restarted


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
    """Serve from `processes` uvicorn processes until SIGINT/SIGTERM; a process that dies is started
    again. Each builds the app from the environment, as `get_settings()` reads it (the same settings
    as this process's), and listens on a socket of its own (`listening_socket`)."""
    host = host or settings.web_host
    # Bound here (never listened on): the port is checked and chosen once for every process.
    reserved = listening_socket(host, settings.web_port if port is None else port)
    port = reserved.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def start(index: int) -> tuple[multiprocessing.process.BaseProcess, float]:
        process = context.Process(target=_serve_one, args=(host, port), name=f"gcu-review-web-{index}")
        process.start()
        return process, time.monotonic()

    children = [start(i) for i in range(processes)]
    failed = False
    try:
        while not stop.wait(0.5):
            for index, (process, started) in enumerate(children):
                if process.is_alive():
                    continue
                if time.monotonic() - started < STARTUP_GRACE_SECONDS:
                    log.error("web process %s exited at start (code %s): stopping", process.name, process.exitcode)
                    failed = True
                    stop.set()
                    break
                log.warning("web process %s exited (code %s): starting it again", process.name, process.exitcode)
                children[index] = start(index)
    finally:
        for process, _ in children:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight
        for process, _ in children:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        reserved.close()
    if failed:
        raise SystemExit(1)


def _serve_one(host: str, port: int) -> None:
    """One web process (spawned): the app from the environment, on its own socket."""
    config = uvicorn.Config("web.app:create_app", factory=True, **UVICORN_OPTIONS)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port with SO_REUSEPORT, one per web process.

    - The kernel spreads new connections over the processes' sockets. With one socket shared by
      all (uvicorn's --workers), the process that woke first accepted a burst of connections
      whole: with 20 keep-alive clients one process often served most of them (the web bench
      measured 154 against 460 pages/s for the same build).
    - The protocol is set to TCP: asyncio turns Nagle's algorithm off only on accepted sockets that
      say so, and uvicorn binds its shared socket with protocol 0 (uvicorn issue #3149), so every
      keep-alive response waited ~40 ms for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
