"""The GCU head's page for a rule-pack roll-out: what a pack of the configured pack folder would
change on the latest version of every stored product (`gcu-review rules impact`, in the browser).

Checking every stored product takes minutes at 10k products, far too long for an HTTP request: the
page stores a run and starts RuleImpactWorkflow, the worker runs it (activities/impact.py), and the
run's page shows its progress until the stored report is there."""

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request

from models.impact import RULE_IMPACT_WORKFLOW, ImpactRunState, RuleImpactInput
from store.db import session_scope
from store.impact_runs import create_run, fail_run, get_run, recent_runs, report_of, run_under_way
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, TemporalClient, require
from web.templating import flash_redirect, render
from workflows.impact import workflow_id

router = APIRouter(include_in_schema=False, route_class=DbRoute)
log = logging.getLogger("gcu_review.web")
REFUSED = "The impact of a rule pack is for the GCU head."


def _library(request: Request):
    from rules.library import library

    settings = request.app.state.settings
    return library(settings.rules_pack_dir, settings.rules_pack_version)


@router.get("/rules/impact")
def rule_impact(request: Request, db: DbSession, me: PagePrincipal, pack: str | None = None):
    require(me.may_see_rule_impact(), REFUSED)
    lib = _library(request)
    return render(
        request,
        "rule_impact.html",
        {
            "title": "Rule pack impact",
            "versions": lib.versions,
            "active": lib.active_version,
            "chosen": pack,
            "runs": recent_runs(session=db),
        },
    )


@router.post("/rules/impact")
async def start_rule_impact(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, pack: Annotated[str, Form()] = ""
):
    require(me.may_see_rule_impact(), REFUSED)
    from rules.pack import PackError

    lib = _library(request)
    # Only packs of the configured folder: a page never loads rules from a path it is given.
    try:
        version = lib.resolve(pack)
    except PackError:
        return flash_redirect(request, "/rules/impact", f"There is no rule pack {pack!r} in the pack folder.", "error")
    under_way = run_under_way(session=db, candidate_version=version, active_version=lib.active_version)
    if under_way is not None:
        return flash_redirect(
            request,
            f"/rules/impact/runs/{under_way.id}",
            f"A run of pack {version} is already under way (asked for by {under_way.requested_by}): this is it.",
        )
    db.close()  # no pooled connection is held while Temporal answers
    engine = request.app.state.db_engine
    with session_scope(engine) as session:
        run_id = create_run(
            session=session, candidate_version=version, active_version=lib.active_version, requested_by=me.username
        ).id
    assert run_id is not None
    try:
        await client.start_workflow(
            RULE_IMPACT_WORKFLOW,
            RuleImpactInput(run_id=run_id),
            id=workflow_id(run_id, uuid.uuid4().hex[:8]),
            task_queue=request.app.state.settings.task_queue,
        )
    except Exception:  # Temporal unreachable: the run is recorded as failed, in words
        log.exception("rule impact run %s could not be started", run_id)
        with session_scope(engine) as session:
            fail_run(session=session, run_id=run_id, error="the worker could not be reached; the run was not started.")
        return flash_redirect(
            request, f"/rules/impact/runs/{run_id}", "The run could not be started; try again later.", "error"
        )
    return flash_redirect(
        request, f"/rules/impact/runs/{run_id}", f"Checking every stored product with pack {version}."
    )


def _run_or_404(db, run_id: int):
    run = get_run(session=db, run_id=run_id)
    if run is None:
        raise HTTPException(404, "No such impact run.")
    return run


@router.get("/rules/impact/runs/{run_id}")
def rule_impact_run(request: Request, db: DbSession, me: PagePrincipal, run_id: int):
    require(me.may_see_rule_impact(), REFUSED)
    run = _run_or_404(db, run_id)
    return render(
        request,
        "rule_impact_run.html",
        {
            "title": f"Rule pack impact: pack {run.candidate_version}",
            "run": run,
            "report": report_of(run),
            "pending": run.state in (ImpactRunState.QUEUED, ImpactRunState.RUNNING),
        },
    )


@router.get("/rules/impact/runs/{run_id}/progress")
def rule_impact_progress(request: Request, db: DbSession, me: PagePrincipal, run_id: int):
    """The progress line the run's page polls; once the run has ended, the page reloads itself."""
    require(me.may_see_rule_impact(), REFUSED)
    run = _run_or_404(db, run_id)
    response = render(request, "_impact_progress.html", {"run": run})
    if run.state in (ImpactRunState.DONE, ImpactRunState.FAILED):
        response.headers["HX-Refresh"] = "true"
    return response
