"""The audit chain's anchor in Temporal (workflows/audit_anchor.py): a checkpoint of the head is
recorded in a workflow's history, which the database role cannot write, and `gcu-review audit
verify` compares the chain with it. The probe's undetected tampering (delete the last event, rewind
`audit_chain_head`) is caught and the missing event named; an intact trail still verifies."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from temporalio.worker import Worker

from activities.audit_anchor import AuditAnchorActivities
from models.audit_messages import AnchorInput
from models.tables import utcnow
from service.audit_anchor import recorded_anchors
from service.temporal_setup import ensure_anchor_schedule
from settings import Settings
from store.audit import append_event
from store.db import session_scope
from tests.dbutil import uid
from tests.security.test_audit_tamper_cli import _as_attacker
from workflows.audit_anchor import SCHEDULE_ID, AuditAnchorWorkflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _trail(engine, n: int) -> list[int]:
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
                ).id
            )
    return ids


def _verify(engine, target: str, task_queue: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TEMPORAL_ADDRESS": target,
        "TASK_QUEUE": task_queue,
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "audit", "verify", "--require-anchors"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _anchor(client, engine, task_queue: str) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[AuditAnchorWorkflow],
        activities=AuditAnchorActivities(db_engine=engine).all(),
    ):
        await client.execute_workflow(
            AuditAnchorWorkflow.run, AnchorInput(), id=f"audit-anchor-test-{uuid.uuid4().hex}", task_queue=task_queue
        )
    for _ in range(100):  # visibility catches up with the completed run
        if await recorded_anchors(client, task_queue=task_queue):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the checkpoint never became visible")


async def test_a_rewound_head_is_caught_by_the_checkpoint_recorded_in_temporal(temporal_env, fresh_engine):
    client = temporal_env.client
    target = client.service_client.config.target_host
    task_queue = f"anchor-{uuid.uuid4().hex[:8]}"
    ids = _trail(fresh_engine, 6)
    await _anchor(client, fresh_engine, task_queue)

    intact = await asyncio.to_thread(_verify, fresh_engine, target, task_queue)
    assert intact.returncode == 0, intact.stderr
    assert "6 events verified, matching 1 checkpoints recorded in Temporal" in intact.stdout

    with fresh_engine.connect() as c:
        before_last = c.execute(sa.text("SELECT hash FROM audit_event WHERE id = :id"), {"id": ids[4]}).scalar_one()
    _as_attacker(
        fresh_engine,
        ("DELETE FROM audit_event WHERE id = :id", {"id": ids[5]}),
        (
            "UPDATE audit_chain_head SET last_event_id = :id, last_hash = :h, length = 5 WHERE id = 1",
            {"id": ids[4], "h": before_last},
        ),
    )
    done = await asyncio.to_thread(_verify, fresh_engine, target, task_queue)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"audit trail BROKEN at event {ids[5]}" in done.stderr
    assert "checkpoint" in done.stderr and "deleted from the end" in done.stderr


async def test_the_checkpoint_schedule_is_created_and_updated_in_place(temporal_env, tmp_path):
    client = temporal_env.client
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        task_queue=f"anchor-{uuid.uuid4().hex[:8]}",
        audit_anchor_minutes=30,
    )
    first = await ensure_anchor_schedule(client, settings)
    assert await ensure_anchor_schedule(client, settings.model_copy(update={"audit_anchor_minutes": 10})) == "updated"
    described = await client.get_schedule_handle(SCHEDULE_ID).describe()
    assert first in ("created", "updated")
    assert described.schedule.spec.intervals[0].every == timedelta(minutes=10)
    assert described.schedule.action.workflow == "AuditAnchorWorkflow"


def test_verify_without_temporal_warns_or_fails_when_checkpoints_are_required(fresh_engine):
    _trail(fresh_engine, 2)
    env = {
        **os.environ,
        "DATABASE_URL": fresh_engine.url.render_as_string(hide_password=False),
        "TEMPORAL_ADDRESS": "127.0.0.1:1",
    }

    def run(*a: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", "audit", "verify", *a],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    relaxed = run()
    assert relaxed.returncode == 0 and "checkpoints not compared" in relaxed.stderr
    strict = run("--require-anchors")
    assert strict.returncode == 1 and "cannot read the audit checkpoints" in strict.stderr
