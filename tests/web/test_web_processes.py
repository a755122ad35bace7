"""`gcu-review web --workers N` serves the app from N processes, each built from the environment and
listening on a socket of its own; a process that dies is started again, and SIGTERM stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from store.db import migrate
from web.server import STARTUP_GRACE_SECONDS

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
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path), "ENVIRONMENT": "test",
           "SECRET_KEY": "s" * 40, "WEB_WORKERS": "2"}
    cli = [sys.executable, "-c", "from cli.main import main; main()", "web", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cli, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    launched = time.monotonic()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the web app did not start"
            time.sleep(0.2)
        # One child process per worker.
        deadline = time.monotonic() + 30
        while len(_web_children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        first = _web_children(process.pid)
        assert len(first) == 2
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "csrf_token" in login.text

        # A process that dies after its start is started again.
        time.sleep(max(0.0, STARTUP_GRACE_SECONDS + 0.5 - (time.monotonic() - launched)))
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _web_children(process.pid)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.2)
        assert len(now) == 2 and first[0] not in now and first[1] in now, (first, now)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the new process's socket may not be listening yet
            try:
                assert all(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200 for _ in range(20))
                break
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "2 processes" in output


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
