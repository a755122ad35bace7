"""The worker: builds dependencies once, registers the workflows and activities, and polls.

Run with `gcu-review worker` (or `python worker.py`). Several workers may run against one
Temporal namespace and one database; activities are idempotent, so a crash mid-activity is safe.
"""

import asyncio
import compileall
import logging
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

import workflows
from activities.audit_anchor import AuditAnchorActivities
from activities.certifications import CertificationActivities
from activities.impact import ImpactActivities
from activities.notify import NotifyActivities
from activities.review import ReviewActivities, precheck_pool
from activities.review_endings import ReviewEndingActivities
from activities.summaries import SummaryActivities
from service.memory import return_large_blocks_to_the_system
from service.workflow_runner import ReviewWorkflowRunner
from settings import Settings, get_settings
from store.db import make_engine
from workflows.audit_anchor import AuditAnchorWorkflow
from workflows.cert_sweep import CertificationSweepWorkflow
from workflows.impact import RuleImpactWorkflow
from workflows.outbox import NotificationOutboxWorkflow
from workflows.review import ProductReviewWorkflow
from workflows.review_endings import ReviewEndingsWorkflow
from workflows.summaries import ComplianceSummaryWorkflow

log = logging.getLogger("gcu_review.worker")


def cache_workflow_bytecode() -> None:
    """The workflow sandbox imports each workflow module afresh for every workflow instance it
    creates. Without a bytecode cache (PYTHONDONTWRITEBYTECODE, an editable install) every one of
    those imports compiles the source again; write the cache once. A read-only folder is no error:
    an installed package has its cache already (pip writes it)."""
    compileall.compile_dir(str(Path(workflows.__file__).parent), quiet=2, maxlevels=0)


def build_worker(client: Client, settings: Settings, *, task_queue: str | None = None) -> Worker:
    cache_workflow_bytecode()
    return_large_blocks_to_the_system()  # a pre-check of a 25 MB product must not keep its memory
    db_engine = make_engine(settings.database_url)
    review_activities = ReviewActivities(
        db_engine=db_engine, settings=settings, check_pool=precheck_pool(settings.precheck_processes)
    )
    # Load the rule packs now: a broken pack stops the worker at start (with file, line and column),
    # not at the first pre-check.
    review_activities.rules_engine()
    cert_activities = CertificationActivities(db_engine=db_engine, settings=settings)
    notify_activities = NotifyActivities(db_engine=db_engine, settings=settings)
    summary_activities = SummaryActivities(db_engine=db_engine, settings=settings)
    anchor_activities = AuditAnchorActivities(db_engine=db_engine)
    impact_activities = ImpactActivities(db_engine=db_engine, settings=settings)
    ending_activities = ReviewEndingActivities(db_engine=db_engine, client=client, settings=settings)
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflow_runner=ReviewWorkflowRunner(client.data_converter),
        workflows=[
            ProductReviewWorkflow,
            CertificationSweepWorkflow,
            NotificationOutboxWorkflow,
            ComplianceSummaryWorkflow,
            AuditAnchorWorkflow,
            RuleImpactWorkflow,
            ReviewEndingsWorkflow,
        ],
        activities=[
            review_activities.precheck,
            review_activities.record_transitions,
            review_activities.record_transition,
            *cert_activities.all(),
            *notify_activities.all(),
            *summary_activities.all(),
            *anchor_activities.all(),
            *impact_activities.all(),
            *ending_activities.all(),
        ],
    )


async def run_worker(settings: Settings | None = None, stop: asyncio.Event | None = None) -> None:
    from service.temporal_client import connect
    from service.temporal_setup import prepare_namespace

    settings = settings or get_settings()
    client = await connect(settings)
    # Search attributes (registered, or a refusal to start naming the missing ones) and schedules
    # (created if missing; an operator's pause survives): idempotent, every worker start does it.
    await prepare_namespace(client, settings)
    worker = build_worker(client, settings)
    log.info("worker polling task queue %s on %s", settings.task_queue, settings.temporal_address)
    async with worker:
        await (stop.wait() if stop else asyncio.Future())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run_worker())
