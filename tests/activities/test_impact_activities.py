"""The rule-impact activity (activities/impact.py) through temporalio's ActivityEnvironment, on a
thread of the worker and in a spawned process of its own (PRECHECK_PROCESSES > 0), SQLite and
PostgreSQL: the stored run ends done with its report; a pack the worker lacks fails for good."""

import pytest
from sqlmodel import Session
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.impact import ImpactActivities
from models.impact import ImpactRunState, RuleImpactInput
from service.demo import DEMO_DIR
from settings import Settings
from store.db import session_scope
from store.impact_runs import create_run, get_run, report_of
from store.products import create_version


def _stored_plan(engine) -> None:
    text = (DEMO_DIR / "products" / "S1-IP-heron.md").read_text(encoding="utf-8")
    with session_scope(engine) as session:
        create_version(
            session=session,
            product_id="IP-IMPACT-1",
            product_type="IP",
            team_id="T-HERON",
            situation="Situation in Velmora",
            author_id="HE-01",
            title="Plan",
            version_label="1",
            filename="plan.md",
            media_type="text/markdown",
            content=text.replace("IP-HERON-2025-02", "IP-IMPACT-1").encode(),
            submitted_by="HE-01",
            front_matter={"product": {"id": "IP-IMPACT-1"}},
        )


def _run(engine, version: str) -> int:
    with session_scope(engine) as session:
        run_id = create_run(session=session, candidate_version=version, active_version="2.0.0", requested_by="t").id
    assert run_id is not None
    return run_id


@pytest.mark.parametrize("processes", [0, 1])
async def test_a_run_stores_its_report_and_an_unknown_pack_fails_for_good(fresh_engine, processes):
    url = fresh_engine.url.render_as_string(hide_password=False)
    activities = ImpactActivities(fresh_engine, Settings(database_url=url, precheck_processes=processes))
    _stored_plan(fresh_engine)
    run_id = _run(fresh_engine, "1.0.0")

    result = await ActivityEnvironment().run(activities.run_rule_impact, RuleImpactInput(run_id=run_id))
    assert (result.state, result.products) == (ImpactRunState.DONE, 1)
    with Session(fresh_engine) as session:
        run = get_run(session=session, run_id=run_id)
        assert (run.state, run.products_done, run.products_total) == ("done", 1, 1)
        report = report_of(run)
        assert (report.candidate_version, report.active_version, report.products) == ("1.0.0", "2.0.0", 1)

    missing = _run(fresh_engine, "9.9.9")
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(activities.run_rule_impact, RuleImpactInput(run_id=missing))
    assert refused.value.non_retryable and "cannot load rule pack 9.9.9" in refused.value.message
