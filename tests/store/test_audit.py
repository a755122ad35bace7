"""The audit trail is one hash chain: tampering of any kind is found, concurrent appends never fork it."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from models.tables import AuditEvent, utcnow
from store.audit import GENESIS_HASH, append_event, verify_chain
from store.db import session_scope
from tests.dbutil import uid


def _append(engine, n: int, workflow_id: str | None = None) -> list[int]:
    workflow_id = workflow_id or uid("wf")
    ids = []
    for seq in range(1, n + 1):
        with session_scope(engine) as session:
            event = append_event(
                session=session,
                workflow_id=workflow_id,
                transition_seq=seq,
                action="claim",
                actor_id="GX-02",
                from_state="queued",
                to_state="in_review",
                reason=f"step {seq}",
                at=utcnow() + timedelta(seconds=seq),
                details={"request_id": f"r{seq}"},
            )
            ids.append(event.id)
    return ids


def _verify(engine):
    with session_scope(engine) as session:
        return verify_chain(session=session)


def _tamper(engine, *statements) -> None:
    """Change audit rows behind the application's back: the triggers must be lifted first."""
    with engine.begin() as c:
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            c.exec_driver_sql("DROP TRIGGER audit_event_no_delete")
        else:
            c.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        for statement in statements:
            if isinstance(statement, tuple):
                c.execute(sa.text(statement[0]), statement[1])
            else:
                c.execute(statement)


def test_an_untouched_chain_verifies(fresh_engine):
    assert _verify(fresh_engine).ok and _verify(fresh_engine).checked == 0
    _append(fresh_engine, 5)
    report = _verify(fresh_engine)
    assert report.ok, report.problem
    assert report.checked == 5


def test_each_event_links_to_the_one_before(fresh_engine):
    ids = _append(fresh_engine, 3)
    with session_scope(fresh_engine) as session:
        events = [session.get(AuditEvent, i) for i in ids]
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_an_edited_event_is_detected(fresh_engine):
    ids = _append(fresh_engine, 5)
    _tamper(fresh_engine, ("UPDATE audit_event SET reason = 'nothing happened' WHERE id = :id", {"id": ids[2]}))
    report = _verify(fresh_engine)
    assert not report.ok
    assert report.first_broken_id == ids[2]
    assert "edited" in report.problem


def test_an_edited_actor_is_detected(fresh_engine):
    ids = _append(fresh_engine, 3)
    _tamper(fresh_engine, ("UPDATE audit_event SET actor_id = 'GX-99' WHERE id = :id", {"id": ids[0]}))
    assert _verify(fresh_engine).first_broken_id == ids[0]


def test_a_deleted_event_is_detected(fresh_engine):
    ids = _append(fresh_engine, 5)
    _tamper(fresh_engine, ("DELETE FROM audit_event WHERE id = :id", {"id": ids[1]}))
    report = _verify(fresh_engine)
    assert not report.ok
    assert report.first_broken_id == ids[2]
    assert "deleted" in report.problem


def test_events_deleted_from_the_end_are_detected(fresh_engine):
    ids = _append(fresh_engine, 4)
    _tamper(fresh_engine, ("DELETE FROM audit_event WHERE id >= :id", {"id": ids[2]}))
    report = _verify(fresh_engine)
    assert not report.ok
    assert report.checked == 2
    assert "deleted from the end" in report.problem


def test_two_swapped_events_are_detected(fresh_engine):
    ids = _append(fresh_engine, 5)
    a, b = ids[1], ids[2]
    table = AuditEvent.__table__
    with fresh_engine.connect() as c:
        rows = {r.id: r._asdict() for r in c.execute(sa.select(table).where(table.c.id.in_([a, b])))}
    for row in rows.values():
        del row["id"]
    # Park row a on placeholder keys first: (workflow_id, transition_seq) and hash are unique.
    _tamper(
        fresh_engine,
        sa.update(table).where(table.c.id == a).values(transition_seq=-1, hash="parked"),
        sa.update(table).where(table.c.id == b).values(**rows[a]),
        sa.update(table).where(table.c.id == a).values(**rows[b]),
    )
    report = _verify(fresh_engine)
    assert not report.ok
    assert report.first_broken_id == a


def test_concurrent_appends_keep_one_valid_chain(fresh_engine):
    threads_count, per_thread = 20, 3
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def worker(n: int) -> None:
        try:
            start.wait()
            _append(fresh_engine, per_thread, workflow_id=f"wf-concurrent-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(fresh_engine)
    assert report.ok, report.problem
    assert report.checked == threads_count * per_thread
