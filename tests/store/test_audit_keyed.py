"""The keyed, anchored audit chain (issue 15): the probe's two undetected tamperings, and the rest.

- Deleting the last event and rewinding `audit_chain_head` to the row before it needs no hashing at
  all: only a checkpoint recorded outside the database (workflows/audit_anchor.py) can tell.
- Editing a row and recomputing every hash after it with the project's old (unkeyed) hash function:
  the keyed events no longer verify; and if the attacker also strips the key ids, so that the whole
  trail looks like an old unkeyed one, the checkpoint's hash no longer matches.
"""

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from models.tables import utcnow
from settings import ConfigurationError, Settings
from store.audit import GENESIS_HASH, HASHED_FIELDS, append_event, current_head, event_hash, verify_chain
from store.audit_keys import DERIVED_KEY_ID, Keyring, application_keyring
from store.db import session_scope
from tests.dbutil import uid
from tests.store.test_audit import _tamper

KEY_A = "kA-" + "x7Qm2LpR9tKz4HbN6yJc8dFs1gUe5aWv"
KEY_B = "kB-" + "Zq3Wn8Tf5Yh2Lk9Pd4Rs7Vb1Xc6Mg0Ja"


def _trail(engine, n: int, *, keyring: Keyring | None = None) -> list[int]:
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
                    reason=f"step {seq}",
                    at=utcnow() + timedelta(seconds=seq),
                    keyring=keyring,
                ).id
            )
    return ids


def _checkpoint(engine):
    with session_scope(engine) as session:
        return current_head(session=session, at=utcnow())


def _verify(engine, **kw):
    with session_scope(engine) as session:
        return verify_chain(session=session, **kw)


def _rows(engine) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(sa.text("SELECT * FROM audit_event ORDER BY id")).mappings()]


def _rewrite_with_old_hash(engine, rows: list[dict], *, from_index: int, strip_keys: bool) -> list:
    """What the probe did: recompute the chain from `from_index` on with store.audit.event_hash."""
    statements = []
    prev = rows[from_index - 1]["hash"] if from_index else GENESIS_HASH
    for row in rows[from_index:]:
        fields = {name: row[name] for name in HASHED_FIELDS}
        if isinstance(fields["details"], str):
            import json

            fields["details"] = json.loads(fields["details"])
        if isinstance(fields["at"], str):
            from datetime import datetime

            fields["at"] = datetime.fromisoformat(fields["at"]).replace(tzinfo=UTC)
        digest = event_hash(prev, fields)
        key = "NULL" if strip_keys else "key_id"
        statements.append(
            (
                f"UPDATE audit_event SET prev_hash = :p, hash = :h, key_id = {key}, reason = :r WHERE id = :id",
                {"p": prev, "h": digest, "r": fields["reason"], "id": row["id"]},
            )
        )
        prev = digest
    statements.append(("UPDATE audit_chain_head SET last_hash = :h WHERE id = 1", {"h": prev}))
    return statements


def test_new_events_are_sealed_with_the_applications_key(fresh_engine):
    _trail(fresh_engine, 3)
    assert {row["key_id"] for row in _rows(fresh_engine)} == {DERIVED_KEY_ID}
    assert _verify(fresh_engine).ok
    other = Keyring(keys={DERIVED_KEY_ID: b"not-the-key-" * 4}, current_id=DERIVED_KEY_ID)
    report = _verify(fresh_engine, keyring=other)
    assert not report.ok and "keyed hash" in report.problem


def test_keys_rotate_by_id_and_old_events_still_verify(fresh_engine):
    old = Keyring(keys={"2026a": KEY_A.encode()}, current_id="2026a")
    new = Keyring(keys={"2026a": KEY_A.encode(), "2026b": KEY_B.encode()}, current_id="2026b")
    _trail(fresh_engine, 2, keyring=old)
    _trail(fresh_engine, 2, keyring=new)
    assert [row["key_id"] for row in _rows(fresh_engine)] == ["2026a", "2026a", "2026b", "2026b"]
    assert _verify(fresh_engine, keyring=new).ok
    retired = Keyring(keys={"2026b": KEY_B.encode()}, current_id="2026b")
    report = _verify(fresh_engine, keyring=retired)
    assert not report.ok and "key '2026a'" in report.problem


def test_keys_come_from_settings_and_are_never_shown():
    keyring = Keyring.from_settings(Settings(audit_hmac_keys=f"2026a:{KEY_A},2026b:{KEY_B}"))
    assert keyring.current_id == "2026b" and set(keyring.keys) == {"2026a", "2026b"}
    assert KEY_A not in repr(keyring) and KEY_B not in repr(Settings(audit_hmac_keys=f"a:{KEY_B}"))
    with pytest.raises(ConfigurationError, match="at least 32"):
        Keyring.from_settings(Settings(audit_hmac_keys="2026a:short"))
    with pytest.raises(ConfigurationError, match="AUDIT_HMAC_KEY_ID"):
        Keyring.from_settings(Settings(audit_hmac_keys=f"2026a:{KEY_A}", audit_hmac_key_id="nope"))


def test_the_key_is_not_in_the_database(fresh_engine):
    _trail(fresh_engine, 2)
    key = application_keyring().keys[DERIVED_KEY_ID]
    with fresh_engine.connect() as c:
        for table in ("audit_event", "audit_chain_head"):
            for row in c.execute(sa.text(f"SELECT * FROM {table}")):
                assert key.hex() not in str(row) and key.decode("latin-1") not in str(row)


def test_editing_a_row_and_recomputing_every_hash_with_the_old_function_is_detected(fresh_engine):
    ids = _trail(fresh_engine, 6)
    rows = _rows(fresh_engine)
    rows[2]["reason"] = "nothing happened"
    _tamper(fresh_engine, *_rewrite_with_old_hash(fresh_engine, rows, from_index=2, strip_keys=False))
    report = _verify(fresh_engine)
    assert not report.ok and report.first_broken_id == ids[2] and "was edited" in report.problem


def test_the_same_rewrite_with_the_key_ids_stripped_after_keyed_events_is_detected(fresh_engine):
    ids = _trail(fresh_engine, 6)
    rows = _rows(fresh_engine)
    rows[3]["reason"] = "nothing happened"
    _tamper(fresh_engine, *_rewrite_with_old_hash(fresh_engine, rows, from_index=3, strip_keys=True))
    report = _verify(fresh_engine)
    assert (
        not report.ok and report.first_broken_id == ids[3] and "old unkeyed hash after keyed events" in report.problem
    )


def test_a_whole_trail_rewritten_as_an_old_unkeyed_one_is_caught_by_the_checkpoint(fresh_engine):
    ids = _trail(fresh_engine, 6)
    anchor = _checkpoint(fresh_engine)
    rows = _rows(fresh_engine)
    rows[1]["reason"] = "nothing happened"
    _tamper(fresh_engine, *_rewrite_with_old_hash(fresh_engine, rows, from_index=0, strip_keys=True))
    assert _verify(fresh_engine).ok  # looks like an intact pre-issue-15 trail without the anchor
    report = _verify(fresh_engine, anchors=[anchor])
    assert not report.ok and report.first_broken_id == ids[5] and "rewritten" in report.problem


def test_deleting_the_last_event_and_rewinding_the_head_is_caught_by_the_checkpoint(fresh_engine):
    ids = _trail(fresh_engine, 6)
    anchor = _checkpoint(fresh_engine)
    rows = _rows(fresh_engine)
    _tamper(
        fresh_engine,
        ("DELETE FROM audit_event WHERE id = :id", {"id": ids[5]}),
        (
            "UPDATE audit_chain_head SET last_event_id = :id, last_hash = :h, length = 5 WHERE id = 1",
            {"id": ids[4], "h": rows[4]["hash"]},
        ),
    )
    assert _verify(fresh_engine).ok  # the probe: no hashing needed, and the head agrees
    report = _verify(fresh_engine, anchors=[anchor])
    assert not report.ok and report.first_broken_id == ids[5]
    assert "deleted from the end" in report.problem and "number 6 of 6" in report.problem


def test_deleting_several_events_from_the_end_names_the_first_missing_one(fresh_engine):
    ids = _trail(fresh_engine, 6)
    _tamper(fresh_engine, ("DELETE FROM audit_event WHERE id >= :id", {"id": ids[3]}))
    report = _verify(fresh_engine)
    assert not report.ok and report.first_broken_id == ids[3], report
    assert "the first missing is event" in report.problem and "number 4 of 6" in report.problem


def test_checkpoints_of_earlier_heads_agree_with_a_longer_intact_chain(fresh_engine):
    _trail(fresh_engine, 3)
    early = _checkpoint(fresh_engine)
    _trail(fresh_engine, 3)
    late = _checkpoint(fresh_engine)
    _trail(fresh_engine, 2)
    report = _verify(fresh_engine, anchors=[late, early])
    assert report.ok and report.checked == 8
