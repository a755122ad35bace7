"""The whole history of a review whose workflow keeps only its current run's transitions: the
earlier ones are read from the audit trail (service/review_history.py). On the dev server with the
real worker, on SQLite and PostgreSQL."""

import pytest
from test_review_endings import in_review, review_system_on

from service import reviews
from service.review_history import with_full_history
from tests.dbutil import database_kinds


@pytest.mark.parametrize("kind", database_kinds())
async def test_the_earlier_runs_transitions_come_from_the_audit_trail(kind, tmp_path, temporal_env):
    async with review_system_on(kind, tmp_path, temporal_env) as (settings, engine, client):
        pid = await in_review(tmp_path, engine, client, settings)
        await reviews.comment(db_engine=engine, client=client, product_id=pid, text="Section 3?", actor_id="GX-02")
        whole = await reviews.status(client=client, product_id=pid)
        assert [h.seq for h in whole.history] == list(range(1, len(whole.history) + 1))

        # What the status query answers in a run started by continue-as-new: only its own transitions.
        for kept in (2, 0):
            this_run = whole.model_copy(update={"history": whole.history[len(whole.history) - kept :]})
            assert (await with_full_history(db_engine=engine, status=this_run)).history == whole.history
        # The service layer's answers (status, and every update's) are whole.
        answer = await reviews.comment(db_engine=engine, client=client, product_id=pid, text="And 4?", actor_id="GX-02")
        assert [h.action for h in answer.history][-2:] == ["comment", "comment"]
        assert (await reviews.status(client=client, product_id=pid, db_engine=engine)).history == answer.history
