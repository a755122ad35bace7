"""SIGKILL the worker process mid-review (issue 6, Faults).

The chaos run is reduced by default (20 lifecycles, 5 kills per database); GCU_SOAK_FULL=1 runs
the full size (200 lifecycles, 50 kills). Afterwards every lifecycle has completed and the
database holds exactly what the workflows did: one Decision per decision, one audit event per
transition of each workflow's history (and an intact chain), no duplicated finding or
notification, no stray product version.
"""

import asyncio
import random
import time
import uuid

import pytest

from service import reviews
from tests.dbutil import database_kinds
from tests.faults.harness import (
    Lifecycle,
    activity_retries,
    chaos_monkey,
    check_database,
    new_lifecycles,
    product_copy,
    run_lifecycles,
    soak_full,
    wait_for_pending_activity,
    worker_system,
)

pytestmark = pytest.mark.soak


@pytest.mark.parametrize("kind", database_kinds())
async def test_worker_sigkills_lose_and_duplicate_nothing(kind, temporal_env, tmp_path):
    count, kills, concurrency = (200, 50, 20) if soak_full() else (20, 5, 10)
    rng = random.Random(uuid.uuid4().int)
    started = time.monotonic()
    async with worker_system(kind, temporal_env.client, tmp_path) as (system, worker):
        lifecycles = new_lifecycles(count)
        stop = asyncio.Event()
        monkey = asyncio.create_task(chaos_monkey(worker, kills=kills, window=(1.0, 4.0), stop=stop, rng=rng))
        try:
            await asyncio.wait_for(run_lifecycles(system, lifecycles, concurrency=concurrency), timeout=1800)
            # A run quicker than the monkey's kills: more reviews until it has made them all, so
            # every kill lands on work in flight (a fixed-size run could end before the kills).
            while not monkey.done():
                more = new_lifecycles(concurrency)
                lifecycles += more
                await asyncio.wait_for(run_lifecycles(system, more, concurrency=concurrency), timeout=600)
        finally:
            stop.set()
            await monkey
        report = check_database(system.engine, lifecycles)
        retried = await activity_retries(system.client, [lc.product_id for lc in lifecycles])
    assert worker.kills >= min(kills, 3), f"only {worker.kills} kills happened: the run ended too early"
    report.assert_clean()
    assert report.decisions == sum(len(lc.decisions) for lc in lifecycles)
    print(
        f"\n{kind}: {len(lifecycles)} lifecycles, {worker.kills} kills in {time.monotonic() - started:.0f} s, "
        f"{sum(lc.retries for lc in lifecycles)} client retries, activity retries {dict(retried)}, "
        f"{report.decisions} decisions, {report.audit_events} audit events, {report.notifications} notifications"
    )


# Bound for a review whose worker died in the middle of the pre-check: a restarted worker's
# sticky-queue timeout (10 s) plus a worker start, with room to spare. Without a heartbeat the
# pre-check attempt is only retried when its start-to-close timeout (5 min) runs out.
PRECHECK_RECOVERY_SECONDS = 40


async def test_a_precheck_cut_short_by_a_crash_is_retried_promptly(temporal_env, tmp_path):
    async with worker_system("sqlite", temporal_env.client, tmp_path) as (system, worker):
        lc = Lifecycle(product_id=f"CRASH-{uuid.uuid4().hex[:8].upper()}", script="dismiss_and_approve")
        path = product_copy(system.tmp, "S5-CS-kestrel.md", product_id=lc.product_id)
        await reviews.submit(
            db_engine=system.engine,
            client=system.client,
            settings=system.settings,
            path=path,
            actor_id="KE-01",
            wait_seconds=0,
        )
        await wait_for_pending_activity(system.client, lc.product_id, "precheck")
        worker.kill()
        worker.start()
        killed_at = time.monotonic()
        settled = await reviews.wait_for_precheck(
            client=system.client, product_id=lc.product_id, timeout=PRECHECK_RECOVERY_SECONDS
        )
        assert settled is not None, (
            f"the pre-check did not finish within {PRECHECK_RECOVERY_SECONDS} s of the crash "
            f"(started {time.monotonic() - killed_at:.0f} s ago)"
        )
        assert settled.state == "queued"
