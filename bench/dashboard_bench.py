"""The review queue while Deputy Prosecutors load dashboards, on a large register (issue 15: with
50,000 people, two dashboards at once held a reviewer's /api/queue for 15.4 s).

- setup: a fresh migrated SQLite database, the demo register and accounts, PEOPLE more team members
  each with two certificates (one lapsed, so every one of them has a gap), REVIEWS open reviews;
  the web app served by `gcu-review web` in a subprocess on a free port (Temporal is not needed).
- baseline: a GCU reviewer's GET /api/queue, REQUESTS times one after the other, nothing else running.
- loaded: the same, while two Deputy Prosecutor clients load GET /api/dashboard in a loop.
- reported: queue p50/p95 for both phases and their ratio (the target: loaded p95 within a small
  multiple of the baseline, not seconds), and the dashboard's time and size.

    .venv/bin/python bench/dashboard_bench.py                # 50,000 people, 2,000 reviews
    .venv/bin/python bench/dashboard_bench.py --small        # 5,000 people, 500 reviews
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.web_bench import api_token, free_port, percentile, seed_reviews, start_server


def seed_people(engine, count: int) -> None:
    """`count` investigators of T-HERON, each with a valid and a lapsed certificate."""
    from models.tables import Certification, Staff, TeamMember

    today = date.today()
    with engine.begin() as conn:
        for start in range(0, count, 2000):
            ids = [f"BP-{i:06d}" for i in range(start, min(count, start + 2000))]
            conn.execute(
                Staff.__table__.insert(),
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
            conn.execute(
                TeamMember.__table__.insert(),
                [dict(team_id="T-HERON", staff_id=s, position=100 + n) for n, s in enumerate(ids)],
            )
            conn.execute(
                Certification.__table__.insert(),
                [
                    dict(
                        staff_id=s, cert=cert, issued=today - timedelta(days=900), expires=today + timedelta(days=days)
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


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} n={len(values):<4} p50={percentile(values, 0.50) * 1000:8.1f} ms  "
        f"p95={percentile(values, 0.95) * 1000:8.1f} ms  mean={statistics.mean(values) * 1000:8.1f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    from service.demo import import_demo_roster
    from settings import Settings
    from store.db import make_engine, migrate
    from web.accounts import seed_demo_accounts

    tmp = Path(tempfile.mkdtemp(prefix="gcu-dash-bench-"))
    settings = Settings(
        environment="development",
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        var_dir=tmp,
        secret_key="bench-" + uuid.uuid4().hex,
        task_queue="dash-bench",
    )
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    import_demo_roster(engine)
    seed_demo_accounts(db_engine=engine)
    t0 = time.perf_counter()
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
        baseline = await _queue_latencies(base, reviewer, args.requests)
        stop, seen = asyncio.Event(), []
        loaders = [asyncio.create_task(_dashboards(base, deputy, stop, seen)) for _ in range(2)]
        await asyncio.sleep(0.5)
        loaded = await _queue_latencies(base, reviewer, args.requests)
        stop.set()
        await asyncio.gather(*loaders)
    finally:
        await server.stop()
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
    parser.add_argument("--small", action="store_true", help="5,000 people, 500 reviews, 40 requests")
    args = parser.parse_args()
    if args.small:
        args.people, args.reviews, args.requests = 5_000, 500, 40
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
