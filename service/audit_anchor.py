"""Reading the audit checkpoints back from Temporal (workflows/audit_anchor.py), for `audit verify`."""

from temporalio.client import Client, WorkflowExecutionStatus

from models.audit_messages import AnchoredHead
from workflows.audit_anchor import VERIFY_NEWEST, WORKFLOW_TYPE


async def recorded_anchors(client: Client, *, task_queue: str, newest: int = VERIFY_NEWEST) -> list[AnchoredHead]:
    """The newest completed checkpoints of this deployment (its task queue), oldest first."""
    anchors = []
    query = f'WorkflowType = "{WORKFLOW_TYPE}" AND ExecutionStatus = "Completed" AND TaskQueue = "{task_queue}"'
    async for execution in client.list_workflows(query, limit=newest):
        if execution.status != WorkflowExecutionStatus.COMPLETED:
            continue
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id, result_type=AnchoredHead)
        anchors.append(await handle.result())
    return sorted(anchors, key=lambda a: (a.length, a.recorded_at))
