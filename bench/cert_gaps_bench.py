"""The certification gap report (store/cert_gaps.py, behind /certifications, the dashboards and the
compliance summary) on a large generated register: the database's aggregation against the Python
evaluation it replaced (bench/gaps_reference.py), in the same run, on the same data.

- setup: a fresh migrated database (SQLite; PostgreSQL with --postgres URL), the demo register and
  PEOPLE generated people with every kind of record (bench/register_data.py).
- measured: the best of ROUNDS runs of each, the whole register, the default 90-day window; both
  must give the same report.

    .venv/bin/python bench/cert_gaps_bench.py --people 5000
    .venv/bin/python bench/cert_gaps_bench.py --people 50000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _best_of(rounds: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made and dropped)")
    args = parser.parse_args()

    import os

    from sqlmodel import Session

    from bench.gaps_reference import python_gap_report
    from bench.register_data import seed_varied_register
    from service.demo import import_demo_roster
    from store.cert_gaps import gap_report
    from store.db import make_engine
    from tests.dbutil import POSTGRES_ENV, fresh_database

    if args.postgres:
        os.environ[POSTGRES_ENV] = args.postgres
    on = date.today()
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database("postgres" if args.postgres else "sqlite", Path(tmp)) as url,
    ):
        engine = make_engine(url)
        import_demo_roster(engine)
        seed_varied_register(engine, args.people, on=on)
        with Session(engine) as session:
            sql_s, sql_report = _best_of(args.rounds, lambda: gap_report(session=session, on=on))
            py_s, py_report = _best_of(args.rounds, lambda: python_gap_report(session=session, on=on))
        engine.dispose()
    assert [p.model_dump() for p in sql_report] == [p.model_dump() for p in py_report], "the reports differ"
    print(
        f"{'postgres' if args.postgres else 'sqlite'}, {args.people:,} people, {len(sql_report):,} with gaps: "
        f"python {py_s:.2f} s, sql {sql_s:.2f} s, ratio {py_s / sql_s:.1f}x"
    )


if __name__ == "__main__":
    main()
