"""RuleImpactWorkflow: one `rules impact` run asked for on the GCU head's page, carried out by the
worker (activities/impact.py) instead of inside the page's HTTP request. The run, its progress and
its report are stored rows; the workflow only runs the activity and records a failure in words."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from models.impact import (
        FAIL_RULE_IMPACT,
        RUN_RULE_IMPACT,
        ImpactRunState,
        RuleImpactFailure,
        RuleImpactInput,
        RuleImpactResult,
    )

# 10k products take minutes; an hour is far beyond any office's register.
RUN_TIMEOUT = timedelta(hours=1)
HEARTBEAT_TIMEOUT = timedelta(minutes=2)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1), maximum_attempts=3)


def workflow_id(run_id: int, nonce: str) -> str:
    """Unique even when two databases (a restored copy, a test) share a Temporal namespace and so
    reuse run numbers."""
    return f"rule-impact-{run_id}-{nonce}"


@workflow.defn(name="RuleImpactWorkflow")
class RuleImpactWorkflow:
    @workflow.run
    async def run(self, request: RuleImpactInput) -> RuleImpactResult:
        try:
            return await workflow.execute_activity(
                RUN_RULE_IMPACT,
                request,
                result_type=RuleImpactResult,
                start_to_close_timeout=RUN_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            reason = getattr(cause, "message", None) or str(cause or err)
            await workflow.execute_activity(
                FAIL_RULE_IMPACT,
                RuleImpactFailure(run_id=request.run_id, error=reason),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            return RuleImpactResult(run_id=request.run_id, state=ImpactRunState.FAILED)
