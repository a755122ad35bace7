"""AuditAnchorWorkflow: a checkpoint of the audit chain's head, kept outside the database.

Run by the Temporal Schedule `audit-anchor` every AUDIT_ANCHOR_MINUTES. The workflow's result (the
head's length, last event id and hash) stays in its Temporal history, which the database role
cannot write: `gcu-review audit verify` reads the recorded checkpoints back and compares them with
the chain, so rewinding the head after deleting the newest events, or rewriting the trail with a
recomputed chain, no longer goes unnoticed (store/audit.py verify_chain).
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.audit_messages import READ_CHAIN_HEAD, AnchoredHead, AnchorInput

SCHEDULE_ID = "audit-anchor"
WORKFLOW_ID = "audit-anchor"
WORKFLOW_TYPE = "AuditAnchorWorkflow"
# Checkpoints kept in Temporal's history as long as the namespace's retention; `audit verify` reads
# the newest ones (each covers every event before it, since the chain is cumulative).
VERIFY_NEWEST = 200


@workflow.defn(name=WORKFLOW_TYPE)
class AuditAnchorWorkflow:
    @workflow.run
    async def run(self, request: AnchorInput) -> AnchoredHead:
        return await workflow.execute_activity(
            READ_CHAIN_HEAD, request, result_type=AnchoredHead, start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1)),
        )


def anchor_schedule(task_queue: str, minutes: int):
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleIntervalSpec,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleSpec,
    )

    return Schedule(
        action=ScheduleActionStartWorkflow(AuditAnchorWorkflow.run, AnchorInput(), id=WORKFLOW_ID, task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=minutes))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_anchor_schedule(client, settings) -> str:
    """Create schedule `audit-anchor`, or update it to the current definition; idempotent."""
    from temporalio.client import ScheduleAlreadyRunningError, ScheduleUpdate

    schedule = anchor_schedule(settings.task_queue, settings.audit_anchor_minutes)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(SCHEDULE_ID).update(lambda _: ScheduleUpdate(schedule=schedule))
        return "updated"
