"""The activities of a `rules impact` run asked for on the GCU head's page: run the candidate pack
over the latest version of every stored product (service/impact.py) and store the report.

Idempotent: a retry starts the stored run again from zero and overwrites its progress and report.
The pack is read from the worker's pack folder by version; the page only offers those versions."""

import asyncio

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.impact import (
    FAIL_RULE_IMPACT,
    RUN_RULE_IMPACT,
    ImpactRunState,
    RuleImpactFailure,
    RuleImpactInput,
    RuleImpactResult,
)
from service.impact import run_impact
from settings import Settings
from store.db import session_scope
from store.impact import count_products
from store.impact_runs import fail_run, finish_run, get_run, record_progress, start_run

HEARTBEAT_SECONDS = 10


class ImpactActivities:
    def __init__(self, db_engine: Engine, settings: Settings):
        self.db_engine = db_engine
        self.settings = settings

    @activity.defn(name=RUN_RULE_IMPACT)
    async def run_rule_impact(self, request: RuleImpactInput) -> RuleImpactResult:
        # The check runs on a thread; this coroutine heartbeats meanwhile, so a worker that dies
        # mid-run is noticed within the heartbeat timeout and the run is started again elsewhere.
        work = asyncio.ensure_future(asyncio.to_thread(self._run, request))
        while not work.done():
            activity.heartbeat()
            await asyncio.wait({work}, timeout=HEARTBEAT_SECONDS)
        return work.result()

    @activity.defn(name=FAIL_RULE_IMPACT)
    async def fail_rule_impact(self, request: RuleImpactFailure) -> None:
        await asyncio.to_thread(self._fail, request)

    def _run(self, request: RuleImpactInput) -> RuleImpactResult:
        from rules.library import library
        from rules.pack import PackError

        with session_scope(self.db_engine) as session:
            run = get_run(session=session, run_id=request.run_id)
            if run is None:
                return RuleImpactResult(run_id=request.run_id, state=ImpactRunState.FAILED)
            candidate_version = run.candidate_version
            start_run(session=session, run_id=request.run_id, total=count_products(session=session))
        try:
            lib = library(self.settings.rules_pack_dir, self.settings.rules_pack_version)
            candidate, active = lib.engine(candidate_version), lib.engine(None)
        except PackError as exc:  # the worker's pack folder lacks it: trying again cannot help
            raise ApplicationError(
                f"The worker cannot load rule pack {candidate_version}: {exc}", type="PackError", non_retryable=True
            ) from exc

        def progress(done: int) -> None:
            with session_scope(self.db_engine) as session:
                record_progress(session=session, run_id=request.run_id, done=done)

        report = run_impact(db_engine=self.db_engine, candidate=candidate, active=active, progress=progress)
        with session_scope(self.db_engine) as session:
            finish_run(session=session, run_id=request.run_id, report=report)
        return RuleImpactResult(
            run_id=request.run_id,
            state=ImpactRunState.DONE,
            products=report.products,
            products_changed=report.products_changed,
        )

    def _fail(self, request: RuleImpactFailure) -> None:
        with session_scope(self.db_engine) as session:
            fail_run(session=session, run_id=request.run_id, error=request.error)

    def all(self) -> list:
        return [self.run_rule_impact, self.fail_rule_impact]
