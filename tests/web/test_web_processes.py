"""`gcu-review web --workers N` serves the app from N processes, each built from the environment and
listening on a socket of its own; a process that dies or stops answering its health probe is started
again, one that cannot start stops them all, and SIGTERM stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from settings import Settings
from store.db import migrate
from web.server import MAX_FAILED_STARTS, serve_processes

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == pid:
            found.append(int(entry))
    return found


def _web_children(pid: int) -> list[int]:
    """The web processes of `gcu-review web` (multiprocessing's helper processes left out)."""
    found = []
    for child in _children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return sorted(found)


def test_several_processes_serve_the_app_restart_and_stop_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    migrate(url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp_path),
        "ENVIRONMENT": "test",
        "SECRET_KEY": "s" * 40,
        "WEB_WORKERS": "2",
    }
    cli = [sys.executable, "-c", "from cli.main import main; main()", "web", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "web.log"
    with log.open("w") as out:
        process = subprocess.Popen(cli, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        # Both processes listen (the supervisor logs each once it does).
        while log.read_text().count(") serving") < 2:
            assert process.poll() is None and time.monotonic() < deadline, (
                f"the web app did not start:\n{log.read_text()}"
            )
            time.sleep(0.2)
        first = _web_children(process.pid)
        assert len(first) == 2
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "csrf_token" in login.text

        # A process that dies after it served is started again.
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while log.read_text().count(") serving") < 3:
            assert process.poll() is None and time.monotonic() < deadline, (
                f"no process was started again:\n{log.read_text()}"
            )
            time.sleep(0.2)
        now = _web_children(process.pid)
        assert len(now) == 2 and first[0] not in now and first[1] in now, (first, now)
        assert "exited (code -9): starting it again" in log.read_text()
        assert all(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200 for _ in range(20))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    output = log.read_text()
    assert process.returncode == 0, output
    assert "2 processes" in output


# A supervisor with a quick health probe, as `gcu-review web --workers 2` runs it.
_QUICK_PROBE_SUPERVISOR = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(message)s")
from settings import get_settings
from web.server import HealthProbe, serve_processes
serve_processes(get_settings(), 2, host="127.0.0.1", port=int(sys.argv[1]),
                probe=HealthProbe(interval=0.5, timeout=2.0, failures=3))
"""


def test_a_process_that_stops_answering_is_replaced(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    migrate(url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path), "ENVIRONMENT": "test", "SECRET_KEY": "s" * 40}
    log = tmp_path / "web.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _QUICK_PROBE_SUPERVISOR, str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    hung = None
    try:
        deadline = time.monotonic() + 120
        while log.read_text().count(") serving") < 2:
            assert process.poll() is None and time.monotonic() < deadline, (
                f"the web app did not start:\n{log.read_text()}"
            )
            time.sleep(0.2)
        first = _web_children(process.pid)
        assert len(first) == 2
        hung = first[0]
        os.kill(hung, signal.SIGSTOP)  # alive, but it answers nothing any more
        deadline = time.monotonic() + 120
        while log.read_text().count(") serving") < 3:
            assert process.poll() is None and time.monotonic() < deadline, (
                f"the hung process was not replaced:\n{log.read_text()}"
            )
            time.sleep(0.2)
        assert f"(pid {hung}) did not answer its health probe 3 times in a row: replacing it" in log.read_text()
        now = _web_children(process.pid)
        assert len(now) == 2 and hung not in now and first[1] in now, (first, now)
        assert not Path(f"/proc/{hung}").exists()  # killed and reaped, not left stopped
        assert all(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200 for _ in range(20))
    finally:
        if hung is not None and Path(f"/proc/{hung}").exists():
            os.kill(hung, signal.SIGCONT)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0, log.read_text()


def _exit_at_once(host: str, port: int, serving, probe_port) -> None:
    """A web process that cannot start (spawned: module level)."""
    raise SystemExit(3)


def test_processes_that_cannot_start_stop_everything_after_a_few_tries(tmp_path, caplog):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", var_dir=tmp_path)
    with caplog.at_level("WARNING", logger="gcu_review.web"), pytest.raises(SystemExit) as stopped:
        serve_processes(settings, 2, host="127.0.0.1", port=0, target=_exit_at_once)
    assert stopped.value.code == 1
    messages = [r.getMessage() for r in caplog.records]
    assert sum("exited before serving (code 3): starting it again" in m for m in messages) >= MAX_FAILED_STARTS - 1
    assert any(f"{MAX_FAILED_STARTS} times in a row: stopping" in m for m in messages)


async def test_each_process_socket_sends_without_delay_and_connections_spread_over_them():
    """Each web process listens on a socket of its own on the same port (SO_REUSEPORT): the kernel
    spreads connections over them (a shared socket let one process accept a whole burst), and every
    accepted connection has Nagle's algorithm off (TCP_NODELAY), without which each keep-alive
    response waits for the client's delayed ACK."""
    import asyncio

    from web.server import listening_socket

    reserved = listening_socket("127.0.0.1", 0)  # as serve_processes: bound, never listened on
    port = reserved.getsockname()[1]
    accepted: list[list[int]] = [[], []]

    def on_connect(index):
        def handle(reader, writer):
            accepted[index].append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        return handle

    servers = [await asyncio.start_server(on_connect(i), sock=listening_socket("127.0.0.1", port)) for i in range(2)]
    try:
        writers = []
        for _ in range(40):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writers.append(writer)
        for _ in range(100):
            if len(accepted[0]) + len(accepted[1]) == 40:
                break
            await asyncio.sleep(0.05)
        for writer in writers:
            writer.close()
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()
        reserved.close()
    assert len(accepted[0]) + len(accepted[1]) == 40
    # 40 connections hashed over two sockets: all on one would happen once in 2**39 runs.
    assert accepted[0] and accepted[1], accepted
    assert set(accepted[0] + accepted[1]) == {1}
