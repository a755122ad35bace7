"""deploy/healthcheck.py: the worker check asks Temporal whether a worker of this host polls its task
queue; the web check reads /healthz. Run against the session's dev server and a real app."""

import asyncio
import importlib.util
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from temporalio.worker import Worker

from settings import Settings
from worker import build_worker

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("gcu_healthcheck", PROJECT_ROOT / "deploy" / "healthcheck.py")
healthcheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(healthcheck)


async def _poll_until(check, *, healthy: bool, timeout: float = 30.0) -> tuple[bool, str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result[0] == healthy or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_a_polling_worker_is_healthy_and_a_silent_queue_is_not(temporal_env, tmp_path):
    client = temporal_env.client
    task_queue = f"health-{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", task_queue=task_queue, var_dir=tmp_path)

    def check(queue: str = task_queue, hostname: str = socket.gethostname(), **kw):
        return lambda: healthcheck.worker_is_polling(
            client, namespace="default", task_queue=queue, hostname=hostname, **kw
        )

    healthy, why = await check()()
    assert not healthy
    assert "never seen" in why and task_queue in why

    worker: Worker = build_worker(client, settings)
    async with worker:
        healthy, why = await _poll_until(check(), healthy=True)
        assert healthy, why
        # Another host's worker does not make this container healthy.
        healthy, why = await check(hostname="some-other-container")()
        assert not healthy and "some-other-container" in why
        # A poller last seen longer ago than the limit counts as gone.
        later = datetime.now(UTC) + timedelta(minutes=10)
        healthy, why = await check(now=later)()
        assert not healthy and "last seen" in why


def test_the_web_check_reads_healthz():
    answers = {"/healthz": (200, b'{"ok": true}'), "/broken": (500, b'{"ok": false}')}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = answers.get(self.path, (404, b"{}"))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert healthcheck.check_web(base + "/healthz")[0] is True
        healthy, why = healthcheck.check_web(base + "/broken")
        assert not healthy and "500" in why
    finally:
        server.shutdown()
        server.server_close()
    healthy, why = healthcheck.check_web(base + "/healthz", timeout=2)
    assert not healthy and "refused" in why.lower(), why


def test_the_real_web_app_answers_the_health_check(tmp_path):
    pytest.importorskip("web.app")
    from fastapi.testclient import TestClient

    from store.db import migrate
    from web.app import create_app

    url = f"sqlite:///{tmp_path / 'web.db'}"
    migrate(url)
    app = create_app(Settings(database_url=url, var_dir=tmp_path, secret_key="x" * 40))
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert response.json()["dependencies"]["database"] == {"ok": True}
