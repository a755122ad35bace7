"""Abnormal endings recorded when they happen (workflows/review_endings.py), on the dev server with
the real worker, on SQLite and PostgreSQL: a terminated review used to stay "in review" in the
database, with nothing in its audit trail, until an operator happened to run `repair --restart`."""

import asyncio
import uuid
from contextlib import asynccontextmanager

import pytest
from sqlmodel import Session, col, select
from temporalio.client import ScheduleOverlapPolicy

from models.ending_messages import EndingsInput, EndingsReport
from models.enums import DecisionKind, ReviewState
from models.tables import Notification
from service import repair, reviews
from service.demo import import_demo_roster
from service.temporal_setup import ENDINGS_RUN_TIMEOUT, ensure_endings_schedule
from settings import Settings
from store.accounts import seed_demo_accounts
from store.audit import list_events
from store.db import make_engine
from store.reviews import get_review
from tests.dbutil import database_kinds, fresh_database
from tests.web.flow import new_product_id, s1_text, wait_for_state
from workflows import review_endings
from workflows.review_endings import ReviewEndingsWorkflow

GCU_HEAD = "GX-09"  # demo/roster.yaml


@asynccontextmanager
async def review_system_on(kind: str, tmp_path, env):
    from worker import build_worker

    with fresh_database(kind, tmp_path) as url:
        settings = Settings(
            environment="development",
            database_url=url,
            var_dir=tmp_path,
            secret_key="test-secret-key-for-review-endings",
            task_queue=f"endings-{uuid.uuid4().hex[:8]}",
        )
        engine = make_engine(url)
        import_demo_roster(engine)
        seed_demo_accounts(db_engine=engine)
        try:
            async with build_worker(env.client, settings, task_queue=settings.task_queue):
                yield settings, engine, env.client
        finally:
            engine.dispose()


async def reconcile(client, settings) -> EndingsReport:
    return await client.execute_workflow(
        ReviewEndingsWorkflow.run,
        EndingsInput(),
        id=f"review-endings-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )


async def until_listed(client, settings, product_id: str) -> None:
    """Visibility is eventually consistent: wait until the ended run can be listed."""
    query = f"WorkflowId = '{reviews.workflow_id_for(product_id)}' AND ExecutionStatus = 'Terminated'"
    for _ in range(100):
        if (await client.count_workflows(query)).count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the terminated run of {product_id} is not listed")


async def ending_recorded(engine, product_id: str, ended: str | None):
    """The review row once its `workflow_ended` is `ended` (the worker records asynchronously)."""
    for _ in range(200):
        with Session(engine) as session:
            review = get_review(session=session, product_id=product_id)
        if review is not None and review.workflow_ended == ended:
            return review
        await asyncio.sleep(0.1)
    raise AssertionError(f"{product_id}'s workflow_ended is not {ended!r}")


async def in_review(tmp_path, engine, client, settings) -> str:
    pid = new_product_id()
    path = tmp_path / f"{pid}.md"
    path.write_text(s1_text(pid), encoding="utf-8")
    await reviews.submit(db_engine=engine, client=client, settings=settings, path=path, actor_id="HE-01")
    await wait_for_state(engine, pid, "queued")
    await reviews.claim(db_engine=engine, client=client, product_id=pid, actor_id="GX-02")
    await wait_for_state(engine, pid, "in_review")
    return pid


@pytest.mark.parametrize("kind", database_kinds())
async def test_a_terminated_review_is_recorded_once_then_restarted_after_it(kind, tmp_path, temporal_env):
    async with review_system_on(kind, tmp_path, temporal_env) as (settings, engine, client):
        pid = await in_review(tmp_path, engine, client, settings)
        handle = client.get_workflow_handle(reviews.workflow_id_for(pid))
        await handle.terminate("stuck: terminated by an operator")
        await until_listed(client, settings, pid)

        report = await reconcile(client, settings)
        (recorded,) = [r for r in report.recorded if r.product_id == pid]
        assert (recorded.ended, recorded.state) == ("terminated", "in_review")
        with Session(engine) as session:
            review = get_review(session=session, product_id=pid)
            assert review is not None
            # The business state stays where the review stood; the projection says its workflow is gone.
            assert (review.state, review.workflow_ended, review.assignee_id) == ("in_review", "terminated", "GX-02")
            events = list_events(session=session, product_id=pid)
            ending = events[-1]
            told = session.exec(
                select(Notification.recipient_id).where(col(Notification.audit_event_id) == ending.id)
            ).all()
        assert (ending.action, ending.from_state, ending.to_state, ending.channel) == (
            "workflow_ended",
            "in_review",
            "in_review",
            "system",
        )
        assert ending.transition_seq == events[-2].transition_seq + 1
        assert ending.details == {"ended": "terminated", "run_id": recorded.run_id}
        assert set(told) == {GCU_HEAD, "GX-02"}

        again = await reconcile(client, settings)
        assert pid not in [r.product_id for r in again.recorded] and again.already_recorded >= 1

        restarted = await repair.repair(db_engine=engine, client=client, settings=settings, restart=True)
        assert pid in restarted.restarted and not restarted.problems
        review = await ending_recorded(engine, pid, None)
        assert (review.state, review.ended_run_id) == ("in_review", None)
        with Session(engine) as session:
            actions = [(e.action, e.transition_seq) for e in list_events(session=session, product_id=pid)]
        # The restart comes after the ending, with the next number (not taken for the ending and dropped).
        assert [a for a, _ in actions[-3:]] == ["claim", "workflow_ended", "restart"]
        assert actions[-1][1] == actions[-2][1] + 1

        # The ended run is behind the restarted one: nothing more to record.
        assert pid not in [r.product_id for r in (await reconcile(client, settings)).recorded]
        returned = await reviews.decide(
            db_engine=engine,
            client=client,
            product_id=pid,
            decision=DecisionKind.RETURN,
            reason="Add the interpreter briefing",
            actor_id="GX-02",
        )
        assert returned.state == ReviewState.RETURNED


async def test_the_schedule_runs_the_reconciliation_on_the_workers_queue(tmp_path, temporal_env):
    async with review_system_on("sqlite", tmp_path, temporal_env) as (settings, engine, client):
        pid = await in_review(tmp_path, engine, client, settings)
        await client.get_workflow_handle(reviews.workflow_id_for(pid)).terminate("test")
        await until_listed(client, settings, pid)
        assert await ensure_endings_schedule(client, settings) in ("created", "updated")
        schedule = client.get_schedule_handle(review_endings.SCHEDULE_ID)
        # A run no worker finishes ends, instead of making the overlap policy skip every later run.
        assert (await schedule.describe()).schedule.action.execution_timeout == ENDINGS_RUN_TIMEOUT
        try:
            # Other tests' workers (killed since) left this shared dev server's schedule with runs on
            # their own task queues; the overlap policy would skip this trigger behind them.
            await schedule.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
            assert (await ending_recorded(engine, pid, "terminated")).state == "in_review"
        finally:
            await schedule.delete()
