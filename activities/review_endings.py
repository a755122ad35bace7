"""The reconciliation's one activity (workflows/review_endings.py): finds the review workflows of this
deployment that ended abnormally, and records each ending whose review the database holds open."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from temporalio import activity
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models.ending_messages import (
    ABNORMAL_STATUSES,
    RECORD_ABNORMAL_ENDINGS,
    EndingsInput,
    EndingsReport,
    RecordedEnding,
)
from models.messages import REVIEW_WORKFLOW_ID_PREFIX
from store.review_endings import record_workflow_ending

log = logging.getLogger("gcu_review.review_endings")

REVIEW_WORKFLOW_TYPE = "ProductReviewWorkflow"
# Endings older than this are left to `gcu-review repair` (which checks every open review): the
# schedule catches up on anything shorter than a worker outage of this length.
LOOK_BACK = timedelta(days=14)
ENDINGS_METRIC = "gcu_review_abnormal_endings"
ENDED = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
}


def abnormal_endings_query(task_queue: str, since: datetime) -> str:
    statuses = " OR ".join(f"ExecutionStatus = '{status}'" for status in ABNORMAL_STATUSES)
    return (
        f"WorkflowType = '{REVIEW_WORKFLOW_TYPE}' AND TaskQueue = '{task_queue}' AND ({statuses}) "
        f"AND CloseTime > '{since.astimezone(UTC).isoformat().replace('+00:00', 'Z')}'"
    )


class ReviewEndingActivities:
    def __init__(self, *, db_engine: sa.Engine, client: Client, settings) -> None:
        self.db_engine = db_engine
        self.client = client
        self.settings = settings

    @activity.defn(name=RECORD_ABNORMAL_ENDINGS)
    async def record_abnormal_endings(self, _request: EndingsInput) -> EndingsReport:
        report = EndingsReport()
        query = abnormal_endings_query(self.settings.task_queue, datetime.now(UTC) - LOOK_BACK)
        async for execution in self.client.list_workflows(query):
            activity.heartbeat()
            ended = ENDED.get(execution.status) if execution.status is not None else None
            if ended is None or not execution.id.startswith(REVIEW_WORKFLOW_ID_PREFIX):
                continue
            if not await self._latest_run(execution):
                continue  # a newer run carries the review on (a restart): this ending is behind it
            product_id = execution.id.removeprefix(REVIEW_WORKFLOW_ID_PREFIX)
            outcome = await asyncio.to_thread(
                record_workflow_ending,
                db_engine=self.db_engine,
                product_id=product_id,
                workflow_id=execution.id,
                run_id=execution.run_id,
                ended=ended,
                at=execution.close_time or datetime.now(UTC),
            )
            if outcome.recorded:
                assert outcome.audit_event_id is not None
                log.error(
                    "ALERT: the review of %s stopped: its workflow %s while %s (run %s); recorded, the GCU head "
                    "is told; restart it with `gcu-review repair --restart`",
                    product_id,
                    ended,
                    outcome.state,
                    execution.run_id,
                )
                activity.metric_meter().create_counter(
                    ENDINGS_METRIC, "review workflows found ended abnormally while their review was open"
                ).add(1)
                report.recorded.append(
                    RecordedEnding(
                        product_id=product_id,
                        run_id=execution.run_id,
                        ended=ended,
                        closed_at=execution.close_time,
                        state=outcome.state,
                        audit_event_id=outcome.audit_event_id,
                    )
                )
            elif outcome.open:
                report.already_recorded += 1
            else:
                report.not_open += 1
        return report

    async def _latest_run(self, execution: WorkflowExecution) -> bool:
        try:
            latest = await self.client.get_workflow_handle(execution.id).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return latest.run_id == execution.run_id

    def all(self) -> list:
        return [self.record_abnormal_endings]
