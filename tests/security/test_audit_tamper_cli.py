"""`gcu-review audit verify` detects tampering done directly in SQL and names the first broken event.

The attacker here has database owner rights: the append-only triggers are lifted first (which is
itself the attack; the application role of deploy/postgres/init-roles.sh cannot do it, see
tests/deploy/test_postgres_roles.py). Every tampering must give exit 1 and name the event."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.tables import utcnow
from store.audit import HASHED_FIELDS, append_event, event_hash
from store.db import session_scope
from tests.dbutil import uid

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _verify(engine) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "audit", "verify", "--no-anchors"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _trail(engine, n: int = 6) -> list[int]:
    workflow_id = uid("wf")
    ids = []
    for seq in range(1, n + 1):
        with session_scope(engine) as session:
            ids.append(
                append_event(
                    session=session,
                    workflow_id=workflow_id,
                    transition_seq=seq,
                    action="claim",
                    product_id="P-1",
                    actor_id="GX-02",
                    from_state="queued",
                    to_state="in_review",
                    reason=f"step {seq}",
                    at=utcnow() + timedelta(seconds=seq),
                ).id
            )
    return ids


def _as_attacker(engine, *statements: tuple[str, dict]) -> None:
    with engine.begin() as c:
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_update")
            c.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
        else:
            c.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
        for sql, params in statements:
            c.execute(sa.text(sql), params)


def _rehashed(engine, event_id: int, **changes) -> str:
    """The hash an edited row would need to pass its own check (store.audit's recipe)."""
    with engine.connect() as c:
        row = dict(c.execute(sa.text("SELECT * FROM audit_event WHERE id = :id"), {"id": event_id}).mappings().one())
    with session_scope(engine) as session:  # read back through the model for typed values
        from models.tables import AuditEvent

        event = session.get(AuditEvent, event_id)
        fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields.update(changes)
    return event_hash(row["prev_hash"], fields)


def _swap(a: int, b: int) -> list[tuple[str, dict]]:
    """Exchange the contents of two rows (ids stay): the events now appear in the wrong order."""
    columns = "workflow_id, transition_seq, product_id, action, actor_id, from_state, to_state, reason, at, details, prev_hash, hash"
    cols = [c.strip() for c in columns.split(",")]
    moved = ", ".join(f"{c} = (SELECT {c} FROM audit_swap WHERE audit_swap.id = :other)" for c in cols)
    return [
        (
            f"CREATE TEMPORARY TABLE audit_swap AS SELECT id, {columns} FROM audit_event WHERE id IN (:a, :b)",
            {"a": a, "b": b},
        ),
        # unique columns would collide halfway through the swap; park one row first
        ("UPDATE audit_event SET hash = hash || '-parked', transition_seq = -transition_seq WHERE id = :a", {"a": a}),
        (f"UPDATE audit_event SET {moved} WHERE id = :b", {"b": b, "other": a}),
        (f"UPDATE audit_event SET {moved} WHERE id = :a", {"a": a, "other": b}),
        ("DROP TABLE audit_swap", {}),
    ]


def test_an_intact_trail_verifies(fresh_engine):
    ids = _trail(fresh_engine)
    done = _verify(fresh_engine)
    assert done.returncode == 0, done.stderr
    assert f"audit trail intact: {len(ids)} events verified" in done.stdout


@pytest.mark.parametrize(
    ("tampering", "broken_index", "problem"),
    [
        ("edit the reason", 2, "was edited"),
        # Recomputed with the old unkeyed function: the keyed check fails at the edited row itself.
        ("edit reason and recompute its hash", 2, "was edited"),
        ("delete an event", 3, "does not follow"),
        ("reorder two events", 1, "does not follow"),
        ("delete the last event", 5, "deleted from the end"),
    ],
)
def test_tampering_is_detected_and_the_first_broken_event_named(fresh_engine, tampering, broken_index, problem):
    ids = _trail(fresh_engine)
    target = ids[broken_index]
    statements = {
        "edit the reason": [("UPDATE audit_event SET reason = 'nothing happened' WHERE id = :id", {"id": target})],
        # A careful attacker re-hashes the edited row: then the next event no longer follows it.
        "edit reason and recompute its hash": [
            (
                "UPDATE audit_event SET reason = 'x', hash = :h WHERE id = :id",
                {"id": ids[2], "h": _rehashed(fresh_engine, ids[2], reason="x")},
            ),
        ],
        "delete an event": [("DELETE FROM audit_event WHERE id = :id", {"id": ids[2]})],
        "reorder two events": _swap(ids[1], ids[2]),
        "delete the last event": [("DELETE FROM audit_event WHERE id = :id", {"id": ids[5]})],
    }[tampering]
    _as_attacker(fresh_engine, *statements)
    done = _verify(fresh_engine)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"audit trail BROKEN at event {target}" in done.stderr, done.stderr
    assert problem in done.stderr, done.stderr
