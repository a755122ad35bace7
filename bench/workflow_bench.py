"""Review lifecycles per second against a bare baseline workflow, on the same dev server in the
same run (issue 6, Load and performance; target: at least 0.5 of the baseline).

- review lifecycle: submit (the product is stored, the workflow starts, the pre-check runs the rule
  engine and records its findings), claim, approve: every step through service/reviews.py, every
  transition recorded in the database (audit chain, review projection, notifications).
- baseline: a workflow with one no-op activity and one update, started and completed the same way
  (start, wait for the activity, update, result).
Both run with the same concurrency against one in-memory dev server, each side's worker in a
process of its own as deployed (the web app or CLI is one process, `gcu-review worker` another);
--in-process-workers runs both workers inside the bench process instead. Also reports the update round trip of a reviewer action (claim, approve) p50/p95, and the
baseline's update round trip.

    .venv/bin/python bench/workflow_bench.py            # 200 lifecycles each, concurrency 10
    .venv/bin/python bench/workflow_bench.py --small    # 40 each
    --postgres URL: the review database on PostgreSQL instead of SQLite
    --in-process-workers: the workers share this process (and its GIL) with the driver
"""

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow

if not workflow.unsafe.in_sandbox():  # the sandbox re-imports this module for BaselineWorkflow
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

BASELINE_QUEUE_PREFIX = "bench-baseline"
WARM_UP_TIMEOUT = 120  # seconds for a side's first workflow (a worker process that cannot start)


@activity.defn(name="bench_noop")
async def noop() -> None:
    return None


@workflow.defn(name="BenchBaselineWorkflow")
class BaselineWorkflow:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.execute_activity("bench_noop", start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: self._done)
        return "done"

    @workflow.update
    async def approve(self) -> str:
        self._done = True
        return "approved"


def _cpu_seconds_of(binary: str) -> float:
    """User + system CPU seconds of the processes running `binary` (Linux /proc)."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") != binary:
                continue
            total += _cpu_seconds_of_pid(int(pid))
        except OSError:
            continue
    return total


def _cpu_seconds_of_pid(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    """One side of the comparison: throughput, update latencies, and where the CPU went."""

    rate: float
    latencies: list[float]
    count: int
    bench_cpu: float  # this process: the driver, and the workers with --in-process-workers
    worker_cpu: float  # the worker process
    server_cpu: float  # the Temporal dev server

    def cpu_line(self, name: str) -> str:
        def per(seconds: float) -> str:
            return f"{seconds / self.count * 1000:.0f} ms"

        worker = f", {per(self.worker_cpu)} in the worker process" if self.worker_cpu else ""
        return (
            f"{name}: CPU per workflow {per(self.bench_cpu)} in this process{worker}, "
            f"{per(self.server_cpu)} in the Temporal server"
        )


class Clock:
    """Started after a side's warm-up: wall time and CPU of this process, its worker process and
    the Temporal server."""

    def __init__(self, server_binary: str, worker_pid: int | None):
        self.server_binary, self.worker_pid = server_binary, worker_pid
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.worker, self.server = _cpu_seconds_of_pid(worker_pid), _cpu_seconds_of(server_binary)

    def phase(self, count: int, latencies: list[float]) -> Phase:
        return Phase(
            rate=count / (time.perf_counter() - self.wall),
            latencies=latencies,
            count=count,
            bench_cpu=time.process_time() - self.cpu,
            worker_cpu=_cpu_seconds_of_pid(self.worker_pid) - self.worker,
            server_cpu=_cpu_seconds_of(self.server_binary) - self.server,
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _timed(latencies: list[float], awaitable):
    start = time.perf_counter()
    result = await awaitable
    latencies.append(time.perf_counter() - start)
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


async def run_baseline(client, count: int, concurrency: int, args, server_binary: str) -> Phase:
    queue = f"{BASELINE_QUEUE_PREFIX}-{uuid.uuid4().hex[:6]}"
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            handle = await client.start_workflow("BenchBaselineWorkflow", id=f"{queue}-{i}", task_queue=queue)
            # Like the review's pre-check wait: the update comes once the activity has run.
            while True:
                description = await handle.describe()
                if not description.raw_description.pending_activities and description.history_length > 5:
                    break
                await asyncio.sleep(0.2)
            await _timed(latencies, handle.execute_update("approve", result_type=str))
            await handle.result()

    async def clocked(worker_pid: int | None) -> Phase:
        # Warm-up outside the clock (and, with a worker process, until it polls).
        await asyncio.wait_for(one(-1), WARM_UP_TIMEOUT)
        latencies.clear()
        clock = Clock(server_binary, worker_pid)
        await asyncio.gather(*(one(i) for i in range(count)))
        return clock.phase(count, latencies)

    if args.in_process_workers:
        async with Worker(client, task_queue=queue, workflows=[BaselineWorkflow], activities=[noop]):
            return await clocked(None)
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--baseline-worker",
        queue,
        "--address",
        client.service_client.config.target_host,
    ]
    async with _worker_process(argv, dict(os.environ), args.tmp / "baseline-worker.log") as pid:
        return await clocked(pid)


async def run_reviews(client, db_url: str, count: int, concurrency: int, args, server_binary: str) -> Phase:
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
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    paths = [
        product_copy(tmp, "S2-IO-child-compliant.md", product_id=f"BENCH-{uuid.uuid4().hex[:8].upper()}")
        for _ in range(count)
    ]

    async def one(path: Path) -> None:
        async with gate:
            submitted = await reviews.submit(
                db_engine=engine, client=client, settings=settings, path=path, actor_id="HE-01", wait_seconds=60
            )
            pid = submitted.product_id
            assert submitted.status is not None and submitted.status.state == ReviewState.QUEUED, submitted
            await _timed(latencies, reviews.claim(db_engine=engine, client=client, product_id=pid, actor_id="GX-02"))
            done = await _timed(
                latencies,
                reviews.decide(
                    db_engine=engine,
                    client=client,
                    product_id=pid,
                    decision=DecisionKind.APPROVE,
                    reason=None,
                    actor_id="GX-02",
                ),
            )
            assert done.state == ReviewState.APPROVED
            await client.get_workflow_handle(submitted.workflow_id).result()

    async def clocked(worker_pid: int | None) -> Phase:
        # Warm-up outside the clock: the worker loads the rule packs on its first pre-check.
        warm = product_copy(tmp, "S2-IO-child-compliant.md", product_id=f"WARM-{uuid.uuid4().hex[:8].upper()}")
        await asyncio.wait_for(one(warm), WARM_UP_TIMEOUT)
        latencies.clear()
        clock = Clock(server_binary, worker_pid)
        await asyncio.gather(*(one(p) for p in paths))
        return clock.phase(count, latencies)

    try:
        if args.in_process_workers:
            async with build_worker(client, settings):
                return await clocked(None)
        env = worker_env(
            db_url=db_url, temporal_address=client.service_client.config.target_host, task_queue=queue, var_dir=tmp
        )
        async with _worker_process([sys.executable, "-m", "cli.main", "worker"], env, tmp / "review-worker.log") as pid:
            return await clocked(pid)
    finally:
        engine.dispose()


async def serve_baseline_worker(queue: str, address: str) -> None:
    """The baseline's worker process (--baseline-worker): until SIGTERM."""
    from temporalio.client import Client

    from service.data_converter import data_converter_for

    client = await Client.connect(address, data_converter=data_converter_for())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue=queue, workflows=[BaselineWorkflow], activities=[noop]):
        await stop.wait()


def _line(name: str, latencies: list[float]) -> str:
    ms = [x * 1000 for x in latencies]
    return f"{name}: p50 {percentile(ms, 0.5):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, mean {statistics.mean(ms):.0f} ms (n={len(ms)})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="40 lifecycles each (quick)")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--postgres", default=None, help="review database on this PostgreSQL server URL")
    parser.add_argument(
        "--in-process-workers",
        action="store_true",
        help="run both sides' workers inside this process instead of a process each",
    )
    parser.add_argument("--baseline-worker", metavar="QUEUE", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # The workflow must come from an importable module (not __main__) for the workflow sandbox.
    import workflow_bench as bench

    if args.baseline_worker:
        await bench.serve_baseline_worker(args.baseline_worker, args.address)
        return
    count = args.count or (40 if args.small else 200)
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
    async with env:
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_database("postgres" if args.postgres else "sqlite", Path(tmp)) as url,
        ):
            args.tmp = Path(tmp)
            import_roster(url)
            server = os.path.realpath(temporal_binary())
            base = await bench.run_baseline(env.client, count, args.concurrency, args, server)
            review = await bench.run_reviews(env.client, url, count, args.concurrency, args, server)
    layout = "workers inside this process" if args.in_process_workers else "a worker process each"
    print(
        f"workflow bench: {count} lifecycles each, concurrency {args.concurrency}, "
        f"database {'PostgreSQL' if args.postgres else 'SQLite'}, one in-memory dev server, {layout}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"baseline (1 no-op activity + 1 update): {base.rate:.1f} workflows/s")
    print(f"review lifecycle (submit, pre-check, claim, approve): {review.rate:.1f} lifecycles/s")
    ratio = review.rate / base.rate
    print(f"ratio: {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    print(_line("reviewer action update round trip (claim, approve)", review.latencies))
    print(_line("baseline update round trip", base.latencies))
    # Where the difference comes from: a lifecycle's CPU against the baseline's, per process.
    print(base.cpu_line("baseline"))
    print(review.cpu_line("review lifecycle"))


if __name__ == "__main__":
    asyncio.run(main())
