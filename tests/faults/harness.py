"""Drive real review lifecycles against a real worker process, and check the database afterwards.

Used by the fault tests (tests/faults/) and the benches (bench/). The worker runs as
`python -m cli.main worker`, a separate process that the tests SIGKILL and restart; the test
process acts as the CLI / web app would, through service/reviews.py.

A client that loses its connection (or whose update call times out) retries the same action with
the same request id: request ids are the idempotency keys of the review updates, so a retry may
never act twice. Everything the lifecycles did is kept in `Lifecycle` so the database can be
checked against it: one Decision per decision made, one audit event per recorded transition (and
the same transitions as the workflow's own history), no duplicated finding or notification.
"""

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from models.enums import DecisionKind, ReviewState
from models.messages import ReviewStatus
from models.tables import AuditEvent, Decision, Finding, Notification, ProductVersion
from service import reviews
from service.errors import ActionRefused
from settings import Settings
from store import audit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = PROJECT_ROOT / "demo" / "products"
ROSTER = PROJECT_ROOT / "tests" / "e2e" / "roster.yaml"

# Transient failures a client sees while a worker, the database or the server is away; the same
# request (same request id) is sent again.
TRANSIENT_RPC = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.UNKNOWN,
    RPCStatusCode.INTERNAL,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    # a query before the first workflow task has run (no worker yet)
    RPCStatusCode.FAILED_PRECONDITION,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def soak_full() -> bool:
    return os.environ.get("GCU_SOAK_FULL") == "1"


def import_roster(db_url: str, path: Path = ROSTER) -> None:
    from rules.roster import load_roster
    from store.db import make_engine
    from store.roster_import import import_roster as run_import

    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            run_import(session=session, load=load_roster(path))
            session.commit()
    finally:
        engine.dispose()


def product_copy(tmp: Path, sample: str, *, product_id: str, version: str | None = None) -> Path:
    """A demo product under `product_id` (every run gets its own workflows)."""
    text = (PRODUCTS / sample).read_text(encoding="utf-8")
    old_id = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("  id:"))
    text = text.replace(f"  id: {old_id}", f"  id: {product_id}", 1)
    if version:
        text = "\n".join(
            f'  version: "{version}"' if line.startswith("  version:") else line for line in text.split("\n")
        )
    path = tmp / f"{product_id}-{version or 'v1'}.md"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the worker process


class WorkerProcess:
    """`python -m cli.main worker` (or `argv`) with the system's environment; SIGKILL and restart at will."""

    def __init__(self, env: dict[str, str], log_path: Path, argv: list[str] | None = None):
        self.env = env
        self.log_path = log_path
        self.argv = argv or [sys.executable, "-m", "cli.main", "worker"]
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "worker already running"
        log = open(self.log_path, "ab")  # noqa: SIM115 - the worker process writes it until it stops
        self.proc = subprocess.Popen(
            self.argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown, whatever the worker was doing."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def worker_env(*, db_url: str, temporal_address: str, task_queue: str, var_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "TASK_QUEUE": task_queue,
        "VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


# ------------------------------------------------------------------ the system under test


@dataclass
class System:
    client: Client
    engine: sa.Engine
    settings: Settings
    tmp: Path


@dataclass
class Lifecycle:
    """One product's review, as the test drove it."""

    product_id: str
    script: str
    decisions: list[DecisionKind] = field(default_factory=list)  # every decision that was accepted
    retries: int = 0
    done: bool = False
    final: ReviewStatus | None = None


async def with_retries(call: Callable[[], Awaitable], lifecycle: Lifecycle | None = None, *, deadline: float = 300):
    """Run `call` (which must reuse its request id) until it answers; transient failures retry."""
    end = time.monotonic() + deadline
    while True:
        try:
            return await call()
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
            problem: BaseException = exc
        except RPCError as exc:
            if exc.status not in TRANSIENT_RPC:
                raise
            problem = exc
        if lifecycle is not None:
            lifecycle.retries += 1
        if time.monotonic() > end:
            raise TimeoutError(f"gave up after {deadline:.0f} s: {problem!r}")
        await asyncio.sleep(0.5)


def _rid() -> str:
    return str(uuid.uuid4())


async def _submit(system: System, lc: Lifecycle, sample: str, actor: str) -> None:
    path = product_copy(system.tmp, sample, product_id=lc.product_id)
    try:
        await reviews.submit(
            db_engine=system.engine,
            client=system.client,
            settings=system.settings,
            path=path,
            actor_id=actor,
            wait_seconds=0,
        )
    except ActionRefused as exc:
        # A retried submit whose first attempt reached the server: the workflow exists, go on.
        if "already" not in exc.message:
            raise
    await _settled(system, lc)


async def _settled(system: System, lc: Lifecycle, version_no: int | None = None) -> ReviewStatus:
    async def wait():
        settled = await reviews.wait_for_precheck(
            client=system.client, product_id=lc.product_id, timeout=240, version_no=version_no
        )
        if settled is None:
            raise TimeoutError(f"{lc.product_id}: the pre-check did not finish in 240 s")
        return settled

    return await with_retries(wait, lc)


async def _act(system: System, lc: Lifecycle, action: str, **kw) -> ReviewStatus:
    request_id = _rid()
    fn = getattr(reviews, action)
    result = await with_retries(
        lambda: fn(
            db_engine=system.engine, client=system.client, product_id=lc.product_id, request_id=request_id, **kw
        ),
        lc,
    )
    if action == "decide":
        lc.decisions.append(kw["decision"])
    return result


async def dismiss_and_approve(system: System, lc: Lifecycle) -> None:
    """S5 (Kestrel): two findings block approval until the reviewer dismisses them."""
    await _submit(system, lc, "S5-CS-kestrel.md", "KE-01")
    await _act(system, lc, "claim", actor_id="GX-02")
    await _act(system, lc, "dismiss", rule_id="LANG-01", reason="inside the statutory definition", actor_id="GX-02")
    await _act(system, lc, "dismiss", rule_id="GEN-CHG-09", reason="second statement attached", actor_id="GX-02")
    await _act(system, lc, "decide", decision=DecisionKind.APPROVE, reason=None, actor_id="GX-02")


async def return_resubmit_approve(system: System, lc: Lifecycle) -> None:
    """S2 (Heron): returned, resubmitted as v2, back to the same reviewer, approved."""
    await _submit(system, lc, "S2-IO-child-compliant.md", "HE-01")
    await _act(system, lc, "claim", actor_id="GX-03")
    await _act(system, lc, "decide", decision=DecisionKind.RETURN, reason="add the briefing date", actor_id="GX-03")
    v2 = product_copy(system.tmp, "S2-IO-child-compliant.md", product_id=lc.product_id, version="2.0")
    request_id = _rid()
    await with_retries(
        lambda: reviews.resubmit(
            db_engine=system.engine,
            client=system.client,
            settings=system.settings,
            product_id=lc.product_id,
            path=v2,
            actor_id="HE-01",
            request_id=request_id,
        ),
        lc,
    )
    await _settled(system, lc, version_no=2)
    # Contract v2: VUL-INT-02 (major) must be dismissed before approval.
    await _act(system, lc, "dismiss", rule_id="VUL-INT-02", reason="needs asked by the psychologist", actor_id="GX-03")
    await _act(system, lc, "decide", decision=DecisionKind.APPROVE, reason=None, actor_id="GX-03")


async def escalate_and_head_approves(system: System, lc: Lifecycle) -> None:
    """S6 (Osprey): the reviewer escalates, the GCU head approves."""
    await _submit(system, lc, "S6-MP-compliant.md", "OS-01")
    await _act(system, lc, "claim", actor_id="GX-02")
    await _act(system, lc, "decide", decision=DecisionKind.ESCALATE, reason="policy question", actor_id="GX-02")
    await _act(system, lc, "decide", decision=DecisionKind.APPROVE, reason=None, actor_id="GX-09")


SCRIPTS: dict[str, Callable[[System, Lifecycle], Awaitable[None]]] = {
    "dismiss_and_approve": dismiss_and_approve,
    "return_resubmit_approve": return_resubmit_approve,
    "escalate_and_head_approves": escalate_and_head_approves,
}


def new_lifecycles(count: int, prefix: str = "CHAOS") -> list[Lifecycle]:
    names = list(SCRIPTS)
    run = uuid.uuid4().hex[:6].upper()
    return [Lifecycle(product_id=f"{prefix}-{run}-{i:04d}", script=names[i % len(names)]) for i in range(count)]


async def run_lifecycle(system: System, lc: Lifecycle) -> Lifecycle:
    await SCRIPTS[lc.script](system, lc)
    lc.final = await with_retries(lambda: reviews.status(client=system.client, product_id=lc.product_id), lc)
    lc.done = lc.final.state == ReviewState.APPROVED
    return lc


async def run_lifecycles(system: System, lifecycles: list[Lifecycle], *, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(lc: Lifecycle) -> None:
        async with gate:
            await run_lifecycle(system, lc)

    await asyncio.gather(*(one(lc) for lc in lifecycles))


async def chaos_monkey(
    worker: WorkerProcess, *, kills: int, window: tuple[float, float], stop: asyncio.Event, rng: random.Random
) -> None:
    """SIGKILL the worker `kills` times at random moments, restarting it after a random pause."""
    for _ in range(kills):
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(*window))
            return
        except TimeoutError:
            pass
        worker.kill()
        await asyncio.sleep(rng.uniform(0.0, 1.0))
        worker.start()


# ------------------------------------------------------------------ checks


@dataclass
class DatabaseReport:
    problems: list[str]
    decisions: int
    audit_events: int
    notifications: int
    findings: int

    def assert_clean(self) -> None:
        assert not self.problems, "database inconsistencies:\n  " + "\n  ".join(self.problems[:40])


def check_database(engine: sa.Engine, lifecycles: list[Lifecycle]) -> DatabaseReport:
    """Compare the database with what the lifecycles did and with each workflow's own history."""
    problems: list[str] = []
    ids = [lc.product_id for lc in lifecycles]
    with Session(engine) as session:
        chain = audit.verify_chain(session=session)
        if not chain.ok:
            problems.append(f"audit chain broken: {chain.problem}")
        decisions = session.execute(
            sa.select(Decision.product_id, Decision.decision).where(Decision.product_id.in_(ids)).order_by(Decision.id)
        ).all()
        events = session.execute(
            sa.select(AuditEvent.id, AuditEvent.product_id, AuditEvent.transition_seq, AuditEvent.action)
            .where(AuditEvent.product_id.in_(ids))
            .order_by(AuditEvent.id)
        ).all()
        notes = session.execute(
            sa.select(
                Notification.product_id, Notification.audit_event_id, Notification.recipient_id, Notification.kind
            ).where(Notification.product_id.in_(ids))
        ).all()
        found = session.execute(
            sa.select(Finding.product_id, Finding.version_id, Finding.rule_id).where(Finding.product_id.in_(ids))
        ).all()
        versions = session.execute(
            sa.select(ProductVersion.product_id, ProductVersion.version_no).where(ProductVersion.product_id.in_(ids))
        ).all()

    by_product_decisions: dict[str, list[str]] = {}
    for pid, kind in decisions:
        by_product_decisions.setdefault(pid, []).append(kind)
    by_product_events: dict[str, list[tuple[int, str]]] = {}
    for _, pid, seq, action in events:
        by_product_events.setdefault(pid, []).append((seq, action))
    versions_of: dict[str, list[int]] = {}
    for pid, no in versions:
        versions_of.setdefault(pid, []).append(no)

    for lc in lifecycles:
        if not lc.done or lc.final is None:
            problems.append(
                f"{lc.product_id} ({lc.script}) did not complete: {lc.final.state if lc.final else 'no status'}"
            )
            continue
        made = [str(d) for d in lc.decisions]
        stored = by_product_decisions.get(lc.product_id, [])
        if stored != made:
            problems.append(f"{lc.product_id}: decisions made {made}, stored {stored}")
        history = [(r.seq, str(r.action)) for r in lc.final.history]
        recorded = sorted(by_product_events.get(lc.product_id, []))
        if recorded != history:
            problems.append(f"{lc.product_id}: audit events {recorded} differ from the workflow history {history}")
        if sorted(versions_of.get(lc.product_id, [])) != list(range(1, lc.final.version_no + 1)):
            problems.append(
                f"{lc.product_id}: stored versions {sorted(versions_of.get(lc.product_id, []))}, "
                f"the workflow knows v1..v{lc.final.version_no}"
            )
    for key, n in Counter((pid, vid, rule) for pid, vid, rule in found).items():
        if n > 1:
            problems.append(f"finding {key} stored {n} times")
    for key, n in Counter((aid, rid, kind) for _, aid, rid, kind in notes).items():
        if n > 1:
            problems.append(f"notification {key} stored {n} times")
    return DatabaseReport(
        problems=problems,
        decisions=len(decisions),
        audit_events=len(events),
        notifications=len(notes),
        findings=len(found),
    )


# The marker name the SDK core gives a local activity's result in the history.
LOCAL_ACTIVITY_MARKER = "core_local_activity"


async def activity_retries(client: Client, product_ids: list[str]) -> Counter:
    """Activity attempts after the first (a worker died holding one, or the database was away), by
    activity type. Attempts that time out and are retried leave no event of their own in the
    history; the attempt number of the one that finally started does (for an ordinary activity
    its started event, for a local activity the marker recording its result)."""
    from temporalio.api.enums.v1 import EventType

    counts: Counter = Counter()
    for pid in product_ids:
        handle = client.get_workflow_handle(reviews.workflow_id_for(pid))
        scheduled: dict[int, str] = {}
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started = event.activity_task_started_event_attributes
                if started.attempt > 1:
                    counts[scheduled.get(started.scheduled_event_id, "?")] += started.attempt - 1
            elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                marker = event.marker_recorded_event_attributes
                if marker.marker_name == LOCAL_ACTIVITY_MARKER and "data" in marker.details:
                    data = json.loads(marker.details["data"].payloads[0].data)
                    if data.get("attempt", 1) > 1:
                        counts[f"{data.get('activity_type', '?')} (local)"] += data["attempt"] - 1
    return counts


async def wait_for_pending_activity(client: Client, product_id: str, activity_type: str, timeout: float = 60) -> None:
    """Until a worker has started `activity_type` for the product (it is then running, not queued)."""
    from temporalio.api.enums.v1 import PendingActivityState

    handle = client.get_workflow_handle(reviews.workflow_id_for(product_id))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            description = await handle.describe()
        except RPCError:
            description = None
        if description is not None:
            for pending in description.raw_description.pending_activities:
                if (
                    pending.activity_type.name == activity_type
                    and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                ):
                    return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{product_id}: no worker started {activity_type} within {timeout:.0f} s")


@contextlib.asynccontextmanager
async def worker_system(
    kind: str,
    client: Client,
    tmp: Path,
    *,
    temporal_address: str | None = None,
    start_worker: bool = True,
    worker_db_url: Callable[[str], str] | None = None,
    **env: str,
) -> AsyncIterator[tuple[System, WorkerProcess]]:
    """A fresh database of `kind` with the test register, a worker process on its own task queue,
    and the System the test drives. `worker_db_url` rewrites the database URL the worker sees
    (to route it through a proxy); `env` adds worker settings (REVIEW_SLA_WORKING_DAYS=...)."""
    from store.db import make_engine
    from tests.dbutil import fresh_database

    target = temporal_address or client.service_client.config.target_host
    with fresh_database(kind, tmp) as url:
        import_roster(url)
        task_queue = f"faults-{uuid.uuid4().hex[:8]}"
        worker = WorkerProcess(
            worker_env(
                db_url=worker_db_url(url) if worker_db_url else url,
                temporal_address=target,
                task_queue=task_queue,
                var_dir=tmp,
                **env,
            ),
            tmp / f"worker-{task_queue}.log",
        )
        engine = make_engine(url)
        settings = Settings(
            database_url=url,
            temporal_address=target,
            task_queue=task_queue,
            var_dir=tmp,
            **{k.lower(): v for k, v in env.items()},
        )
        if start_worker:
            worker.start()
        try:
            yield System(client=client, engine=engine, settings=settings, tmp=tmp), worker
        finally:
            worker.stop()
            engine.dispose()


class TcpProxy:
    """A TCP relay in the test's event loop, so the worker's database can be cut off (every open
    connection reset, new ones refused) and restored without touching the shared server."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.cut_count = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        """The database vanishes: the listener closes and every relayed connection is reset."""
        self.cut_count += 1
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            transport = writer.transport
            if transport is not None:
                transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()


def through_proxy(url: str, proxy: TcpProxy) -> str:
    return sa.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
