"""The Temporal server restarts in the middle of a run (issue 6, Faults): reviews waiting for a
person (queued, in review) and armed SLA timers survive, answer queries, complete and fire.

A file-backed dev server of its own (service/devserver.py) is stopped and started again on the same
file and port while the worker process keeps running (it reconnects by itself).
"""

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models.enums import DecisionKind, ReviewAction, ReviewState
from models.tables import AuditEvent
from service import reviews
from service.devserver import start_dev_server, stop_dev_server
from service.temporal_client import connect
from settings import Settings
from store import audit
from tests.faults.harness import free_port, product_copy, with_retries, worker_system

pytestmark = pytest.mark.soak

DP_ESCALATION_AFTER = timedelta(seconds=25)


class ShortSla(Settings):
    """Due at once (zero working days), escalated to the Deputy Prosecutor 25 s later: a timer
    that is armed before the restart and must fire after it."""

    def sla_policy(self):
        return (
            super()
            .sla_policy()
            .model_copy(update={"review_working_days": 0, "dp_escalation_after": DP_ESCALATION_AFTER})
        )


async def _submit(system, sample: str, actor: str, settings: Settings | None = None) -> str:
    pid = f"RESTART-{uuid.uuid4().hex[:8].upper()}"
    path = product_copy(system.tmp, sample, product_id=pid)
    done = await reviews.submit(
        db_engine=system.engine,
        client=system.client,
        settings=settings or system.settings,
        path=path,
        actor_id=actor,
        wait_seconds=60,
    )
    assert done.status is not None and done.status.state == ReviewState.QUEUED
    return pid


async def _until(check, timeout: float, what: str):
    for _ in range(int(timeout / 0.5)):
        result = await with_retries(check)
        if result:
            return result
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} within {timeout:.0f} s")


async def test_waiting_reviews_and_timers_survive_a_server_restart(tmp_path):
    port = free_port()
    db_file = tmp_path / "temporal.db"
    log = tmp_path / "temporal.log"
    server = start_dev_server(db_file=db_file, port=port, ui_port=free_port(), log_file=log)
    try:
        client = await connect(Settings(temporal_address=f"127.0.0.1:{port}"))
        async with worker_system("sqlite", client, tmp_path, temporal_address=f"127.0.0.1:{port}") as (system, worker):
            queued = await _submit(system, "S2-IO-child-compliant.md", "HE-01")
            in_review = await _submit(system, "S6-MP-compliant.md", "OS-01")
            await reviews.claim(db_engine=system.engine, client=client, product_id=in_review, actor_id="GX-02")
            short = ShortSla(**system.settings.model_dump())
            timed = await _submit(system, "S2-IO-child-compliant.md", "HE-01", settings=short)

            async def escalated_once():
                current = await reviews.status(client=client, product_id=timed)
                return current if current.escalation_level >= 1 else None

            # The overdue escalation fires at once with a zero-day SLA (a moment after the review is queued).
            escalated = await _until(escalated_once, 30, "no overdue escalation")
            assert escalated.escalation_level == 1

            stop_dev_server(server)
            await asyncio.sleep(2)  # the worker and the client see the server gone
            server = start_dev_server(db_file=db_file, port=port, ui_port=free_port(), log_file=log)

            # Waiting reviews answer queries with the state they had.
            assert (
                await with_retries(lambda: reviews.status(client=client, product_id=queued))
            ).state == ReviewState.QUEUED
            state = await with_retries(lambda: reviews.status(client=client, product_id=in_review))
            assert (state.state, state.assignee) == (ReviewState.IN_REVIEW, "GX-02")
            # The timer armed before the restart fires after it.
            fired = await _until(
                lambda: _level(client, timed, 2),
                DP_ESCALATION_AFTER.total_seconds() + 60,
                "the DP escalation timer armed before the restart did not fire",
            )
            dp = next(r for r in fired.history if r.action == ReviewAction.DP_ESCALATION)
            assert dp.at - escalated.history[-1].at >= DP_ESCALATION_AFTER - timedelta(seconds=1)
            # And the waiting reviews complete.
            await with_retries(
                lambda: reviews.claim(
                    db_engine=system.engine,
                    client=client,
                    product_id=queued,
                    actor_id="GX-03",
                    request_id=f"claim-{queued}",
                )
            )
            # Contract v2: S2's VUL-INT-02 (major) must be dismissed before approval.
            await with_retries(
                lambda: reviews.dismiss(
                    db_engine=system.engine,
                    client=client,
                    product_id=queued,
                    rule_id="VUL-INT-02",
                    reason="the witness's needs were asked by the psychologist",
                    actor_id="GX-03",
                    request_id=f"dismiss-{queued}",
                )
            )
            for pid, reviewer in ((queued, "GX-03"), (in_review, "GX-02")):
                done = await with_retries(
                    lambda pid=pid, reviewer=reviewer: reviews.decide(
                        db_engine=system.engine,
                        client=client,
                        product_id=pid,
                        decision=DecisionKind.APPROVE,
                        reason=None,
                        actor_id=reviewer,
                        request_id=f"approve-{pid}",
                    )
                )
                assert done.state == ReviewState.APPROVED
            assert worker.kills == 0 and worker.proc.poll() is None, "the worker kept running through the restart"
            with Session(system.engine) as session:
                assert audit.verify_chain(session=session).ok
                for pid in (queued, in_review, timed):
                    history = (await reviews.status(client=client, product_id=pid)).history
                    events = session.execute(
                        sa.select(sa.func.count()).where(AuditEvent.product_id == pid)
                    ).scalar_one()
                    assert events == len(history), pid
    finally:
        stop_dev_server(server)


async def _level(client, pid: str, level: int):
    status = await reviews.status(client=client, product_id=pid)
    return status if status.escalation_level >= level else None
