"""What a person feels of a review, and what the architecture costs, against no-op workflows on
the same dev server in the same run (issue 14; issue 6 before it). Three figures:

(a) reviewer action latency: claim, dismiss, approve, return through service/reviews.py, from the
    call to the recorded, audit-chained state (the answer the web app and the CLI get), p50 and p95
    against the bare update round trip (target: p50 <= 2x, p95 <= 3x);
(b) submit to findings: reviews.submit (the document stored, the workflow started, the pre-check
    run and recorded, the review queued, the findings readable) against a bare start, one no-op
    activity and one update that answers once it has run (target: p50 <= 2x);
(c) lifecycles per second against a same-shape baseline: a no-op workflow with the same number of
    activities, local activities, updates, search-attribute upserts and timers as a review,
    counted from the histories of the warm-up reviews (bench/baseline_workflows.py; target >= 0.7).
    The earlier ratio against one no-op activity and one update is printed beside it.

The reviews alternate two lifecycles: submit, claim, dismiss S2's major finding, approve; and the
same ending in a return, after which the author withdraws. Every side runs with the same
concurrency against one in-memory dev server, each side's worker in a process of its own as
deployed (`gcu-review worker` for the reviews); --in-process-workers runs both workers inside the
bench process instead. After a warm-up of every side, the lifecycles run in blocks (--blocks, 5)
that the sides take in turns, so that a shared machine whose load changes during the run slows
every side alike. CPU per lifecycle is printed per process (driver, worker, Temporal server).

    .venv/bin/python bench/workflow_bench.py            # 200 lifecycles a side, concurrency 10
    .venv/bin/python bench/workflow_bench.py --small    # 40 a side
    --postgres URL: the review database on PostgreSQL instead of SQLite
    --in-process-workers: the workers share this process (and its GIL) with the driver
"""

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The workflow sandbox re-imports a workflow's module by name: the baselines live in a module of
# their own, imported from bench/ (this script's folder, first on sys.path).
from baseline_workflows import BaselineWorkflow, Shape, ShapedBaselineWorkflow, noop, shape_of
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

BASELINE_QUEUE_PREFIX = "bench-baseline"
WARM_UP_TIMEOUT = 120  # seconds for a side's first workflow (a worker process that cannot start)


def _cpu_seconds_of(binary: str) -> float:
    """User + system CPU seconds of this process's children running `binary` (Linux /proc): our
    dev server, not the other dev servers of a shared machine."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") != binary or _parent_of(int(pid)) != os.getpid():
                continue
            total += _cpu_seconds_of_pid(int(pid))
        except OSError:
            continue
    return total


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _cpu_seconds_of_pid(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    """One side of the comparison, summed over its blocks: throughput, round trips, and where the
    CPU went."""

    latencies: dict[str, list[float]] = field(default_factory=dict)  # by what was timed
    count: int = 0
    wall: float = 0.0
    bench_cpu: float = 0.0  # this process: the driver, and the workers with --in-process-workers
    worker_cpu: float = 0.0  # the side's worker process
    server_cpu: float = 0.0  # the Temporal dev server

    @property
    def rate(self) -> float:
        return self.count / self.wall

    def cpu_line(self, name: str) -> str:
        def per(seconds: float) -> str:
            return f"{seconds / self.count * 1000:.0f} ms"

        worker = f", {per(self.worker_cpu)} in the worker process" if self.worker_cpu else ""
        return (
            f"{name}: CPU per workflow {per(self.bench_cpu)} in this process{worker}, "
            f"{per(self.server_cpu)} in the Temporal server"
        )


class Clock:
    """Around one block of a side: wall time and CPU of this process, the side's worker process
    and the Temporal server (only one side runs at a time)."""

    def __init__(self, server_binary: str, worker_pid: int | None):
        self.server_binary, self.worker_pid = server_binary, worker_pid
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.worker, self.server = _cpu_seconds_of_pid(worker_pid), _cpu_seconds_of(server_binary)

    def add_to(self, phase: Phase, count: int) -> None:
        phase.count += count
        phase.wall += time.perf_counter() - self.wall
        phase.bench_cpu += time.process_time() - self.cpu
        phase.worker_cpu += _cpu_seconds_of_pid(self.worker_pid) - self.worker
        phase.server_cpu += _cpu_seconds_of(self.server_binary) - self.server


@dataclass
class Side:
    """What one side runs: `one(i)` drives lifecycle i (i < 0: a warm-up), timing into `phase`."""

    name: str
    one: Callable[[int], Awaitable[None]]
    worker_pid: int | None
    phase: Phase = field(default_factory=Phase)
    workflow_ids: dict[int, str] = field(default_factory=dict)  # the reviews': lifecycle -> workflow id

    async def warm_up(self) -> None:
        # Outside the clock (and, with a worker process, until it polls).
        await asyncio.wait_for(self.one(-1), WARM_UP_TIMEOUT)
        self.phase.latencies.clear()

    async def block(self, indices: range, args) -> None:
        gate = asyncio.Semaphore(args.concurrency)

        async def gated(i: int) -> None:
            async with gate:
                await self.one(i)

        clock = Clock(args.server_binary, self.worker_pid)
        await asyncio.gather(*(gated(i) for i in indices))
        clock.add_to(self.phase, len(indices))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _timed(latencies: dict[str, list[float]], name: str, awaitable):
    start = time.perf_counter()
    result = await awaitable
    latencies.setdefault(name, []).append(time.perf_counter() - start)
    return result


@contextlib.asynccontextmanager
async def _worker_process(argv: list[str], env: dict[str, str], log: Path) -> AsyncIterator[int]:
    """The worker as a process of its own (the fault tests' WorkerProcess), its pid for the CPU count."""
    from tests.faults.harness import WorkerProcess

    worker = WorkerProcess(env, log, argv)
    worker.start()
    try:
        yield worker.pid
    except TimeoutError:
        raise RuntimeError(
            f"the worker process ({' '.join(argv[1:])}) did not serve; its log ends:\n{worker.log_tail(30)}"
        ) from None
    finally:
        worker.stop()


@contextlib.asynccontextmanager
async def _baseline_worker(client: Client, args) -> AsyncIterator[tuple[str, int | None]]:
    """One worker for every baseline (its own process unless --in-process-workers): its queue and pid."""
    queue = f"{BASELINE_QUEUE_PREFIX}-{uuid.uuid4().hex[:6]}"
    if args.in_process_workers:
        async with Worker(client, task_queue=queue, workflows=BASELINE_WORKFLOWS, activities=[noop]):
            yield queue, None
        return
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--baseline-worker",
        queue,
        "--address",
        client.service_client.config.target_host,
    ]
    async with _worker_process(argv, dict(os.environ), args.tmp / "baseline-worker.log") as pid:
        yield queue, pid


BASELINE_WORKFLOWS = [BaselineWorkflow, ShapedBaselineWorkflow]


def bare_side(client: Client, queue: str, pid: int | None) -> Side:
    """The earlier baseline: one no-op activity and one update, the driver polling `describe` until
    the activity has run (as reviews were driven before `precheck_settled`)."""
    phase = Phase()

    async def one(i: int) -> None:
        handle = await client.start_workflow("BenchBaselineWorkflow", id=f"{queue}-bare-{i}", task_queue=queue)
        while True:
            description = await handle.describe()
            if not description.raw_description.pending_activities and description.history_length > 5:
                break
            await asyncio.sleep(0.2)
        await _timed(phase.latencies, "update", handle.execute_update("approve", result_type=str))
        await handle.result()

    return Side("bare", one, pid, phase)


def shaped_side(client: Client, queue: str, pid: int | None, shapes: list[Shape], name: str) -> Side:
    """`ShapedBaselineWorkflow` lifecycles, lifecycle i taking shapes[i % len(shapes)], driven as a
    review is: start and the waiting update (timed as "submit"), then each action's update (timed
    as "update")."""
    phase = Phase()

    async def one(i: int) -> None:
        shape = shapes[i % len(shapes)]
        start = time.perf_counter()
        handle = await client.start_workflow(
            "BenchShapedBaselineWorkflow", shape, id=f"{queue}-{name}-{i}", task_queue=queue
        )
        await handle.execute_update("settled", result_type=str)
        phase.latencies.setdefault("submit", []).append(time.perf_counter() - start)
        for _ in range(shape.act_updates):
            await _timed(phase.latencies, "update", handle.execute_update("act", result_type=str))
        await handle.result()

    return Side(name, one, pid, phase)


async def _history_shape(client: Client, workflow_id: str) -> Shape:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return shape_of(history.events)


# A review lifecycle of each kind, alternating: every reviewer action of the issue is timed.
REVIEW_KINDS = ("approve", "return")
DISMISSED_RULE = "VUL-INT-02"  # S2's major finding: contract v2 requires its dismissal before approval


@contextlib.asynccontextmanager
async def review_side(client: Client, db_url: str, count: int, args) -> AsyncIterator[Side]:
    """Review lifecycles through service/reviews.py against a `gcu-review worker` process: even
    ones submit, claim, dismiss S2's major finding and approve; odd ones do the same but return the
    product, which its author then withdraws. Timed: the submission (to the findings readable,
    the review queued) and every action (to its recorded, audit-chained state)."""
    from models.enums import DecisionKind, ReviewState
    from service import reviews
    from settings import Settings
    from store.db import make_engine
    from tests.faults.harness import product_copy, worker_env
    from worker import build_worker

    tmp = args.tmp
    queue = f"bench-review-{uuid.uuid4().hex[:6]}"
    settings = Settings(database_url=db_url, task_queue=queue, var_dir=tmp)
    engine = make_engine(db_url)
    run_tag = uuid.uuid4().hex[:6].upper()
    paths = {
        i: product_copy(tmp, "S2-IO-child-compliant.md", product_id=f"BENCH-{run_tag}-{i + 2}")
        for i in range(-2, count)
    }
    common = {"db_engine": engine, "client": client}
    phase, workflow_ids = Phase(), {}

    async def one(i: int) -> None:
        latencies = phase.latencies
        submitted = await _timed(
            latencies,
            "submit",
            reviews.submit(**common, settings=settings, path=paths[i], actor_id="HE-01", wait_seconds=60),
        )
        pid = submitted.product_id
        workflow_ids[i] = submitted.workflow_id
        assert submitted.status is not None and submitted.status.state == ReviewState.QUEUED, submitted
        assert any(f.rule_id == DISMISSED_RULE for f in submitted.status.findings), "S2 lost its major finding"
        await _timed(latencies, "claim", reviews.claim(**common, product_id=pid, actor_id="GX-02"))
        await _timed(
            latencies,
            "dismiss",
            reviews.dismiss(
                **common, product_id=pid, rule_id=DISMISSED_RULE, reason="asked by the psychologist", actor_id="GX-02"
            ),
        )
        if REVIEW_KINDS[i % 2] == "approve":
            decision, reason = DecisionKind.APPROVE, None
        else:
            decision, reason = DecisionKind.RETURN, "add the briefing date"
        done = await _timed(
            latencies,
            str(REVIEW_KINDS[i % 2]),
            reviews.decide(**common, product_id=pid, decision=decision, reason=reason, actor_id="GX-02"),
        )
        if decision == DecisionKind.RETURN:
            assert done.state == ReviewState.RETURNED, done
            await _timed(
                latencies,
                "withdraw",
                reviews.withdraw(**common, product_id=pid, reason="replaced by a new product", actor_id="HE-01"),
            )
        else:
            assert done.state == ReviewState.APPROVED, done
        await client.get_workflow_handle(submitted.workflow_id).result()

    side = Side("review", one, None, phase, workflow_ids)
    try:
        if args.in_process_workers:
            async with build_worker(client, settings):
                yield side
            return
        env = worker_env(
            db_url=db_url, temporal_address=client.service_client.config.target_host, task_queue=queue, var_dir=tmp
        )
        async with _worker_process([sys.executable, "-m", "cli.main", "worker"], env, tmp / "review-worker.log") as pid:
            side.worker_pid = pid
            yield side
    finally:
        engine.dispose()


async def review_shapes(client: Client, side: Side) -> list[Shape]:
    """After the review side's warm-up: one lifecycle of each kind (warm-ups -2 and -1), counted."""
    await asyncio.wait_for(side.one(-2), WARM_UP_TIMEOUT)
    return [await _history_shape(client, side.workflow_ids[i]) for i in (-2, -1)]


async def measure(client: Client, db_url: str, args) -> tuple[dict[str, Phase], list[Shape], list[Shape]]:
    """Every side warmed up, then the lifecycles in blocks, the sides taking turns (in reverse
    order every other block): a machine whose load changes during the run slows every side alike,
    and the ratios stay same-run ratios."""
    count = args.count
    async with review_side(client, db_url, count, args) as review, _baseline_worker(client, args) as (queue, pid):
        await review.warm_up()
        shapes = await review_shapes(client, review)
        review.phase.latencies.clear()
        sides = [
            review,
            bare_side(client, queue, pid),
            shaped_side(client, queue, pid, [Shape(activities=1)], "submit"),
            shaped_side(client, queue, pid, shapes, "shaped"),
        ]
        for side in sides[1:]:
            await side.warm_up()
        blocks = max(1, min(args.blocks, count))
        bounds = [count * b // blocks for b in range(blocks + 1)]
        for b in range(blocks):
            for side in sides if b % 2 == 0 else sides[::-1]:
                await side.block(range(bounds[b], bounds[b + 1]), args)
        counted = [await _history_shape(client, f"{queue}-shaped-{i}") for i in range(min(count, len(shapes)))]
    return {side.name: side.phase for side in sides}, shapes, counted


async def serve_baseline_worker(queue: str, address: str) -> None:
    """The baselines' worker process (--baseline-worker): until SIGTERM."""
    from service.data_converter import data_converter_for

    client = await Client.connect(address, data_converter=data_converter_for())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue=queue, workflows=BASELINE_WORKFLOWS, activities=[noop]):
        await stop.wait()


# ------------------------------------------------------------------ the report

TARGETS = {"action p50": 2.0, "action p95": 3.0, "submit p50": 2.0, "throughput": 0.7}
REVIEWER_ACTIONS = ("claim", "dismiss", "approve", "return")


def _ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def _verdict(ratio: float, target: float, higher_is_better: bool = False) -> str:
    met = ratio >= target if higher_is_better else ratio <= target
    return f"{'met' if met else 'NOT met'} ({'>=' if higher_is_better else '<='} {target:g})"


def report(bare: Phase, submit_base: Phase, shaped: Phase, review: Phase, shapes, counted, args) -> None:
    def row(what: str, p50: float, p95: float, extra: str = "") -> None:
        print(f"| {what} | {p50:.0f} | {p95:.0f} | {extra} |")

    bare_update = bare.latencies["update"]
    actions = [x for name in REVIEWER_ACTIONS for x in review.latencies.get(name, [])]
    print(
        f"workflow bench: {args.count} lifecycles a side, concurrency {args.concurrency}, "
        f"database {'PostgreSQL' if args.postgres else 'SQLite'}, one in-memory dev server, "
        f"{'workers inside this process' if args.in_process_workers else 'a worker process a side'}, "
        f"{os.cpu_count()} CPUs"
    )
    print("review shapes (from real histories): " + " / ".join(s.line() for s in shapes))
    if counted != shapes:
        print("WARNING: the same-shape baseline's own histories differ: " + " / ".join(s.line() for s in counted))
    print()
    print("| round trip (ms) | p50 | p95 | |")
    print("|---|---|---|---|")
    row("bare update (1 no-op activity + 1 update workflow)", _ms(bare_update, 0.5), _ms(bare_update, 0.95))
    for name in (*REVIEWER_ACTIONS, "withdraw"):
        values = review.latencies.get(name, [])
        if values:
            row(f"{name} (service layer, recorded)", _ms(values, 0.5), _ms(values, 0.95), f"n={len(values)}")
    p50 = percentile(actions, 0.5) / percentile(bare_update, 0.5)
    p95 = percentile(actions, 0.95) / percentile(bare_update, 0.95)
    row(
        "(a) reviewer actions (claim, dismiss, approve, return)",
        _ms(actions, 0.5),
        _ms(actions, 0.95),
        f"**{p50:.2f}x / {p95:.2f}x** the bare update: p50 {_verdict(p50, TARGETS['action p50'])}, "
        f"p95 {_verdict(p95, TARGETS['action p95'])}",
    )
    shaped_update = shaped.latencies["update"]
    row(
        "same-shape baseline action update (local activity + upsert)", _ms(shaped_update, 0.5), _ms(shaped_update, 0.95)
    )
    bare_submit, submits = submit_base.latencies["submit"], review.latencies["submit"]
    row("bare start + 1 no-op activity + 1 update", _ms(bare_submit, 0.5), _ms(bare_submit, 0.95))
    ratio = percentile(submits, 0.5) / percentile(bare_submit, 0.5)
    row(
        "(b) submit to findings readable (service layer)",
        _ms(submits, 0.5),
        _ms(submits, 0.95),
        f"**{ratio:.2f}x** p50: {_verdict(ratio, TARGETS['submit p50'])}",
    )
    print()
    print("| lifecycles per second | rate | review / it |")
    print("|---|---|---|")
    print(f"| bare (1 no-op activity + 1 update) | {bare.rate:.1f} | {review.rate / bare.rate:.2f} (as before) |")
    throughput = review.rate / shaped.rate
    print(
        f"| (c) same-shape no-op baseline | {shaped.rate:.1f} | **{throughput:.2f}**: "
        f"{_verdict(throughput, TARGETS['throughput'], higher_is_better=True)} |"
    )
    print(f"| review lifecycles (half approved, half returned and withdrawn) | {review.rate:.1f} | |")
    print()
    for name, phase in (("bare", bare), ("same-shape", shaped), ("review lifecycle", review)):
        print(phase.cpu_line(name))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="40 lifecycles a side (quick)")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--blocks", type=int, default=5, help="blocks the sides take turns in (default 5)")
    parser.add_argument("--postgres", default=None, help="review database on this PostgreSQL server URL")
    parser.add_argument(
        "--in-process-workers",
        action="store_true",
        help="run both sides' workers inside this process instead of a process each",
    )
    parser.add_argument("--baseline-worker", metavar="QUEUE", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_worker:
        await serve_baseline_worker(args.baseline_worker, args.address)
        return
    args.count = args.count or (40 if args.small else 200)
    if args.postgres:
        os.environ["TEST_POSTGRES_URL"] = args.postgres
    from service.data_converter import data_converter_for
    from service.devserver import temporal_binary
    from tests.dbutil import fresh_database
    from tests.faults.harness import import_roster
    from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=data_converter_for(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
    )
    args.server_binary = os.path.realpath(temporal_binary())
    client = env.client
    async with env:
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_database("postgres" if args.postgres else "sqlite", Path(tmp)) as url,
        ):
            args.tmp = Path(tmp)
            import_roster(url)
            phases, shapes, counted = await measure(client, url, args)
    report(phases["bare"], phases["submit"], phases["shaped"], phases["review"], shapes, counted, args)


if __name__ == "__main__":
    asyncio.run(main())
