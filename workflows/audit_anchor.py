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
            READ_CHAIN_HEAD,
            request,
            result_type=AnchoredHead,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1)),
        )
