"""The web server's CPU per page, builds side by side (issue 13): with 20 clients in a closed loop,
p95 is about 20 / throughput, so what a page costs the server's cores is the lever, and it is a
steadier figure than p95 on a shared machine.

One database (SQLite file or a new PostgreSQL database) seeded as bench/web_bench.py does (10k
open reviews, the demo register and accounts); then, round after round, each build given serves it
from `gcu-review web` while wrk sends GET /queue, /my-reviews and the baseline /healthz over 20
keep-alive connections of one signed-in GCU reviewer. For each phase: the user + system CPU of the
web processes and of PostgreSQL's backends for this database (/proc/PID/stat before and after)
divided by the requests served, and wrk's p95 and rate, with the load average at the start.

    .venv/bin/python bench/web_cpu.py BUILD [BUILD ...]            # SQLite, 3 rounds of 12 s phases
    --postgres postgresql://postgres@127.0.0.1:5432/postgres       # on PostgreSQL
    BUILD: a source tree with its .venv (e.g. `git archive <commit> | tar -x -C /tmp/old`, then a
    .venv link), optionally `:NAME=VALUE` environment for its server (`:WEB_THREADS=3`), and
    `:W=N` for N web processes (`gcu-review web --workers N`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg
import sqlalchemy as sa

from bench.web_bench import _WRK_REPORT, REVIEWER, free_port, seed_reviews, sign_in

TICK = os.sysconf("SC_CLK_TCK")
PATHS = ["/queue", "/my-reviews", "/healthz"]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def process_tree(pid: int) -> list[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [pid, *(p for child in children.split() for p in process_tree(int(child)))]


def backends(url: str, admin_url: str | None) -> list[int]:
    if admin_url is None:
        return []
    with psycopg.connect(admin_url, autocommit=True) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (sa.make_url(url).database,))
        return [pid for (pid,) in rows]


def wrk(base: str, path: str, cookie: str, seconds: float, script: Path) -> tuple[int, float, float]:
    """(requests, p95 in ms, requests per second)"""
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", "20", "-d", f"{seconds:.0f}s", "--timeout", "30s", "-s", str(script)]
        + ["-H", f"Cookie: {cookie}", base + path],
        capture_output=True,
        text=True,
    ).stdout
    report = next((line.split()[1:] for line in out.splitlines() if line.startswith("WRK ")), None)
    if report is None:
        raise RuntimeError(f"wrk failed: {out[-500:]}")
    count, duration_us, errors, _p50, p95, _p99, _mean = (int(x) for x in report)
    if errors:
        raise RuntimeError(f"{errors} errors on {path}")
    return count, p95 / 1000, count / (duration_us / 1e6)


async def measure(build: str, url: str, admin_url: str | None, tmp: Path, args, script: Path, results: dict) -> None:
    tree, *extra = build.split(":")
    name = Path(tree).name + "".join(f",{e}" for e in extra)
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp),
        "SECRET_KEY": "web-bench-secret-key-not-for-production",
        "TEMPORAL_ADDRESS": "127.0.0.1:1",  # the pages read the database only
        **dict(e.split("=", 1) for e in extra),
    }
    workers = env.pop("W", "1")
    port = free_port()
    server = subprocess.Popen(
        [f"{tree}/.venv/bin/python", "-c", "from cli.main import main; main()", "web"]
        + ["--host", "127.0.0.1", "--port", str(port), "--workers", workers],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in range(300):
                try:
                    if (await client.get("/livez")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            await sign_in(client, REVIEWER[0])
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        for path in PATHS[:2]:
            wrk(base, path, cookie, 2, script)  # warm-up: templates compiled, pool filled
        for path in PATHS:
            web, db = process_tree(server.pid), backends(url, admin_url)
            before = {pid: cpu_seconds(pid) for pid in web + db}
            load = os.getloadavg()[0]
            count, p95, rate = wrk(base, path, cookie, args.seconds, script)
            db = sorted(set(db) | set(backends(url, admin_url)))
            web_ms = sum(cpu_seconds(p) - before.get(p, 0.0) for p in web) / count * 1000
            db_ms = sum(cpu_seconds(p) - before.get(p, 0.0) for p in db) / count * 1000
            results.setdefault((path, name), []).append((web_ms, db_ms, p95, rate, load))
            print(
                f"{name:>20} {path:<12} web {web_ms:5.2f} ms + database {db_ms:5.2f} ms a request, "
                f"p95 {p95:6.1f} ms, {rate:6.1f}/s, load {load:.1f}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(30)


async def run(args) -> None:
    from service.demo import import_demo_roster
    from store.accounts import seed_demo_accounts
    from store.db import make_engine
    from tests.dbutil import _libpq_url, fresh_database

    kind = "postgres" if args.postgres else "sqlite"
    if args.postgres:
        os.environ["TEST_POSTGRES_URL"] = args.postgres
    admin_url = _libpq_url(args.postgres) if args.postgres else None
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp_name, fresh_database(kind, Path(tmp_name)) as url:
        tmp = Path(tmp_name)
        script = tmp / "report.lua"
        script.write_text(_WRK_REPORT)
        engine = make_engine(url)
        import_demo_roster(engine)
        seed_demo_accounts(db_engine=engine)
        seed_reviews(engine, args.reviews)
        if kind == "postgres":  # as web_bench: what autovacuum does soon after such a load
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE review, product")
        engine.dispose()
        for _ in range(args.rounds):
            for build in args.builds:
                await measure(build, url, admin_url, tmp, args, script, results)
    print(f"\n{kind}, {args.reviews} open reviews, 20 connections: medians of {args.rounds} rounds")
    for (path, name), rows in sorted(results.items()):
        web, db, p95, rate = (statistics.median(r[i] for r in rows) for i in range(4))
        each = ", ".join(f"{r[2]:.0f}" for r in rows)
        print(f"{name:>20} {path:<12} web {web:5.2f} + database {db:5.2f} ms, p95 {p95:6.1f} ms ({each}), {rate:.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("builds", nargs="+", help="source trees, each with its .venv (and :NAME=VALUE options)")
    parser.add_argument("--postgres", default=None, help="PostgreSQL server URL (a new database is created there)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each wrk phase")
    parser.add_argument("--reviews", type=int, default=10_000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
