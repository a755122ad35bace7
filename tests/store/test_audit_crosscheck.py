"""`audit verify` cross-checks decisions and dismissals against the audit events recording them
(store/audit_crosscheck.py): a decision or dismissal changed, added or removed beside the chain is
named."""

import datetime as dt

import sqlalchemy as sa

from models.tables import Finding
from store.audit import append_event
from store.audit_crosscheck import cross_check
from store.db import session_scope
from tests.kpi import factories as f


def _world(engine):
    with session_scope(engine) as s:
        f.team(s, "T1")
        v = f.version(s, "IP-X1", "IP", "T1", dt.date(2026, 11, 2))
        decision = f.decide(s, v, "approve", f.at(dt.date(2026, 11, 3)))
        s.add(
            Finding(
                finding_id="IP-X1:v1:IP-003",
                product_id="IP-X1",
                version_id=v.id,
                rule_id="IP-003",
                severity="major",
                message="m",
                state="dismissed",
                dismissal_reason="false positive",
                dismissed_by="GR-1",
                dismissed_at=f.at(dt.date(2026, 11, 3), 10),
            )
        )
        append_event(
            session=s,
            workflow_id="product-review-IP-X1",
            transition_seq=900,
            action="dismiss_finding",
            product_id="IP-X1",
            actor_id="GR-1",
            reason="false positive",
            at=f.at(dt.date(2026, 11, 3), 10),
            details={"rule_id": "IP-003"},
        )
        return decision.id, v.id


def _problems(engine) -> list[str]:
    with session_scope(engine) as s:
        return [f"{p.what} {p.problem}" for p in cross_check(session=s)]


def test_decisions_and_dismissals_that_match_their_events_pass(fresh_engine):
    _world(fresh_engine)
    assert _problems(fresh_engine) == []


def test_a_decision_changed_beside_the_chain_is_named(fresh_engine):
    decision_id, _ = _world(fresh_engine)
    with fresh_engine.begin() as c:
        c.execute(
            sa.text("UPDATE decision SET decision = 'return', reviewer_id = 'GR-9' WHERE id = :id"), {"id": decision_id}
        )
    assert _problems(fresh_engine) == [f"decision {decision_id} its decision, reviewer differ from audit event 1"]


def test_a_deleted_decision_row_is_named_by_its_event(fresh_engine):
    decision_id, _version_id = _world(fresh_engine)
    with fresh_engine.begin() as c:
        c.execute(sa.text("DELETE FROM decision WHERE id = :id"), {"id": decision_id})
    assert _problems(fresh_engine) == ["event 1 records a decision (approve) that has no decision row"]


def test_a_dismissal_without_its_event_or_undone_is_named(fresh_engine):
    _world(fresh_engine)
    with fresh_engine.begin() as c:
        c.execute(sa.text("UPDATE finding SET dismissed_by = 'GX-99' WHERE finding_id = 'IP-X1:v1:IP-003'"))
    assert _problems(fresh_engine) == [
        "finding IP-X1:v1:IP-003 its dismissal (who, reason or time) differs from audit event 2"
    ]
    with fresh_engine.begin() as c:
        c.execute(sa.text("UPDATE finding SET state = 'open' WHERE finding_id = 'IP-X1:v1:IP-003'"))
    assert _problems(fresh_engine) == [
        "event 2 records the dismissal of IP-003 on IP-X1, but that finding is not dismissed"
    ]
