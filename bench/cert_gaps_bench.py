"""The certification gap report (store/cert_gaps.py, behind /certifications, the dashboards and the
compliance summary) on a large generated register, in the same run, on the same data:

- python: the Python evaluation the database's aggregation replaced (bench/gaps_reference.py);
- whole report: store.cert_gaps.gap_report for everyone (every person with gaps an object), which is
  what the pages built and sliced before they asked for a page;
- page + figures: what a page asks for now: gap_overview, the figures (people with gaps, per
  requirement and status, per team: GROUP BY in the database) and one page of 100 people.

- setup: a fresh migrated database (SQLite; PostgreSQL with --postgres URL), the demo register and
  PEOPLE generated people with every kind of record (bench/register_data.py).
- measured: the best of ROUNDS runs of each, the whole register, the default 90-day window; all
  must agree (the same report; the page its first 100; the figures counted from it).

    .venv/bin/python bench/cert_gaps_bench.py --people 5000
    .venv/bin/python bench/cert_gaps_bench.py --people 50000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _best_of(rounds: int, run: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result = run()  # a warm-up round, not timed
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
    parser.add_argument(
        "--previous",
        metavar="COMMIT",
        help="also time store/cert_gaps.py as it was at COMMIT (read with git show), on the same data",
    )
    args = parser.parse_args()
    previous = _module_at(args.previous) if args.previous else None

    import os

    from sqlmodel import Session

    from bench.gaps_reference import python_gap_report
    from bench.register_data import seed_varied_register
    from service.demo import import_demo_roster
    from store.cert_gaps import gap_overview, gap_report
    from store.db import make_engine
    from store.register_cache import forget_all
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
        started = time.perf_counter()
        seed_varied_register(engine, args.people, on=on)
        seeded_s = time.perf_counter() - started
        with Session(engine) as session:

            def page_and_figures():
                forget_all()  # judged each time: the overview is otherwise kept until the register changes
                return gap_overview(session=session, on=on, limit=100)

            page_s, (figures, page) = _best_of(args.rounds, page_and_figures)
            sql_s, sql_report = _best_of(args.rounds, lambda: gap_report(session=session, on=on))
            py_s, py_report = _best_of(args.rounds, lambda: python_gap_report(session=session, on=on))
            if previous is not None:
                previous_s, previous_report = _best_of(args.rounds, lambda: previous.gap_report(session=session, on=on))
        engine.dispose()
    assert [p.model_dump() for p in sql_report] == [p.model_dump() for p in py_report], "the reports differ"
    assert [p.model_dump() for p in page] == [p.model_dump() for p in py_report[:100]], "the page differs"
    assert figures.people == len(py_report), "the count differs"
    if previous is not None:
        assert [p.model_dump() for p in previous_report] == [p.model_dump() for p in py_report], "previous differs"
    assert sum(r.people for r in figures.by_requirement) == sum(len(p.gaps) for p in py_report), "the figures differ"
    print(
        f"{'postgres' if args.postgres else 'sqlite'}, {args.people:,} people, {len(sql_report):,} with gaps "
        f"(generated in {seeded_s:.0f} s): python {py_s:.2f} s, whole report {sql_s:.2f} s, "
        f"page + figures {page_s:.2f} s; python / page {py_s / page_s:.1f}x, whole / page {sql_s / page_s:.1f}x"
        + (
            f"; {args.previous} {previous_s:.2f} s, {args.previous} / page {previous_s / page_s:.1f}x"
            if previous is not None
            else ""
        )
    )


def _module_at(commit: str):
    """store/cert_gaps.py as it was at `commit`, loaded as a module of its own."""
    import subprocess
    import types

    source = subprocess.run(
        ["git", "show", f"{commit}:store/cert_gaps.py"],
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"cert_gaps_at_{commit}")
    sys.modules[module.__name__] = module  # pydantic resolves the models' annotations through it
    exec(compile(source, f"{commit}:store/cert_gaps.py", "exec"), module.__dict__)
    return module


if __name__ == "__main__":
    main()
