"""Count the SQL statements of every process started with this folder first on PYTHONPATH (the
bench, and the worker process it starts, which inherits the environment), by what they touch:

    PYTHONPATH=bench/sql_profile:$PWD SQL_PROFILE_DIR=/tmp/sqlprof .venv/bin/python bench/workflow_bench.py --small

Each process rewrites SQL_PROFILE_DIR/<pid>.txt every 25 statements and at exit (a worker stopped
by a signal may skip the exit: its last 24 statements at most are missing): the total, then
the count per statement shape (its verb and table). Divide by the lifecycles run (count + 2 for
the warm-up) for statements per lifecycle. A measuring aid only: nothing of the product imports it.
"""

import atexit
import os
import re
import threading
from collections import Counter
from pathlib import Path

_DIR = os.environ.get("SQL_PROFILE_DIR")

if _DIR:
    import sqlalchemy as sa

    _counts: Counter[str] = Counter()
    _lock = threading.Lock()
    _file = Path(_DIR) / f"{os.getpid()}.txt"
    _file.parent.mkdir(parents=True, exist_ok=True)
    _SHAPE = re.compile(r"^\s*(\w+)\b.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE | re.DOTALL)

    def _dump() -> None:
        with _lock:
            lines = [f"total {sum(_counts.values())}"] + [f"{n:7d} {k}" for k, n in _counts.most_common()]
        _file.write_text("\n".join(lines) + "\n")

    @sa.event.listens_for(sa.Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        match = _SHAPE.match(statement)
        shape = f"{match.group(1).upper()} {match.group(2)}" if match else statement.split(None, 1)[0].upper()
        with _lock:
            _counts[shape] += 1
            due = sum(_counts.values()) % 25 == 0
        if due:
            _dump()

    atexit.register(_dump)
