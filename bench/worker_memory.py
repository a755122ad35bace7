"""Worker memory over 1,000 review lifecycles (issue 6: no growth between the 1st and the 10th
hundred).

The worker runs as its own process (`python -m cli.main worker`, as in production) on an in-memory
dev server and an SQLite (or PostgreSQL) database; this script drives lifecycles (submit,
pre-check, claim, dismiss the major finding, approve) through service/reviews.py and reads the
worker's resident set size (VmRSS from /proc) after each hundred.

    .venv/bin/python bench/worker_memory.py            # 1,000 lifecycles
    .venv/bin/python bench/worker_memory.py --small    # 300 lifecycles (quick)
    --postgres URL: the database on PostgreSQL instead of SQLite
"""

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio.testing import WorkflowEnvironment

from models.enums import DecisionKind, ReviewState
from service import reviews
from service.data_converter import data_converter_for
from service.devserver import temporal_binary
from tests.faults.harness import System, product_copy, worker_system
from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS

BATCH = 100


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def lifecycle(system: System) -> None:
    pid = f"MEM-{uuid.uuid4().hex[:10].upper()}"
    path = product_copy(system.tmp, "S2-IO-child-compliant.md", product_id=pid)
    done = await reviews.submit(
        db_engine=system.engine,
        client=system.client,
        settings=system.settings,
        path=path,
        actor_id="HE-01",
        wait_seconds=120,
    )
    assert done.status is not None and done.status.state == ReviewState.QUEUED, done
    await reviews.claim(db_engine=system.engine, client=system.client, product_id=pid, actor_id="GX-02")
    # Contract v2: S2's major finding VUL-INT-02 must be dismissed before approval.
    await reviews.dismiss(
        db_engine=system.engine,
        client=system.client,
        product_id=pid,
        rule_id="VUL-INT-02",
        reason="asked by the psychologist",
        actor_id="GX-02",
    )
    approved = await reviews.decide(
        db_engine=system.engine,
        client=system.client,
        product_id=pid,
        decision=DecisionKind.APPROVE,
        reason=None,
        actor_id="GX-02",
    )
    assert approved.state == ReviewState.APPROVED
    path.unlink()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="300 lifecycles")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    count = args.count or (300 if args.small else 1000)
    if args.postgres:
        os.environ["TEST_POSTGRES_URL"] = args.postgres
    kind = "postgres" if args.postgres else "sqlite"

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=data_converter_for(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
    )
    async with env:
        with tempfile.TemporaryDirectory() as tmp:
            async with worker_system(kind, env.client, Path(tmp)) as (system, worker):
                await lifecycle(system)  # warm-up: the worker loads the rule packs
                rows = [(0, rss_mib(worker.pid))]
                print(f"worker pid {worker.pid}, RSS after warm-up {rows[0][1]:.1f} MiB")
                gate = asyncio.Semaphore(args.concurrency)

                async def one() -> None:
                    async with gate:
                        await lifecycle(system)

                for done in range(BATCH, count + 1, BATCH):
                    await asyncio.gather(*(one() for _ in range(BATCH)))
                    rows.append((done, rss_mib(worker.pid)))
                    print(f"after {done:5d} lifecycles: worker RSS {rows[-1][1]:7.1f} MiB", flush=True)
    first, last = rows[1][1], rows[-1][1]
    print(f"growth between the 1st and the last hundred: {last - first:+.1f} MiB ({(last / first - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    asyncio.run(main())
