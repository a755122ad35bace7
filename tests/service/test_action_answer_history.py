"""The answer of a reviewer's action through the service layer carries the review's whole history,
read from the audit events (service/review_history.py) instead of a second round trip to the
workflow: it must be the very history the workflow's `status` query gives. On a real dev server
and database (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set)."""

import uuid
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowHandle

from models.enums import DecisionKind, ReviewAction, ReviewState
from models.messages import TransitionRecord
from service import reviews
from service.demo import import_demo_roster
from service.review_history import recorded_history
from settings import Settings
from store.db import make_engine
from tests.dbutil import database_kinds, fresh_database
from tests.faults.harness import product_copy
from worker import build_worker


async def _no_query(self, *args, **kwargs):
    raise AssertionError("the service layer queried the workflow for the history")


@pytest.mark.parametrize("kind", database_kinds())
async def test_each_action_answers_with_the_history_the_workflow_holds(kind, temporal_env, tmp_path):
    pid = f"HIST-{uuid.uuid4().hex[:8].upper()}"
    path = product_copy(tmp_path, "S2-IO-child-compliant.md", product_id=pid)
    with fresh_database(kind, tmp_path) as url:
        settings = Settings(
            database_url=url,
            temporal_address=temporal_env.client.service_client.config.target_host,
            task_queue=f"hist-{uuid.uuid4().hex[:8]}",
            var_dir=tmp_path,
        )
        engine = make_engine(url)
        client = temporal_env.client
        common = {"db_engine": engine, "client": client, "product_id": pid}
        try:
            import_demo_roster(engine)
            async with build_worker(client, settings):
                await reviews.submit(db_engine=engine, client=client, settings=settings, path=path, actor_id="HE-01")
                with pytest.MonkeyPatch.context() as patch:  # no second round trip to the workflow
                    patch.setattr(WorkflowHandle, "query", _no_query)
                    answers = [
                        await reviews.claim(**common, actor_id="GX-02"),
                        await reviews.comment(**common, text="Looking at the consent section now.", actor_id="GX-02"),
                        await reviews.dismiss(
                            **common, rule_id="VUL-INT-02", reason="asked by the psychologist", actor_id="GX-02"
                        ),
                    ]
                for answer in answers:
                    assert answer.history[-1] == answer.changed
                queried = await reviews.status(client=client, product_id=pid)
                with pytest.MonkeyPatch.context() as patch:  # nor a replay of the closed run
                    patch.setattr(WorkflowHandle, "query", _no_query)
                    approved = await reviews.decide(
                        **common, decision=DecisionKind.APPROVE, reason=None, actor_id="GX-02"
                    )
                workflow_id = approved.workflow_id
        finally:
            engine.dispose()
    assert answers[-1].history == queried.history  # same records: actions, actors, reasons, times, details
    assert [r.action for r in queried.history][-3:] == [
        ReviewAction.CLAIM,
        ReviewAction.COMMENT,
        ReviewAction.DISMISS_FINDING,
    ]
    assert approved.state == ReviewState.APPROVED
    assert approved.history[:-1] == queried.history and approved.history[-1].action == ReviewAction.APPROVE
    assert workflow_id == queried.workflow_id


def test_records_that_do_not_hold_the_answered_transition_leave_it_to_the_workflow(tmp_path):
    # A transition the database does not have (never recorded there) must not be answered from it.
    unknown = TransitionRecord(
        seq=1,
        action=ReviewAction.CLAIM,
        actor_id="GX-02",
        from_state=ReviewState.QUEUED,
        to_state=ReviewState.IN_REVIEW,
        at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )
    with fresh_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        try:
            assert recorded_history(engine, f"product-review-NONE-{uuid.uuid4().hex[:6]}", unknown) is None
        finally:
            engine.dispose()
