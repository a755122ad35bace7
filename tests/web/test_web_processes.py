"""`gcu-review web --workers N` serves the app from N processes, each built from the environment,
and stops them all on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from store.db import migrate

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


def test_several_processes_serve_the_app_and_stop_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    migrate(url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path), "ENVIRONMENT": "test",
           "SECRET_KEY": "s" * 40, "WEB_WORKERS": "2"}
    cli = [sys.executable, "-c", "from cli.main import main; main()", "web", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cli, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
        # uvicorn's supervisor with one child process per worker.
        deadline = time.monotonic() + 30
        while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_children(process.pid)) >= 2
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "csrf_token" in login.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "2 processes" in output


async def test_connections_to_the_shared_socket_send_without_delay():
    """Each accepted connection has Nagle's algorithm off (TCP_NODELAY), as with one process;
    without it every keep-alive response waits for the client's delayed ACK."""
    import asyncio

    import uvicorn

    from web.server import shared_socket

    sock = shared_socket(uvicorn.Config("web.app:create_app", host="127.0.0.1", port=0, workers=2))
    accepted: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_connect(reader, writer):
        accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=sock)
    try:
        _reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        assert await asyncio.wait_for(accepted, 10) == 1
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
