"""The review queue while Deputy Prosecutors load dashboards, on a large register (issue 15: with
50,000 people, two dashboards at once held a reviewer's /api/queue for 15.4 s).

- setup: a fresh migrated database (SQLite; PostgreSQL with --postgres URL: a database is made and
  dropped), the demo register and accounts, PEOPLE more team members each with two certificates
  (one lapsed, so every one of them has a gap; --varied: varied roles, designations and records),
  REVIEWS open reviews; the web app served by
  `gcu-review web` in a subprocess on a free port (Temporal is not needed).
- alone: the Deputy Prosecutor's GET /api/dashboard and GET /api/certifications, a few times each,
  nothing else running: time and size.
- baseline: a GCU reviewer's GET /api/queue, REQUESTS times one after the other, nothing else running.
- loaded: the same, while two Deputy Prosecutor clients load GET /api/dashboard in a loop.
- reported: queue p50/p95 for both phases and their ratio (the target: loaded p95 within a small
  multiple of the baseline, not seconds), and the dashboard's time and size.

    .venv/bin/python bench/dashboard_bench.py                # 50,000 people, 2,000 reviews
    .venv/bin/python bench/dashboard_bench.py --small        # 5,000 people, 500 reviews
    .venv/bin/python bench/dashboard_bench.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.web_bench import api_token, free_port, percentile, seed_reviews, start_server


def seed_people(engine, count: int) -> None:
    """`count` investigators of T-HERON, each with a valid and a lapsed certificate."""
    from bench.register_data import bulk_insert
    from models.tables import Certification, Staff, TeamMember

    today = date.today()
    with engine.begin() as conn:
        for start in range(0, count, 2000):
            ids = [f"BP-{i:06d}" for i in range(start, min(count, start + 2000))]
            bulk_insert(
                conn,
                Staff.__table__,
                [
                    dict(
                        id=s,
                        name=f"Bench person {s}",
                        roles=["investigator"],
                        designations=[],
                        home_team_id="T-HERON",
                        active=True,
                    )
                    for s in ids
                ],
            )
            bulk_insert(
                conn,
                TeamMember.__table__,
                [dict(team_id="T-HERON", staff_id=s, position=100 + n) for n, s in enumerate(ids)],
            )
            now = datetime.now(UTC)
            bulk_insert(
                conn,
                Certification.__table__,
                [
                    dict(
                        staff_id=s,
                        cert=cert,
                        issued=today - timedelta(days=900),
                        expires=today + timedelta(days=days),
                        source="import",
                        created_at=now,
                        updated_at=now,
                    )
                    for s in ids
                    for cert, days in (("SGBC_BASIC", 400), ("CAC_BASIC", -30))
                ],
            )


class _FakeTemporalEnv:
    class client:
        class service_client:
            class config:
                target_host = "127.0.0.1:1"


async def _queue_latencies(base: str, token: str, requests: int) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get("/api/queue?limit=50")
            out.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return out


async def _dashboards(base: str, token: str, stop: asyncio.Event, seen: list[tuple[float, int]]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get("/api/dashboard")
            seen.append((time.perf_counter() - started, len(response.content)))
            assert response.status_code == 200, response.text


async def _alone(base: str, token: str, path: str, times: int) -> tuple[list[float], int]:
    """`path` requested `times` times, one after the other: the times, and the largest body's size."""
    out, size = [], 0
    async with httpx.AsyncClient(base_url=base, timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(times):
            started = time.perf_counter()
            response = await client.get(path)
            out.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            size = max(size, len(response.content))
    return out, size


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} n={len(values):<4} p50={percentile(values, 0.50) * 1000:8.1f} ms  "
        f"p95={percentile(values, 0.95) * 1000:8.1f} ms  mean={statistics.mean(values) * 1000:8.1f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    import os

    from tests.dbutil import POSTGRES_ENV, fresh_database

    tmp = Path(tempfile.mkdtemp(prefix="gcu-dash-bench-"))
    if args.postgres:
        os.environ[POSTGRES_ENV] = args.postgres
    with fresh_database("postgres" if args.postgres else "sqlite", tmp) as url:
        await _run(args, tmp, url)


async def _run(args: argparse.Namespace, tmp: Path, database_url: str) -> None:
    from service.demo import import_demo_roster
    from settings import Settings
    from store.accounts import seed_demo_accounts
    from store.db import make_engine

    settings = Settings(
        environment="development",
        database_url=database_url,
        var_dir=tmp,
        secret_key="bench-" + uuid.uuid4().hex,
        task_queue="dash-bench",
    )
    engine = make_engine(settings.database_url)
    import_demo_roster(engine)
    seed_demo_accounts(db_engine=engine)
    t0 = time.perf_counter()
    if args.varied:
        from bench.register_data import seed_varied_register

        seed_varied_register(engine, args.people, on=date.today())
    else:
        seed_people(engine, args.people)
    seed_reviews(engine, args.reviews)
    print(f"seeded {args.people} people and {args.reviews} reviews in {time.perf_counter() - t0:.1f} s")
    reviewer, deputy = api_token(engine, "gcu.albrecht"), api_token(engine, "dp.marsh")
    port = free_port()
    server = await start_server(
        argparse.Namespace(in_process=False, web_workers=1), settings, engine, _FakeTemporalEnv, port
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _queue_latencies(base, reviewer, 5)  # warm up
        dashboard_alone, dashboard_size = await _alone(base, deputy, "/api/dashboard", args.alone)
        register_alone, register_size = await _alone(base, deputy, "/api/certifications", args.alone)
        baseline = await _queue_latencies(base, reviewer, args.requests)
        stop, seen = asyncio.Event(), []
        loaders = [asyncio.create_task(_dashboards(base, deputy, stop, seen)) for _ in range(2)]
        await asyncio.sleep(0.5)
        loaded = await _queue_latencies(base, reviewer, args.requests)
        stop.set()
        await asyncio.gather(*loaders)
    finally:
        await server.stop()
        engine.dispose()
    print(f"{'postgres' if args.postgres else 'sqlite'}, {args.people:,} people, {args.reviews:,} reviews")
    # The first dashboard judges the register; the next ones find KPI 12 and the gaps kept until it
    # changes (store/register_cache.py).
    print(f"{'dashboard (DP), first':<34} {dashboard_alone[0] * 1000:8.1f} ms (the register judged)")
    print(_line("dashboard (DP), alone, then", dashboard_alone[1:]) + f"  size={dashboard_size / 1024:.0f} KiB")
    print(_line("certifications (DP), alone", register_alone) + f"  size={register_size / 1024:.0f} KiB")
    print(_line("queue, nothing else", baseline))
    print(_line("queue, two dashboards loading", loaded))
    print(f"loaded/baseline p95 ratio: {percentile(loaded, 0.95) / percentile(baseline, 0.95):.1f}")
    if seen:
        times = [t for t, _ in seen]
        print(_line("dashboard (DP, 2 at once)", times) + f"  size={max(s for _, s in seen) / 1024:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--reviews", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--alone", type=int, default=5, help="dashboard and register requests, alone")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made and dropped)")
    parser.add_argument("--small", action="store_true", help="5,000 people, 500 reviews, 40 requests")
    parser.add_argument(
        "--varied", action="store_true", help="people with varied roles and records (bench/register_data.py)"
    )
    args = parser.parse_args()
    if args.small:
        args.people, args.reviews, args.requests = 5_000, 500, 40
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
