"""ReviewEndingsWorkflow: records the abnormal endings of review workflows.

A review's workflow can end without a word from itself: `temporal workflow terminate`, the server
terminating it at its history limit, a run timeout, a failure. The database then goes on saying the
review is in review, and nobody knows until someone acts on it. Run by the Temporal Schedule
`review-endings` every REVIEW_ENDINGS_MINUTES, the activity lists the review workflows of this
deployment that ended so (a visibility query), and for each whose review the database holds open
records the ending (audit event `workflow_ended`, `review.workflow_ended`), tells the GCU head and
the assignee, and logs an ALERT. Idempotent (store/review_endings.py): a run that finds them again
records nothing. `gcu-review repair --restart` then carries the review on.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.ending_messages import RECORD_ABNORMAL_ENDINGS, EndingsInput, EndingsReport

SCHEDULE_ID = "review-endings"
WORKFLOW_ID = "review-endings"


@workflow.defn(name="ReviewEndingsWorkflow")
class ReviewEndingsWorkflow:
    @workflow.run
    async def run(self, request: EndingsInput) -> EndingsReport:
        return await workflow.execute_activity(
            RECORD_ABNORMAL_ENDINGS,
            request,
            result_type=EndingsReport,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=30),
            # Within the run's interval: the next run finds what this one could not record.
            schedule_to_close_timeout=timedelta(minutes=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1)),
        )
