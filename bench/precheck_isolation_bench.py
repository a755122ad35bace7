"""A reviewer's action on one review while another review's large document is pre-checked (issue 18:
keep heavy checks from starving quick recordings), with the pre-check in the worker's process
(PRECHECK_PROCESSES=0) and in a process pool (1, the production default), on one dev server in the
same run. Reported per side: the comment round trip (update + recording) p50/p95 with no pre-check
running and while the large pre-check runs; then the ratio of the two sides' round trips during the
pre-check (in-process / pool; target: above 1.5, i.e. the pool keeps actions clearly faster).

The driver shares its process with the worker (as the web app would not): in-process, a pre-check
slows the driver's loop as well, which is part of what a shared interpreter costs.

    .venv/bin/python bench/precheck_isolation_bench.py            # a 19 MB document, 40 comments per phase
    .venv/bin/python bench/precheck_isolation_bench.py --small    # 6.4 MB, 15 comments
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio.testing import WorkflowEnvironment

from bench.rules_bench import big_product
from service import reviews
from service.data_converter import data_converter_for
from service.demo import DEMO_DIR, import_demo_roster
from settings import Settings
from store.accounts import seed_demo_accounts
from store.db import make_engine, migrate
from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

REVIEWER, AUTHOR = "GX-02", "HE-01"


def _product(folder: Path, product_id: str, text: str) -> Path:
    path = folder / f"{product_id}.md"
    path.write_text(text.replace("IP-HERON-2025-02", product_id), encoding="utf-8")
    return path


async def _comments(engine, client, product_id: str, n: int) -> list[float]:
    took = []
    for i in range(n):
        start = time.perf_counter()
        await reviews.comment(
            db_engine=engine, client=client, product_id=product_id, text=f"Remark {i}", actor_id=REVIEWER
        )
        took.append(time.perf_counter() - start)
    return took


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else values[0] * 1000


async def side(env, processes: int, big_text: str, comments: int) -> tuple[list[float], list[float], float]:
    from worker import build_worker

    folder = Path(tempfile.mkdtemp(prefix="gcu-precheck-bench-"))
    settings = Settings(
        environment="development",
        database_url=f"sqlite:///{folder / 'bench.db'}",
        var_dir=folder,
        task_queue=f"precheck-bench-{uuid.uuid4().hex[:8]}",
        precheck_processes=processes,
    )
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    import_demo_roster(engine)
    seed_demo_accounts(db_engine=engine)
    s1 = (DEMO_DIR / "products" / "S1-IP-heron.md").read_text(encoding="utf-8")
    async with build_worker(env.client, settings, task_queue=settings.task_queue):
        small = f"IP-BENCH-{uuid.uuid4().hex[:6].upper()}"
        await reviews.submit(
            db_engine=engine, client=env.client, settings=settings, path=_product(folder, small, s1), actor_id=AUTHOR
        )
        await reviews.claim(db_engine=engine, client=env.client, product_id=small, actor_id=REVIEWER)
        # A warm-up: the pool's process loads the rules once, as a worker's does at its first pre-check.
        warm = f"IP-BENCH-{uuid.uuid4().hex[:6].upper()}"
        await reviews.submit(
            db_engine=engine, client=env.client, settings=settings, path=_product(folder, warm, s1), actor_id=AUTHOR
        )
        idle = await _comments(engine, env.client, small, comments)
        big = f"IP-BENCH-{uuid.uuid4().hex[:6].upper()}"
        started = time.perf_counter()
        submitted = asyncio.create_task(
            reviews.submit(
                db_engine=engine,
                client=env.client,
                settings=settings,
                path=_product(folder, big, big_text),
                actor_id=AUTHOR,
                wait_seconds=600,
            )
        )
        await asyncio.sleep(1.0)  # stored and its pre-check started
        loaded = []
        while not submitted.done() and len(loaded) < comments:
            loaded += await _comments(engine, env.client, small, 1)
        await submitted
        precheck_s = time.perf_counter() - started
    engine.dispose()
    return idle, loaded, precheck_s


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    words = 1_000_000 if args.small else 3_000_000
    comments = 15 if args.small else 40
    big_text = big_product(words)
    print(f"large document: {len(big_text.encode()) / 1e6:.1f} MB; {comments} comments per phase")
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter_for(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        dev_server_existing_path=_temporal(),
    )
    during: dict[int, list[float]] = {}
    async with env:
        for processes in (0, 1):
            idle, loaded, precheck_s = await side(env, processes, big_text, comments)
            during[processes] = loaded
            print(
                f"PRECHECK_PROCESSES={processes}: comment p50/p95 idle {_p(idle, 50):.0f}/{_p(idle, 95):.0f} ms, "
                f"during the pre-check {_p(loaded, 50):.0f}/{_p(loaded, 95):.0f} ms ({len(loaded)} comments, "
                f"pre-check {precheck_s:.1f} s)"
            )
    print(
        "during the pre-check, in-process / pool: "
        f"p50 {statistics.median(during[0]) / statistics.median(during[1]):.2f}, "
        f"p95 {_p(during[0], 95) / _p(during[1], 95):.2f}"
    )


def _temporal() -> str:
    beside = Path(sys.prefix) / "bin" / "temporal"
    return str(beside)


if __name__ == "__main__":
    asyncio.run(main())
