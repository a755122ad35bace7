"""The database goes away in the middle of a run (issue 6, Faults): activities retry, nothing is
lost or written twice, every review completes.

- CI (reduced, PostgreSQL via TEST_POSTGRES_URL): the worker reaches PostgreSQL through a TCP proxy
  that the test cuts for 10 s (every connection reset, new ones refused), so the shared server that
  other tests use is never disturbed.
- Soak (GCU_SOAK_FULL=1 only): PostgreSQL itself is stopped for 30 s with pg_ctlcluster and started
  again (in a finally block). The whole machine's server stops, so never in a normal test run.
"""

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.enums import Verdict
from service import reviews
from tests.faults.harness import (
    Lifecycle,
    TcpProxy,
    activity_retries,
    check_database,
    new_lifecycles,
    product_copy,
    run_lifecycles,
    soak_full,
    through_proxy,
    wait_for_pending_activity,
    worker_system,
)

pytestmark = [
    pytest.mark.soak,
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"), reason="needs TEST_POSTGRES_URL"),
]


def _postgres_address() -> tuple[str, int]:
    url = sa.make_url(os.environ["TEST_POSTGRES_URL"])
    return url.host or "127.0.0.1", url.port or 5432


async def _outage(proxy: TcpProxy, client, product_id: str, *, seconds: float) -> None:
    # Cut once the first pre-check runs: every other transition of the run is still to come (a
    # fixed delay let a quick run finish before the outage).
    await wait_for_pending_activity(client, product_id, "precheck")
    await proxy.cut()
    try:
        await asyncio.sleep(seconds)
    finally:
        await proxy.restore()


async def test_worker_rides_out_a_database_outage(temporal_env, tmp_path):
    proxy = TcpProxy(*_postgres_address())
    await proxy.start()
    try:
        async with worker_system(
            "postgres", temporal_env.client, tmp_path, worker_db_url=lambda url: through_proxy(url, proxy)
        ) as (system, _worker):
            lifecycles = new_lifecycles(12, prefix="DBCUT")
            outage = asyncio.create_task(_outage(proxy, system.client, lifecycles[0].product_id, seconds=10))
            await asyncio.wait_for(run_lifecycles(system, lifecycles, concurrency=12), timeout=300)
            await outage
            report = check_database(system.engine, lifecycles)
            retried = await activity_retries(system.client, [lc.product_id for lc in lifecycles])
    finally:
        await proxy.close()
    report.assert_clean()
    assert sum(retried.values()) > 0, "no activity was retried: the outage did not hit the run"
    print(f"\nproxy outage 10 s: activity retries {dict(retried)}, {report.decisions} decisions")


async def test_a_precheck_during_a_20_second_outage_keeps_its_real_verdict(temporal_env, tmp_path):
    proxy = TcpProxy(*_postgres_address())
    await proxy.start()
    try:
        async with worker_system(
            "postgres", temporal_env.client, tmp_path, worker_db_url=lambda url: through_proxy(url, proxy)
        ) as (system, _worker):
            lc = Lifecycle(product_id=f"DBCUT-{os.urandom(4).hex().upper()}", script="dismiss_and_approve")
            path = product_copy(system.tmp, "S5-CS-kestrel.md", product_id=lc.product_id)
            await reviews.submit(
                db_engine=system.engine,
                client=system.client,
                settings=system.settings,
                path=path,
                actor_id="KE-01",
                wait_seconds=0,
            )
            # The worker loads the rules engine on its first pre-check (about a second): cut then.
            await wait_for_pending_activity(system.client, lc.product_id, "precheck")
            await proxy.cut()
            await _precheck_attempts_at_least(system.client, lc.product_id, 2)  # it has met the outage
            await asyncio.sleep(20)
            await proxy.restore()
            settled = await reviews.wait_for_precheck(client=system.client, product_id=lc.product_id, timeout=120)
    finally:
        await proxy.close()
    assert settled is not None
    assert settled.verdict == Verdict.REVISE, f"verdict {settled.verdict} after the outage"


async def _precheck_attempts_at_least(client, product_id: str, attempts: int, timeout: float = 60) -> None:
    handle = client.get_workflow_handle(reviews.workflow_id_for(product_id))
    for _ in range(int(timeout / 0.2)):
        description = await handle.describe()
        if any(
            p.activity_type.name == "precheck" and p.attempt >= attempts
            for p in description.raw_description.pending_activities
        ):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"the pre-check of {product_id} did not reach attempt {attempts}")


def _pg_ctl(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True, timeout=120)


def _wait_for_postgres(timeout: float = 60) -> None:
    host, port = _postgres_address()
    subprocess.run(
        [
            "bash",
            "-c",
            f"for i in $(seq {int(timeout)}); do pg_isready -h {host} -p {port} -q && exit 0; sleep 1; done; exit 1",
        ],
        check=True,
    )


@pytest.mark.skipif(not soak_full(), reason="stops the machine's PostgreSQL: GCU_SOAK_FULL=1 only")
async def test_worker_rides_out_postgresql_stopped_for_30_seconds(temporal_env, tmp_path):
    async with worker_system("postgres", temporal_env.client, tmp_path) as (system, _worker):
        lifecycles = new_lifecycles(40, prefix="PGSTOP")

        async def stop_and_start() -> None:
            await asyncio.sleep(5)
            try:
                await asyncio.to_thread(_pg_ctl, "stop")
                await asyncio.sleep(30)
            finally:
                await asyncio.to_thread(_pg_ctl, "start")
                await asyncio.to_thread(_wait_for_postgres)

        outage = asyncio.create_task(stop_and_start())
        try:
            # The test's own client also loses the database: its actions retry like the worker's.
            await asyncio.wait_for(run_lifecycles(system, lifecycles, concurrency=20), timeout=900)
        finally:
            await outage
        system.engine.dispose()
        report = check_database(system.engine, lifecycles)
        retried = await activity_retries(system.client, [lc.product_id for lc in lifecycles])
    report.assert_clean()
    assert sum(retried.values()) > 0
    print(f"\nPostgreSQL stopped 30 s: activity retries {dict(retried)}, {report.decisions} decisions")
