"""The activities of a `rules impact` run asked for on the GCU head's page: run the candidate pack
over the latest version of every stored product (service/impact.py) and store the report.

Idempotent: a retry starts the stored run again from zero and overwrites its progress and report.
The pack is read from the worker's pack folder by version; the page only offers those versions.

Checking 10k products holds a CPU for minutes. With PRECHECK_PROCESSES > 0 (production) the run has
a spawned process of its own, like the pre-checks, so it holds neither the worker's interpreter nor
its event loop; with 0 it runs on a thread of the worker."""

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

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
from settings import Settings
from store.db import session_scope
from store.impact_runs import fail_run

HEARTBEAT_SECONDS = 10
PROGRESS_EVERY = 200  # products between two progress rows written for the page


class PackUnavailable(Exception):
    """The worker's pack folder lacks the run's pack (a plain exception: it crosses processes)."""


def carry_out(db_engine: Engine, pack_dir: Path | None, pack_version: str | None, run_id: int) -> RuleImpactResult:
    from rules.library import library
    from rules.pack import PackError
    from service.impact import run_impact
    from store.impact import count_products
    from store.impact_runs import finish_run, get_run, record_progress, start_run

    with session_scope(db_engine) as session:
        run = get_run(session=session, run_id=run_id)
        if run is None:
            return RuleImpactResult(run_id=run_id, state=ImpactRunState.FAILED)
        candidate_version = run.candidate_version
        start_run(session=session, run_id=run_id, total=count_products(session=session))
    try:
        lib = library(pack_dir, pack_version)
        candidate, active = lib.engine(candidate_version), lib.engine(None)
    except PackError as exc:
        raise PackUnavailable(f"The worker cannot load rule pack {candidate_version}: {exc}") from None

    def progress(done: int, _total: int) -> None:
        if done % PROGRESS_EVERY == 0:  # a write per product would cost more than the check
            with session_scope(db_engine) as session:
                record_progress(session=session, run_id=run_id, done=done)

    report = run_impact(db_engine=db_engine, candidate=candidate, active=active, progress=progress)
    with session_scope(db_engine) as session:
        finish_run(session=session, run_id=run_id, report=report)
    return RuleImpactResult(
        run_id=run_id, state=ImpactRunState.DONE, products=report.products, products_changed=report.products_changed
    )


def carry_out_in_process(database_url: str, pack_dir: Path | None, pack_version: str | None, run_id: int):
    from store.db import make_engine

    engine = make_engine(database_url)
    try:
        return carry_out(engine, pack_dir, pack_version, run_id)
    finally:
        engine.dispose()


class ImpactActivities:
    def __init__(self, db_engine: Engine, settings: Settings):
        self.db_engine = db_engine
        self.settings = settings

    @activity.defn(name=RUN_RULE_IMPACT)
    async def run_rule_impact(self, request: RuleImpactInput) -> RuleImpactResult:
        # This coroutine heartbeats while the check runs elsewhere, so a worker that dies mid-run is
        # noticed within the heartbeat timeout and the run is started again on another.
        s = self.settings
        pool = None
        if s.precheck_processes > 0:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            work = asyncio.get_running_loop().run_in_executor(
                pool, carry_out_in_process, s.database_url, s.rules_pack_dir, s.rules_pack_version, request.run_id
            )
        else:
            work = asyncio.ensure_future(
                asyncio.to_thread(carry_out, self.db_engine, s.rules_pack_dir, s.rules_pack_version, request.run_id)
            )
        try:
            while not work.done():
                activity.heartbeat()
                await asyncio.wait({work}, timeout=HEARTBEAT_SECONDS)
            return work.result()
        except PackUnavailable as exc:  # trying again cannot help
            raise ApplicationError(str(exc), type="PackError", non_retryable=True) from None
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    @activity.defn(name=FAIL_RULE_IMPACT)
    async def fail_rule_impact(self, request: RuleImpactFailure) -> None:
        await asyncio.to_thread(self._fail, request)

    def _fail(self, request: RuleImpactFailure) -> None:
        with session_scope(self.db_engine) as session:
            fail_run(session=session, run_id=request.run_id, error=request.error)

    def all(self) -> list:
        return [self.run_rule_impact, self.fail_rule_impact]
