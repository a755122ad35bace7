"""The operator's repair path on the dev server with the real worker and database: a product stored
without its review gets one; an open review whose workflow was terminated is reported, then
restarted from the state it had reached, and goes on to its decision."""

import asyncio
import uuid

from sqlmodel import Session
from temporalio.client import WorkflowExecutionStatus

from models.enums import DecisionKind, ReviewState
from service import repair, reviews
from store.audit import list_events
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state


def product_file(tmp_path, product_id: str):
    path = tmp_path / f"{product_id}-{uuid.uuid4().hex[:4]}.md"
    path.write_text(s1_text(product_id), encoding="utf-8")
    return path


async def test_repair_starts_the_review_of_a_product_stored_without_one(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        reviews._store_first_version(engine, settings, product_file(tmp_path, pid), None, "HE-01")
        report = await repair.repair(db_engine=engine, client=client, settings=settings)
        assert pid in report.started and not report.problems
        await wait_for_state(engine, pid, "queued")
        again = await repair.repair(db_engine=engine, client=client, settings=settings)
        assert pid not in again.started  # nothing left to do


async def test_a_terminated_review_is_reported_then_restarted_where_it_stood(tmp_path, temporal_env):
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        await reviews.submit(
            db_engine=engine, client=client, settings=settings, path=product_file(tmp_path, pid), actor_id="HE-01"
        )
        await wait_for_state(engine, pid, "queued")
        await reviews.claim(db_engine=engine, client=client, product_id=pid, actor_id="GX-02")
        await reviews.comment(db_engine=engine, client=client, product_id=pid, text="Section 3?", actor_id="GX-02")
        handle = client.get_workflow_handle(reviews.workflow_id_for(pid))
        await handle.terminate("stuck: terminated by an operator")

        found = await repair.repair(db_engine=engine, client=client, settings=settings)
        assert found.ended.get(pid) == "terminated" and pid not in found.restarted
        restarted = await repair.repair(db_engine=engine, client=client, settings=settings, restart=True)
        assert pid in restarted.restarted and not restarted.problems
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

        # The query may be answered before the restarted run's first transition is recorded.
        for _ in range(100):
            status = await reviews.status(client=client, product_id=pid)
            if status.history and status.history[-1].action == "restart":
                break
            await asyncio.sleep(0.1)
        assert (status.state, status.assignee) == (ReviewState.IN_REVIEW, "GX-02")
        assert [h.action for h in status.history][-3:] == ["claim", "comment", "restart"]
        assert status.history[-1].reason == (
            "restarted by an operator (gcu-review repair): the review's workflow had terminated while in_review"
        )
        await wait_for_state(engine, pid, "in_review")
        with Session(engine) as session:
            recorded = [e.action for e in list_events(session=session, product_id=pid)]
        assert recorded[-3:] == ["claim", "comment", "restart"]  # the abnormal ending is in the audit trail
        approved = await reviews.decide(
            db_engine=engine,
            client=client,
            product_id=pid,
            decision=DecisionKind.RETURN,
            reason="Add the interpreter briefing",
            actor_id="GX-02",
        )
        assert approved.state == ReviewState.RETURNED
        assert [h.seq for h in approved.history] == list(range(1, len(approved.history) + 1))
        await wait_for_state(engine, pid, "returned")
