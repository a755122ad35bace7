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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client

from settings import Settings
from web.app import create_app

log = logging.getLogger("gcu_review.web")


def uvicorn_config(app: Any, **where: Any) -> uvicorn.Config:
    """The same uvicorn settings in one process or several: quiet, lifespan on (the app's lifespan
    sizes its thread pool), and forwarded headers left to the app (web.deps reads them only from
    TRUSTED_PROXIES)."""
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", proxy_headers=False, **where)


# A process slot whose process died this many times in a row before it served stops every process
# (exit code 1): a setting or the database is wrong, and starting again would only loop.
MAX_FAILED_STARTS = 3


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
    config = uvicorn_config(app, host=host or settings.web_host, port=port if port is not None else settings.web_port)
    server = uvicorn.Server(config)
    # uvicorn's own signal handlers would take Ctrl-C away from the caller, who owns shutdown.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
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


@dataclass(frozen=True)
class HealthProbe:
    """How the supervisor tells a hung web process from a busy one: GET /livez on the process's own
    probe socket every `interval` seconds; `failures` probes in a row without an answer within
    `timeout` seconds (an event loop that no longer turns: a blocking call, a deadlock, a stopped
    process) and the process is killed and started again."""

    interval: float = 5.0
    timeout: float = 5.0
    failures: int = 3


@dataclass
class _WebProcess:
    """One process slot of `serve_processes`: the process now in it, and what is known about it."""

    index: int
    context: Any
    target: Callable[..., None]
    host: str
    port: int
    process: multiprocessing.process.BaseProcess | None = None
    serving: Any = None  # a multiprocessing Event, set by the process once it listens
    probe_port: Any = None  # a multiprocessing Value: the port of the process's own probe socket
    announced: bool = False
    failed_starts: int = 0
    missed_probes: int = 0

    @property
    def name(self) -> str:
        return f"gcu-review-web-{self.index}"

    def start(self) -> None:
        self.serving, self.probe_port = self.context.Event(), self.context.Value("i", 0)
        self.announced, self.missed_probes = False, 0
        self.process = self.context.Process(
            target=self.target, args=(self.host, self.port, self.serving, self.probe_port), name=self.name
        )
        self.process.start()

    def answers_probe(self, timeout: float) -> bool:
        port = self.probe_port.value
        if not port:
            return True  # a target without a probe socket (tests): nothing to ask
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
                conn.settimeout(timeout)
                conn.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return conn.recv(16).startswith(b"HTTP/1.1 200")
        except OSError:
            return False


def serve_processes(
    settings: Settings,
    processes: int,
    *,
    host: str | None = None,
    port: int | None = None,
    target: Callable[..., None] | None = None,
    probe: HealthProbe | None = None,
) -> None:
    """Serve from `processes` uvicorn processes until SIGINT/SIGTERM. A process that dies after it
    served is started again; one that dies before it served is a failed start, started again up
    to MAX_FAILED_STARTS times in a row; one that stops answering its health probe (`probe`) is
    killed and started again. Each builds the app from the environment, as `get_settings()` reads
    it (the same settings as this process's), and listens on a socket of its own
    (`listening_socket`). `target(host, port, serving, probe_port)` runs in each process (default
    `_serve_one`)."""
    host = host or settings.web_host
    probe = probe or HealthProbe()
    # Bound here (never listened on): the port is checked and chosen once for every process.
    reserved = listening_socket(host, settings.web_port if port is None else port)
    port = reserved.getsockname()[1]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    context = multiprocessing.get_context("spawn")
    slots = [_WebProcess(i, context, target or _serve_one, host, port) for i in range(processes)]
    for slot in slots:
        slot.start()
    failed = False
    next_probe = time.monotonic() + probe.interval
    try:
        while not stop.wait(0.2):
            if time.monotonic() >= next_probe:
                _probe_all(slots, probe)
                next_probe = time.monotonic() + probe.interval
            for slot in slots:
                if not _supervise(slot, probe):
                    failed = True
                    stop.set()
                    break
    finally:
        running = [slot.process for slot in slots if slot.process is not None]
        for process in running:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight
        for process in running:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        reserved.close()
        for sig, handler in previous.items():
            if handler is not None:  # None: installed outside Python, nothing to put back
                signal.signal(sig, handler)
    if failed:
        raise SystemExit(1)


def _probe_all(slots: list[_WebProcess], probe: HealthProbe) -> None:
    """Probe the serving processes at once (a hung one costs one timeout, not one each)."""
    serving = [slot for slot in slots if slot.announced and slot.process is not None and slot.process.is_alive()]
    if not serving:
        return
    with ThreadPoolExecutor(max_workers=len(serving), thread_name_prefix="web-probe") as pool:
        answers = list(pool.map(lambda slot: slot.answers_probe(probe.timeout), serving))
    for slot, answered in zip(serving, answers, strict=False):
        slot.missed_probes = 0 if answered else slot.missed_probes + 1


def _supervise(slot: _WebProcess, probe: HealthProbe) -> bool:
    """Start the slot's process again if it died or hangs; False: stop everything."""
    process = slot.process
    assert process is not None
    if process.is_alive():
        if not slot.announced and slot.serving.is_set():
            slot.announced, slot.failed_starts = True, 0
            log.info("web process %s (pid %s) serving", process.name, process.pid)
        if slot.missed_probes < probe.failures:
            return True
        log.warning(
            "web process %s (pid %s) did not answer its health probe %s times in a row: replacing it",
            process.name,
            process.pid,
            slot.missed_probes,
        )
        process.kill()  # it answers nothing, so it would finish nothing either (and SIGTERM waits for that)
        process.join(timeout=30)
        slot.start()
        return True
    if slot.serving.is_set():
        slot.failed_starts = 0
        log.warning("web process %s exited (code %s): starting it again", process.name, process.exitcode)
    else:
        slot.failed_starts += 1
        if slot.failed_starts >= MAX_FAILED_STARTS:
            log.error(
                "web process %s exited before serving (code %s), %s times in a row: stopping",
                process.name,
                process.exitcode,
                slot.failed_starts,
            )
            return False
        log.warning("web process %s exited before serving (code %s): starting it again", process.name, process.exitcode)
    slot.start()
    return True


class _ServingServer(uvicorn.Server):
    """Sets `serving` once it listens, so the supervisor can tell a failed start from a crash."""

    def __init__(self, config: uvicorn.Config, serving) -> None:
        super().__init__(config)
        self._serving = serving

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._serving.set()


def _serve_one(host: str, port: int, serving, probe_port) -> None:
    """One web process (spawned): the app from the environment, on its own socket, plus a probe
    socket of its own on loopback, where the supervisor reaches this very process (the shared
    port may hand a connection to any of them)."""
    config = uvicorn_config("web.app:create_app", factory=True)
    probe = listening_socket("127.0.0.1", 0)
    probe_port.value = probe.getsockname()[1]
    _ServingServer(config, serving).run(sockets=[listening_socket(host, port), probe])


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
