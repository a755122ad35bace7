"""Where a reviewer's action spends its time (issue 14): one process holding the driver and the
review worker, review lifecycles run one at a time, each action split into spans.

Spans of the service layer (service/reviews.py): the actor read from the register, the update's
round trip, what is done with its answer (the history read). Inside the update's round trip, the
worker's recording (activities/review.py `_record_transitions`): its reads (earlier events, the
product, the register, version numbers, recipients) and its write transaction (of which the audit
chain's append). SQL statements are counted per span. A bare update (bench/baseline_workflows.py)
runs in the same process for comparison.

    PYTHONPATH=. .venv/bin/python bench/action_profile.py [--count 20] [--postgres URL] [--cprofile FILE]

A profile, not a benchmark: the workers share this process, and the figures are per span means.
"""

import argparse
import asyncio
import contextlib
import contextvars
import cProfile
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from baseline_workflows import BaselineWorkflow, noop
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

_span: contextvars.ContextVar[str] = contextvars.ContextVar("span", default="other")
DURATIONS: dict[str, list[float]] = defaultdict(list)
CPU: dict[str, float] = defaultdict(float)  # thread CPU seconds of the synchronous spans
STATEMENTS: dict[str, int] = defaultdict(int)


@contextlib.contextmanager
def span(name: str) -> Iterator[None]:
    token = _span.set(name)
    start, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        DURATIONS[name].append(time.perf_counter() - start)
        CPU[name] += time.thread_time() - cpu
        _span.reset(token)


def _count_statement(*_args: Any) -> None:
    STATEMENTS[_span.get()] += 1


def _wrap_sync(owner: Any, name: str, label: str, static: bool = False) -> None:
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with span(label):
            return original(*args, **kwargs)

    setattr(owner, name, staticmethod(wrapped) if static else wrapped)


def _wrap_async(owner: Any, name: str, label: Callable[..., str]) -> None:
    original = getattr(owner, name)

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        with span(label(*args, **kwargs)):
            return await original(*args, **kwargs)

    setattr(owner, name, wrapped)


def instrument() -> None:
    from activities import review as review_activities
    from service import review_history, reviews
    from store import audit

    sa.event.listen(sa.Engine, "before_cursor_execute", _count_statement)
    _wrap_sync(reviews, "resolve_actor", "service: actor read")
    _wrap_sync(reviews, "recorded_history", "service: history read")
    _wrap_sync(review_history, "earlier_transitions", "service: earlier runs read")
    _wrap_async(WorkflowHandle, "execute_update", lambda _h, name, *a, **k: f"update round trip ({name})")
    _wrap_async(WorkflowHandle, "query", lambda _h, name, *a, **k: f"query ({name})")
    cls = review_activities.ReviewActivities
    _wrap_sync(cls, "_record_transitions", "worker: recording (all)")
    _wrap_sync(cls, "_write_transitions", "worker: recording write txn")
    _wrap_sync(audit, "append_event", "worker: audit append (in write txn)")
    _wrap_sync(cls, "_precheck", "worker: pre-check activity")


async def lifecycle(common: dict, settings, path: Path, i: int, timings: dict[str, list[float]]) -> None:
    from models.enums import DecisionKind
    from service import reviews

    async def timed(name: str, awaitable):
        start = time.perf_counter()
        result = await awaitable
        timings[name].append(time.perf_counter() - start)
        return result

    submitted = await timed(
        "submit", reviews.submit(**common, settings=settings, path=path, actor_id="HE-01", wait_seconds=60)
    )
    pid = submitted.product_id
    await timed("claim", reviews.claim(**common, product_id=pid, actor_id="GX-02"))
    await timed(
        "dismiss",
        reviews.dismiss(
            **common, product_id=pid, rule_id="VUL-INT-02", reason="asked by the psychologist", actor_id="GX-02"
        ),
    )
    if i % 2 == 0:
        await timed(
            "approve",
            reviews.decide(**common, product_id=pid, decision=DecisionKind.APPROVE, reason=None, actor_id="GX-02"),
        )
    else:
        await timed(
            "return",
            reviews.decide(
                **common, product_id=pid, decision=DecisionKind.RETURN, reason="add the date", actor_id="GX-02"
            ),
        )
        await timed("withdraw", reviews.withdraw(**common, product_id=pid, reason="replaced", actor_id="HE-01"))


def _mean_ms(values: list[float]) -> str:
    return f"{statistics.mean(values) * 1000:7.1f}" if values else "      -"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--cprofile", default=None, help="write a cProfile of the measured lifecycles here")
    args = parser.parse_args()
    if args.postgres:
        os.environ["TEST_POSTGRES_URL"] = args.postgres
    from service.data_converter import data_converter_for
    from service.devserver import temporal_binary
    from settings import Settings
    from store.db import make_engine
    from tests.dbutil import fresh_database
    from tests.faults.harness import import_roster, product_copy
    from worker import build_worker
    from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

    instrument()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=data_converter_for(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
    )
    async with env:
        client = env.client
        with (
            tempfile.TemporaryDirectory() as tmp_dir,
            fresh_database("postgres" if args.postgres else "sqlite", Path(tmp_dir)) as url,
        ):
            tmp = Path(tmp_dir)
            import_roster(url)
            queue = f"profile-{uuid.uuid4().hex[:6]}"
            settings = Settings(database_url=url, task_queue=queue, var_dir=tmp)
            engine = make_engine(url)
            common = {"db_engine": engine, "client": client}
            tag = uuid.uuid4().hex[:6].upper()
            paths = {
                i: product_copy(tmp, "S2-IO-child-compliant.md", product_id=f"PROF-{tag}-{i + 2}")
                for i in range(-2, args.count)
            }
            timings: dict[str, list[float]] = defaultdict(list)
            bare: list[float] = []
            async with (
                build_worker(client, settings),
                Worker(client, task_queue=queue + "-bare", workflows=[BaselineWorkflow], activities=[noop]),
            ):
                for i in (-2, -1):  # warm-up
                    await lifecycle(common, settings, paths[i], i, defaultdict(list))
                DURATIONS.clear()
                STATEMENTS.clear()
                CPU.clear()
                profiler = cProfile.Profile() if args.cprofile else None
                if profiler:
                    profiler.enable()
                for i in range(args.count):
                    await lifecycle(common, settings, paths[i], i, timings)
                    handle = await client.start_workflow(
                        "BenchBaselineWorkflow", id=f"{queue}-bare-{i}", task_queue=queue + "-bare"
                    )
                    await asyncio.sleep(0.3)  # its activity has run
                    start = time.perf_counter()
                    await handle.execute_update("approve", result_type=str)
                    bare.append(time.perf_counter() - start)
                    await handle.result()
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(args.cprofile)
            engine.dispose()
    actions = [x for name in ("claim", "dismiss", "approve", "return") for x in timings[name]]
    print(
        f"action profile: {args.count} lifecycles one at a time, {'PostgreSQL' if args.postgres else 'SQLite'}, in-process worker"
    )
    print(f"load: {os.getloadavg()}")
    print()
    print("| call | mean ms | p50 ms | n |")
    print("|---|---|---|---|")
    for name, values in [*timings.items(), ("(reviewer actions)", actions), ("bare update", bare)]:
        print(f"| {name} | {_mean_ms(values)} | {statistics.median(values) * 1000:7.1f} | {len(values)} |")
    print()
    print("| span | mean ms | total ms | n | SQL statements | per call | thread CPU ms per call |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(set(DURATIONS) | set(STATEMENTS)):
        values = DURATIONS.get(name, [])
        n = len(values) or 1
        print(
            f"| {name} | {_mean_ms(values)} | {sum(values) * 1000:8.0f} | {len(values)} | {STATEMENTS.get(name, 0)} "
            f"| {STATEMENTS.get(name, 0) / n:.1f} | {CPU.get(name, 0) / n * 1000:.1f} |"
        )
    print("(nested spans: a statement counts in the innermost; async spans' CPU is the event loop's, not theirs)")


if __name__ == "__main__":
    asyncio.run(main())
