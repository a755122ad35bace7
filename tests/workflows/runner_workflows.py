"""Workflows for tests/workflows/test_workflow_runner.py, in a module of their own: the sandbox
imports a workflow's module by name, and this one imports nothing but Temporal's."""

from datetime import datetime, timedelta

from temporalio import activity, workflow


@activity.defn(name="runner-echo")
async def echo(text: str) -> str:
    return text.upper()


@workflow.defn(name="RunnerEchoWorkflow")
class EchoWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(echo, text, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn(name="RunnerClockWorkflow")
class ClockWorkflow:
    """Reads the machine's clock: not deterministic, which the sandbox refuses."""

    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()
