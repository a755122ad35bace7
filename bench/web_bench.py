"""The web app under load: a GCU reviewer's pages with 10k open reviews (the worklist they land on,
/my-reviews, and the queue, /queue), and reviewer actions (claim + decision) through the JSON API on
real workflows (issues 6 and 13, Load and performance; target: each page's p95 under 150 ms at 20
concurrent clients).

- setup: a fresh migrated database (SQLite file, or a new PostgreSQL database with --postgres), the
  demo register and accounts, and N open reviews (product, version, review rows) written straight
  through the data layer, no workflows; the web app served by `gcu-review web` (a subprocess, or
  with --in-process uvicorn in this process) on a free 127.0.0.1 port, next to an in-memory
  Temporal dev server and an in-process worker.
- pages: GET /my-reviews, then GET /queue, signed in as a GCU reviewer (session cookie from the
  real /login form), over C keep-alive connections from wrk for a fixed time (or C httpx clients in this process,
  a bounded number of requests, with --load httpx). Baseline in the same run with the same load
  generator: GET /healthz.
- decision: P products submitted through service/reviews.py (real pre-check on the worker), then per
  product POST /api/products/{id}/claim, POST .../findings/VUL-INT-02/dismiss (contract v2: S2's
  major finding is dismissed before approval) and POST /api/products/{id}/decision (approve) with a
  Bearer token, C at once: each request's latency and the round trip. Baseline: GET /api/me.

    .venv/bin/python bench/web_bench.py                       # 10,000 reviews, 2,000 requests, 200 products
    .venv/bin/python bench/web_bench.py --small               # 1,000 reviews, 300 requests, 40 products
    --postgres postgresql://postgres@127.0.0.1:5432/postgres  # on PostgreSQL (creates and drops its own database)
    --profile: also each page in-process: one at a time, its SQL statements (a SQLAlchemy listener), cProfile
    --pages-only: the GET phases only, no claim and decision
    --web-workers N: serve from N uvicorn processes (as WEB_WORKERS does in production)
    --web-threads N: route threads per process (WEB_THREADS)
    --load wrk|httpx: who sends the GET phases (default wrk when installed: `apt-get install wrk`,
      a C load generator that leaves the cores to the server; httpx: 20 clients in this process,
      a bounded number of requests)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import faulthandler
import hashlib
import io
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlmodel import Session

from models.enums import ReviewState, Verdict

OPEN_STATES = [
    ReviewState.QUEUED,
    ReviewState.IN_REVIEW,
    ReviewState.RETURNED,
    ReviewState.ESCALATED,
    ReviewState.RESUBMITTED,
]
TEAMS = [
    ("T-HERON", "Situation in Velmora", "HE-01"),
    ("T-KESTREL", "Situation in Velmora", "KE-03"),
    ("T-OSPREY", "Situation on the Sundaran Coast", "OS-01"),
]
# The GCU's types and the SPU's interview records (IR), which a GCU reviewer's queue leaves out.
TYPES = ["IO", "IP", "CH", "CS", "MP", "AP", "GA", "IR"]
REVIEWER = ("gcu.albrecht", "GX-02")
# Who holds the reviews in review: the demo register's GCU reviewers, and its SPU officers for the
# interview records.
ASSIGNEES = {"GCU": ["GX-02", "GX-03", "GX-09"], "SPU": ["SP-01", "SP-02"]}
# The pages a GCU reviewer works from: the landing page after sign-in, and the whole queue.
PAGES = [("the reviewer's worklist", "/my-reviews"), ("the queue", "/queue")]


# ------------------------------------------------------------------ measuring


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _summary(name: str, n: int, p50: float, p95: float, p99: float, mean: float, rate: float, errors: int) -> str:
    """One phase as a line (times in ms)."""
    return (
        f"{name}: n={n}, p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, mean {mean:.1f} ms, {rate:.1f} req/s"
        + (f", {errors} errors" if errors else "")
    )


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds
    elapsed: float = 0.0
    errors: int = 0
    retried: int = 0  # GETs sent again after the server closed an idle keep-alive connection

    def line(self) -> str:
        ms = [x * 1000 for x in self.latencies] or [float("nan")]
        return _summary(
            self.name,
            self.count,
            percentile(ms, 0.5),
            percentile(ms, 0.95),
            percentile(ms, 0.99),
            statistics.mean(ms),
            self.count / self.elapsed if self.elapsed else float("nan"),
            self.errors,
        ) + (f", {self.retried} sent again on a new connection" if self.retried else "")

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95)

    @property
    def count(self) -> int:
        return len(self.latencies)


@dataclass
class WrkRun:
    """A GET phase measured by wrk (C, a few % of a core): the load generator then takes almost
    nothing from the two cores the server runs on, unlike 20 httpx clients in Python."""

    name: str
    count: int
    p50: float  # seconds
    p95: float
    p99: float
    mean: float
    elapsed: float
    errors: int

    def line(self) -> str:
        return (
            _summary(
                self.name,
                self.count,
                self.p50 * 1000,
                self.p95 * 1000,
                self.p99 * 1000,
                self.mean * 1000,
                self.count / self.elapsed,
                self.errors,
            )
            + " (wrk)"
        )


_WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


async def wrk(
    name: str, base: str, path: str, *, cookies: httpx.Cookies, concurrency: int, seconds: float, tmp: Path
) -> WrkRun:
    """`concurrency` keep-alive connections, each sending its next request when the last one is
    answered (as the httpx clients do), for `seconds`."""
    script = tmp / "report.lua"
    script.write_text(_WRK_REPORT)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    process = await asyncio.create_subprocess_exec(
        "wrk",
        "-t",
        "2",
        "-c",
        str(concurrency),
        "-d",
        f"{seconds:.0f}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        *(["-H", f"Cookie: {cookie}"] if cookie else []),
        base + path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await process.communicate())[0].decode()
    report = next((line.split()[1:] for line in out.splitlines() if line.startswith("WRK ")), None)
    if process.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed: {out[-500:]}")
    count, duration_us, errors, p50, p95, p99, mean = (int(x) for x in report)
    return WrkRun(name, count, p50 / 1e6, p95 / 1e6, p99 / 1e6, mean / 1e6, duration_us / 1e6, errors)


async def hammer(
    name: str, clients: list[httpx.AsyncClient], method: str, path: str, *, requests: int, seconds: float
) -> Run:
    """`requests` calls spread over one task per client, stopped early after `seconds`."""
    run = Run(name)
    remaining = requests
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            start = time.perf_counter()
            try:
                response = await client.request(method, path)
            except httpx.RemoteProtocolError:
                if method != "GET":
                    raise
                # The server closed a keep-alive connection that sat idle past its timeout (uvicorn:
                # 5 s; the sign-ins before the warm-up take longer) as this request went out on it.
                # A GET is retried on a new connection, as browsers do (RFC 9112 section 9.3.1).
                run.retried += 1
                response = await client.request(method, path)
            took = time.perf_counter() - start
            if response.status_code != 200:
                run.errors += 1
            else:
                run.latencies.append(took)

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    run.elapsed = time.perf_counter() - start
    return run


# ------------------------------------------------------------------ the database


def seed_reviews(db_engine, count: int) -> None:
    """`count` open reviews of the demo teams, written as rows (product, version, review)."""
    from models.tables import Product, ProductVersion, Review

    now = datetime.now(UTC)
    content = b"---\nproduct:\n  id: X\n---\n\n# Seeded for the web bench\n"
    sha = hashlib.sha256(content).hexdigest()
    chunk = 1000
    with db_engine.begin() as conn:
        for start in range(0, count, chunk):
            products, versions, reviews = [], [], []
            for i in range(start, min(count, start + chunk)):
                team, situation, author = TEAMS[i % len(TEAMS)]
                pid = f"BENCH-{i:06d}"
                ptype = TYPES[i % len(TYPES)]
                state = OPEN_STATES[i % len(OPEN_STATES)]
                unit = ASSIGNEES["SPU" if ptype == "IR" else "GCU"]
                due = now + timedelta(hours=(i * 7919) % 2000 - 200)  # some overdue, in no particular order
                products.append(
                    dict(
                        id=pid,
                        type=ptype,
                        team_id=team,
                        situation=situation,
                        author_id=author,
                        title=f"Seeded product {i} of the web bench",
                        current_version_no=1,
                        workflow_id=f"product-review-{pid}",
                        created_at=now,
                    )
                )
                versions.append(
                    dict(
                        product_id=pid,
                        version_no=1,
                        version_label="1",
                        filename=f"{pid}.md",
                        media_type="text/markdown",
                        sha256=sha,
                        size_bytes=len(content),
                        front_matter={"product": {"id": pid}},
                        submitted_by=author,
                        submitted_at=now,
                        verdict=Verdict.REVISE.value,
                        pack_version="1.0.0",
                        locked=False,
                        content=content,
                        check_text=None,
                    )
                )
                reviews.append(
                    dict(
                        product_id=pid,
                        workflow_id=f"product-review-{pid}",
                        state=state.value,
                        assignee_id=unit[i % len(unit)] if state == ReviewState.IN_REVIEW else None,
                        due_at=due,
                        resubmission_due_at=None,
                        priority=i % 3,
                        escalation_level=0,
                        verdict=Verdict.REVISE.value,
                        version_no=1,
                        team_id=team,
                        product_type=ptype,
                        situation=situation,
                        updated_at=now - timedelta(seconds=i),
                    )
                )
            conn.execute(Product.__table__.insert(), products)
            conn.execute(ProductVersion.__table__.insert(), versions)
            conn.execute(Review.__table__.insert(), reviews)


# ------------------------------------------------------------------ the web app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    from store.accounts import demo_password

    page = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, "no CSRF token on /login"
    response = await client.post(
        "/login",
        data={"username": username, "password": demo_password(username), "csrf_token": csrf.group(1), "next": "/"},
    )
    assert response.status_code == 303, f"sign-in as {username} failed: {response.status_code}"


def api_token(db_engine, username: str) -> str:
    from store.accounts import create_api_token, get_account

    with Session(db_engine) as session:
        _row, token = create_api_token(
            session=session, account=get_account(session=session, username=username), name="web bench"
        )
        session.commit()
    return token


def profile_pages(settings, db_engine, cookies: httpx.Cookies, paths: list[str]) -> str:
    """Each page once in-process, alone: its time, its SQL statements (counted by a SQLAlchemy
    listener, with the time they took), and the route's thread under cProfile, to say where the time goes."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from web.app import create_app
    from web.routes import pages_review

    app = create_app(settings, db_engine=db_engine)
    out = io.StringIO()
    statements: list[str] = []
    sql_time = [0.0]
    started: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()
        statements.append(" ".join(statement.split())[:110])

    def after(conn, cursor, statement, parameters, context, executemany):
        sql_time[0] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.cookies.update(dict(cookies.items()))
        alone = []
        for _ in range(40):  # the baseline, one at a time in the same way
            start = time.perf_counter()
            client.get("/healthz")
            alone.append(time.perf_counter() - start)
        print(f"GET /healthz one at a time in-process: median {statistics.median(alone) * 1000:.1f} ms", file=out)
        for path in paths:
            assert client.get(path).status_code == 200  # warm
            alone = []
            for _ in range(40):  # one at a time, no profiler: what a page costs
                start = time.perf_counter()
                client.get(path)
                alone.append(time.perf_counter() - start)
            print(f"GET {path} one at a time in-process: median {statistics.median(alone) * 1000:.1f} ms", file=out)
            profiler = cProfile.Profile()
            # Both pages begin with `require` (the policy's word) and end with `render`, in the
            # route's thread (a sync route runs in one threadpool thread): the profile spans them.
            originals = (pages_review.require, pages_review.render)

            def first(*a, _f=originals[0], _p=profiler, **kw):
                _p.enable()
                return _f(*a, **kw)

            def last(*a, _f=originals[1], _p=profiler, **kw):
                try:
                    return _f(*a, **kw)
                finally:
                    _p.disable()

            pages_review.require, pages_review.render = first, last
            statements.clear()
            sql_time[0] = 0.0
            event.listen(db_engine, "before_cursor_execute", before)
            event.listen(db_engine, "after_cursor_execute", after)
            try:
                start = time.perf_counter()
                response = client.get(path)
                took = time.perf_counter() - start
            finally:
                event.remove(db_engine, "before_cursor_execute", before)
                event.remove(db_engine, "after_cursor_execute", after)
                pages_review.require, pages_review.render = originals
            assert response.status_code == 200, response.status_code
            rows = response.text.count("<tr") - response.text.count("<thead")
            print(
                f"GET {path} profiled: {took * 1000:.0f} ms for {rows} rows, "
                f"{len(response.content) / 1e3:.0f} kB of HTML; {len(statements)} SQL statements "
                f"({sql_time[0] * 1000:.1f} ms in the database driver):",
                file=out,
            )
            for statement in statements:
                print("    " + statement, file=out)
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(12)
    return out.getvalue()


class Server:
    """The web app on 127.0.0.1:port: `gcu-review web` in a subprocess (default: the clients' CPU
    time is not the server's), or uvicorn inside this event loop (--in-process)."""

    def __init__(self, stop=None, task=None, process=None):
        self._stop, self._task, self._process = stop, task, process

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:  # uvicorn waits for in-flight requests; a wedged one would keep it alive
                await asyncio.wait_for(self._process.wait(), 15)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        else:
            self._stop.set()
            await self._task


async def start_server(args, settings, db_engine, env, port: int) -> Server:
    if args.in_process:
        from web.server import serve

        stop, started = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            serve(
                settings,
                stop,
                host="127.0.0.1",
                port=port,
                db_engine=db_engine,
                temporal_client=env.client,
                started=started,
            )
        )
        await asyncio.wait_for(started.wait(), 30)
        return Server(stop=stop, task=task)
    root = Path(__file__).resolve().parents[1]
    child_env = {
        **os.environ,
        "ENVIRONMENT": settings.environment,
        "DATABASE_URL": settings.database_url,
        "VAR_DIR": str(settings.var_dir),
        "TASK_QUEUE": settings.task_queue,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "WEB_THREADS": str(settings.web_threads),
    }
    # `gcu-review web`, as in production (its socket and uvicorn options, WEB_THREADS).
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from cli.main import main; main()",
        "web",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.web_workers),
        cwd=root,
        env=child_env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    deadline = time.perf_counter() + 60
    async with httpx.AsyncClient() as probe:
        while True:
            try:
                if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return Server(process=process)
            except httpx.TransportError:
                pass
            if process.returncode is not None or time.perf_counter() > deadline:
                raise RuntimeError("the web app did not start")
            await asyncio.sleep(0.2)


# ------------------------------------------------------------------ the decision endpoint


async def submit_products(db_engine, client, settings, tmp: Path, count: int, concurrency: int) -> list[str]:
    from service import reviews
    from tests.faults.harness import product_copy

    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            path = product_copy(tmp, "S2-IO-child-compliant.md", product_id=f"WEBB-{uuid.uuid4().hex[:8].upper()}")
            result = await reviews.submit(
                db_engine=db_engine, client=client, settings=settings, path=path, actor_id="HE-01", wait_seconds=120
            )
            assert result.status is not None and result.status.state == ReviewState.QUEUED, result
            return result.product_id

    return await asyncio.gather(*(one(i) for i in range(count)))


async def claim_and_decide(
    clients: list[httpx.AsyncClient], product_ids: list[str], seconds: float
) -> tuple[Run, Run, Run, Run]:
    """Each client claims, dismisses S2's major finding (contract v2 requires it before approval)
    and approves products until none is left or `seconds` have passed; a phase still running 60 s
    after that is cut short (counted as errors: the API is wedged)."""
    claims, dismissals = Run("POST claim"), Run("POST dismiss (VUL-INT-02)")
    decisions, trips = Run("POST decision (approve)"), Run("claim + dismiss + decision round trip")
    todo = list(product_ids)
    deadline = time.perf_counter() + seconds

    async def post(client: httpx.AsyncClient, path: str, **kw) -> tuple[int, str]:
        try:
            response = await client.post(path, **kw)
        except httpx.TransportError as exc:  # the server dropped the connection (an error inside the app)
            return 0, f"{type(exc).__name__}"
        return response.status_code, response.text

    async def worker(client: httpx.AsyncClient) -> None:
        while todo and time.perf_counter() < deadline:
            pid = todo.pop()
            start = time.perf_counter()
            claimed = await post(client, f"/api/products/{pid}/claim")
            mid = time.perf_counter()
            dismissed = await post(
                client, f"/api/products/{pid}/findings/VUL-INT-02/dismiss", json={"reason": "asked by the psychologist"}
            )
            later = time.perf_counter()
            decided = await post(client, f"/api/products/{pid}/decision", json={"decision": "approve", "reason": None})
            end = time.perf_counter()
            steps = (
                (claims, claimed, mid - start),
                (dismissals, dismissed, later - mid),
                (decisions, decided, end - later),
            )
            for run, (status, text), took in steps:
                if status == 200:
                    run.latencies.append(took)
                else:
                    run.errors += 1
                    print(f"  {run.name} {pid}: {status} {text[:160]} after {took:.1f} s", file=sys.stderr)
            if claimed[0] == 200 and dismissed[0] == 200 and decided[0] == 200:
                assert '"approved"' in decided[1], decided[1]
                trips.latencies.append(end - start)
            else:
                trips.errors += 1

    start = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(worker(c) for c in clients)), seconds + 60)
    except (TimeoutError, httpx.TimeoutException):
        trips.errors += len(clients)
        print(
            f"  claim/decision phase cut short after {time.perf_counter() - start:.0f} s: requests still "
            f"hanging (wedged)",
            file=sys.stderr,
        )
    for run in (claims, dismissals, decisions, trips):
        run.elapsed = time.perf_counter() - start
    return claims, dismissals, decisions, trips


async def decision_phase(args, settings, db_engine, env, base, limits, tmp) -> tuple[Run, tuple[Run, Run, Run, Run]]:
    """Reviewers claiming, dismissing and approving real reviews through the JSON API, with its
    baseline GET /api/me."""
    from worker import build_worker

    c = args.concurrency
    token = api_token(db_engine, REVIEWER[0])
    headers = {"Authorization": f"Bearer {token}"}
    api_clients = [httpx.AsyncClient(base_url=base, timeout=120, limits=limits, headers=headers) for _ in range(c)]
    try:
        me = await hammer(
            "baseline GET /api/me", api_clients, "GET", "/api/me", requests=args.requests, seconds=args.seconds
        )
        print(me.line(), flush=True)
        async with build_worker(env.client, settings):
            start = time.perf_counter()
            products = await submit_products(db_engine, env.client, settings, tmp, args.products, c)
            print(
                f"submitted {len(products)} products (pre-checked, queued) in {time.perf_counter() - start:.1f} s",
                flush=True,
            )
            runs = await claim_and_decide(api_clients[: args.decision_concurrency], products, args.seconds)
    finally:
        for client in api_clients:
            await client.aclose()
    return me, runs


# ------------------------------------------------------------------ main


async def run(args: argparse.Namespace) -> None:
    from temporalio.testing import WorkflowEnvironment

    from service.data_converter import data_converter_for
    from service.demo import import_demo_roster
    from service.devserver import temporal_binary
    from settings import Settings
    from store.accounts import seed_demo_accounts
    from store.db import make_engine
    from tests.dbutil import fresh_database
    from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

    kind = "postgres" if args.postgres else "sqlite"
    c = args.concurrency
    with tempfile.TemporaryDirectory() as tmp_name, fresh_database(kind, Path(tmp_name)) as url:
        tmp = Path(tmp_name)
        queue_name = f"web-bench-{uuid.uuid4().hex[:6]}"
        settings = Settings(
            environment="development",
            database_url=url,
            var_dir=tmp,
            task_queue=queue_name,
            secret_key="web-bench-secret-key-not-for-production",
            **({"web_threads": args.web_threads} if args.web_threads else {}),
        )
        db_engine = make_engine(url)
        import_demo_roster(db_engine)
        seed_demo_accounts(db_engine=db_engine)
        start = time.perf_counter()
        seed_reviews(db_engine, args.reviews)
        if kind == "postgres":
            # What autovacuum does within a minute of such a load in production: statistics for the
            # planner and the visibility map, so the queue query plans as it would there.
            with db_engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE review, product")
        print(f"seeded {args.reviews} open reviews in {time.perf_counter() - start:.1f} s ({kind})", flush=True)

        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            data_converter=data_converter_for(),
            search_attributes=SEARCH_ATTRIBUTE_KEYS,
        )
        async with env:
            port = free_port()
            server = await start_server(args, settings, db_engine, env, port)
            base = f"http://127.0.0.1:{port}"
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            page_clients = [httpx.AsyncClient(base_url=base, timeout=120, limits=limits) for _ in range(c)]
            try:
                for client in page_clients:
                    await sign_in(client, REVIEWER[0])
                # Warm-up (templates compiled, connection pool filled) outside the clock.
                for _label, path in PAGES:
                    await hammer("warm", page_clients, "GET", path, requests=c, seconds=120)

                async def get_phase(name: str, path: str):
                    """The signed-in clients' GETs of `path`, from the chosen load generator."""
                    if args.load == "wrk":
                        return await wrk(
                            name,
                            base,
                            path,
                            cookies=page_clients[0].cookies,
                            concurrency=c,
                            seconds=args.wrk_seconds,
                            tmp=tmp,
                        )
                    return await hammer(name, page_clients, "GET", path, requests=args.requests, seconds=args.seconds)

                health = await get_phase("baseline GET /healthz", "/healthz")
                print(health.line(), flush=True)
                pages = []
                for label, path in PAGES:
                    pages.append(await get_phase(f"GET {path} ({label}, {args.reviews} open reviews)", path))
                    print(pages[-1].line(), flush=True)
                profile = (
                    profile_pages(settings, db_engine, page_clients[0].cookies, [p for _n, p in PAGES])
                    if args.profile
                    else ""
                )
                print(profile, flush=True)
                if not args.pages_only:
                    me, decisions = await decision_phase(args, settings, db_engine, env, base, limits, tmp)
            finally:
                for client in page_clients:
                    await client.aclose()
                await server.stop()
        db_engine.dispose()

    print(
        f"\nweb bench: database {'PostgreSQL' if args.postgres else 'SQLite'}, {args.reviews} open reviews, "
        f"{c} concurrent clients, web app {'in this process' if args.in_process else 'from gcu-review web'} "
        f"({1 if args.in_process else args.web_workers} worker process(es), {settings.web_threads} threads each), "
        f"in-memory Temporal dev server"
    )
    print(health.line())
    for (_label, path), page in zip(PAGES, pages, strict=True):
        print(page.line())
        ratio = page.p95 / health.p95 if health.count and page.count else float("nan")
        met = page.count and not page.errors and page.p95 < 0.150
        print(f"  {path} p95 / baseline p95: {ratio:.1f}x; target p95 < 150 ms: {'met' if met else 'NOT met'}")
    if not args.pages_only:
        print(me.line())
        print(f"claim + dismiss + decision with {args.decision_concurrency} clients at once:")
        for r in decisions:
            print(r.line())


def main() -> None:
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` dumps every thread's stack (a stuck run)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1,000 reviews, 300 requests, 40 products")
    parser.add_argument("--reviews", type=int, default=None, help="open reviews seeded (default 10,000)")
    parser.add_argument("--requests", type=int, default=None, help="requests per GET phase (default 2,000)")
    parser.add_argument("--seconds", type=float, default=120.0, help="time bound per GET phase")
    parser.add_argument("--products", type=int, default=None, help="products claimed and decided (default 200)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--decision-concurrency",
        type=int,
        default=None,
        help="clients claiming and deciding at once (default: --concurrency)",
    )
    parser.add_argument("--postgres", default=None, help="PostgreSQL server URL (a new database is created there)")
    parser.add_argument("--profile", action="store_true", help="profile each page once in-process (SQL, cProfile)")
    parser.add_argument(
        "--pages-only", action="store_true", help="measure the pages only, not the claim and decision API"
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=1,
        help="processes serving the web app, as WEB_WORKERS (default 1; not with --in-process)",
    )
    parser.add_argument(
        "--web-threads",
        type=int,
        default=None,
        help="threads per web process running the routes (default: WEB_THREADS, or the settings default)",
    )
    parser.add_argument(
        "--load",
        choices=("wrk", "httpx"),
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator of the GET phases: wrk (Debian package wrk; the default when "
        "installed) or httpx clients in this process",
    )
    parser.add_argument(
        "--wrk-seconds", type=float, default=None, help="length of each wrk phase (default 15, --small 5)"
    )
    parser.add_argument(
        "--in-process", action="store_true", help="serve from this process, not a gcu-review web subprocess"
    )
    args = parser.parse_args()
    args.reviews = args.reviews or (1000 if args.small else 10_000)
    args.requests = args.requests or (300 if args.small else 2000)
    args.products = args.products or (40 if args.small else 200)
    args.wrk_seconds = args.wrk_seconds or (5 if args.small else 15)
    args.decision_concurrency = min(args.decision_concurrency or args.concurrency, args.concurrency)
    if args.postgres:
        os.environ["TEST_POSTGRES_URL"] = args.postgres
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
