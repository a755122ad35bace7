"""KPI 10/11/12 timings on PostgreSQL at growing sizes (issue 4: target < 0.5 s each at 200k
products and 20k staff, growing sub-linearly).

Each size gets its own database (created, migrated, loaded with COPY, analysed, dropped), with
products spread over eight quarters, one staff member per ten products (20k at 200k), teams of 50,
one KPI 11 unit per product. Each KPI is timed for one quarter (KPI 11: one year), best of 3 after a
warm-up; the table shows the growth ratio against the previous size (the baseline of this run).

    .venv/bin/python bench/kpi_bench.py            # 2k, 20k, 200k products
    .venv/bin/python bench/kpi_bench.py --small    # 200, 2k (quick)
    TEST_POSTGRES_URL=postgresql://... overrides the server (default postgresql://postgres@127.0.0.1:5432/postgres)
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from store.db import make_engine, migrate, normalize_url
from store.kpi.kpi10 import compute_kpi10
from store.kpi.kpi11 import compute_kpi11
from store.kpi.kpi12 import compute_kpi12
from store.kpi.periods import parse_period
from store.register_cache import forget_all

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START = dt.date(2025, 1, 1)
QUARTERS = 8
TYPES = ["IP", "IO", "CH", "CS", "MP", "AP", "GA"]
ROLES = [
    "investigator",
    "analyst",
    "trial_lawyer",
    "team_leader",
    "focal_point",
    "interpreter",
    "note_taker",
    "gcu_reviewer",
]
CERTS = ["SGBC_BASIC", "SGBC_ADV", "CAC_BASIC", "CAC_ADV"]
OUTCOMES = ["granted", "granted", "declined", "withdrawn", "recharacterised", "pending", "presented"]
STAGES = ["AWA", "DCC", "TRIAL"]


def libpq(url: str) -> str:
    return sa.make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def bench_database(server_url: str):
    name = f"gcu_kpi_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq(server_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = sa.make_url(normalize_url(server_url)).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(libpq(server_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy(conn, table: str, columns: list[str], rows) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def load(url: str, products: int, rng: random.Random) -> None:
    staff_n = max(products // 10, 20)
    team_n = max(staff_n // 50, 2)
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(libpq(url)) as conn:
        teams = [f"T{t:05d}" for t in range(team_n)]
        copy(
            conn,
            "team",
            ["id", "name", "situation", "leader_id", "active"],
            ((t, t, f"Situation {i % 12}", f"P{i * 50:06d}", True) for i, t in enumerate(teams)),
        )
        staff_rows, members, certs = [], [], []
        for i in range(staff_n):
            sid = f"P{i:06d}"
            roles = [rng.choice(ROLES)] + ([rng.choice(ROLES)] if rng.random() < 0.2 else [])
            designations = ["interviews_children"] if "investigator" in roles and rng.random() < 0.3 else []
            staff_rows.append((sid, sid, json.dumps(roles), json.dumps(designations), True))
            if i % 50:
                members.append((teams[(i // 50) % team_n], sid, i % 50))
            for cert in rng.sample(CERTS, rng.randint(0, 3)):
                issued = START - dt.timedelta(days=rng.randint(0, 900))
                certs.append(
                    (sid, cert, issued, issued + dt.timedelta(days=rng.randint(300, 1100)), "import", now, now)
                )
        copy(conn, "staff", ["id", "name", "roles", "designations", "active"], staff_rows)
        copy(conn, "team_member", ["team_id", "staff_id", "position"], members)
        copy(
            conn,
            "certification",
            ["staff_id", "cert", "issued", "expires", "source", "created_at", "updated_at"],
            certs,
        )
        copy(
            conn,
            "briefing",
            ["staff_id", "area", "date", "expires"],
            ((f"P{i:06d}", "SGBC", START, START + dt.timedelta(days=700)) for i in range(0, staff_n, 13)),
        )

        product_rows, version_rows, facts_rows, decision_rows, event_rows, unit_rows = [], [], [], [], [], []
        for i in range(products):
            pid, team = f"X{i:07d}", teams[i % team_n]
            ptype = TYPES[i % len(TYPES)]
            submitted = START + dt.timedelta(days=rng.randint(0, QUARTERS * 91 - 1))
            execution = submitted + dt.timedelta(days=rng.randint(-3, 30)) if ptype in ("IO", "MP") else None
            product_rows.append((pid, ptype, team, f"Situation {i % 12}", "A", pid, 1, now))
            version_rows.append(
                (i + 1, pid, 1, "1.0", f"{pid}.md", "text/markdown", "0" * 64, 0, "{}", "A", now, False, b"")
            )
            deadline = dt.datetime.combine(execution + dt.timedelta(days=1), dt.time(), dt.UTC) if execution else None
            facts_rows.append(
                (
                    pid,
                    1,
                    i + 1,
                    ptype,
                    team,
                    f"Situation {i % 12}",
                    ptype != "GA" and rng.random() < 0.8,
                    "",
                    submitted,
                    execution,
                    execution or submitted,
                    bool(execution and submitted >= execution),
                    deadline,
                    now,
                )
            )
            if rng.random() < 0.75:
                decided = dt.datetime.combine(submitted + dt.timedelta(days=rng.randint(0, 20)), dt.time(12), dt.UTC)
                event_rows.append((i + 1, f"bench-{pid}", 1, pid, "approve", decided, "{}", "x", uuid.uuid4().hex))
                decision_rows.append((pid, i + 1, "GR", rng.choice(["approve", "return", "escalate"]), decided, i + 1))
            unit_rows.append(
                (
                    f"{pid}:u",
                    f"Situation {i % 12}",
                    team,
                    f"Situation {i % 12}",
                    f"S-{i % 97}",
                    STAGES[i % 3],
                    rng.random() < 0.5,
                    rng.random() < 0.3,
                    "explicit",
                    rng.choice(OUTCOMES),
                    submitted,
                    True,
                    now,
                )
            )
        copy(
            conn,
            "product",
            ["id", "type", "team_id", "situation", "author_id", "title", "current_version_no", "created_at"],
            product_rows,
        )
        copy(
            conn,
            "product_version",
            [
                "id",
                "product_id",
                "version_no",
                "version_label",
                "filename",
                "media_type",
                "sha256",
                "size_bytes",
                "front_matter",
                "submitted_by",
                "submitted_at",
                "locked",
                "content",
            ],
            version_rows,
        )
        copy(
            conn,
            "product_facts",
            [
                "product_id",
                "version_no",
                "version_id",
                "product_type",
                "team_id",
                "situation",
                "relevant",
                "relevance_reason",
                "submitted_on",
                "execution_date",
                "reference_date",
                "late",
                "engagement_deadline",
                "recorded_at",
            ],
            facts_rows,
        )
        copy(
            conn,
            "audit_event",
            ["id", "workflow_id", "transition_seq", "product_id", "action", "at", "details", "prev_hash", "hash"],
            event_rows,
        )
        copy(
            conn,
            "decision",
            ["product_id", "version_id", "reviewer_id", "decision", "decided_at", "audit_event_id"],
            decision_rows,
        )
        copy(
            conn,
            "charge_unit",
            [
                "unit_key",
                "case_id",
                "team_id",
                "situation",
                "suspect",
                "stage",
                "is_sgbc",
                "is_cac",
                "sgbc_basis",
                "outcome",
                "filing_date",
                "in_source",
                "updated_at",
            ],
            unit_rows,
        )
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def timed(fn, repeat: int = 3) -> float:
    fn()  # warm-up: plans and caches
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(server_url: str, sizes: list[int]) -> list[dict]:
    rows = []
    quarter, year = parse_period("2025-Q3"), parse_period("2025")
    for products in sizes:
        rng = random.Random(products)
        with bench_database(server_url) as url:
            started = time.perf_counter()
            load(url, products, rng)
            load_s = time.perf_counter() - started
            engine = make_engine(url)
            with Session(engine) as session:
                result = {
                    "products": products,
                    "staff": max(products // 10, 20),
                    "load_s": load_s,
                    "kpi10": timed(lambda: compute_kpi10(session=session, period=quarter)),
                    "kpi11": timed(lambda: compute_kpi11(session=session, period=year)),
                    # judged each time: KPI 12 is otherwise kept until the register changes
                    "kpi12": timed(lambda: (forget_all(), compute_kpi12(session=session, period=quarter))),
                }
            engine.dispose()
        rows.append(result)
        print(f"  {products} products loaded in {load_s:.1f}s", file=sys.stderr)
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'products':>9} {'staff':>6} {'KPI 10 s':>9} {'x':>5} {'KPI 11 s':>9} {'x':>5} {'KPI 12 s':>9} {'x':>5}"]
    prev = None
    for r in rows:
        cells = [f"{r['products']:>9} {r['staff']:>6}"]
        for k in ("kpi10", "kpi11", "kpi12"):
            ratio = f"{r[k] / prev[k]:.1f}" if prev else "-"
            cells.append(f"{r[k]:>9.3f} {ratio:>5}")
        lines.append(" ".join(cells))
        prev = r
    size_ratio = " / ".join(f"{b['products'] / a['products']:.0f}x" for a, b in zip(rows, rows[1:], strict=False))
    lines.append(f"(x = time ratio against the previous size; sizes grow {size_ratio or '-'})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="200 and 2k products only")
    parser.add_argument("--url", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL))
    args = parser.parse_args()
    sizes = [200, 2_000] if args.small else [2_000, 20_000, 200_000]
    print(table(run(args.url, sizes)))


if __name__ == "__main__":
    main()
