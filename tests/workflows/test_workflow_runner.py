"""The workers' workflow runner (service/workflow_runner.py): the default sandbox, which answers the
codec's context questions without entering it when the codec takes no context."""

import asyncio
import dataclasses
from collections.abc import Sequence
from uuid import uuid4

from runner_workflows import ClockWorkflow, EchoWorkflow, echo
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.worker import Worker

from service.data_converter import data_converter_for
from service.workflow_runner import ReviewWorkflowRunner, codec_ignores_context


class ContextRecordingCodec(PayloadCodec, WithSerializationContext):
    """A codec that takes the context (as one that keys payloads per workflow would), and notes
    each context it encodes under."""

    def __init__(self, seen: list[tuple[bytes, SerializationContext | None]], context=None):
        self.seen, self.context = seen, context

    def with_context(self, context: SerializationContext) -> "ContextRecordingCodec":
        return ContextRecordingCodec(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.extend((payload.data, self.context) for payload in payloads)
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def client_with(client: Client, data_converter: DataConverter) -> Client:
    return Client(**{**client.config(), "data_converter": data_converter})


def test_our_codec_takes_no_context():
    assert codec_ignores_context(data_converter_for())
    assert not codec_ignores_context(DataConverter(payload_codec=ContextRecordingCodec([])))


async def run_echo(client: Client, text: str) -> str:
    """EchoWorkflow, run once on a worker of its own under the runner, with the client's converter."""
    queue = f"runner-{uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[EchoWorkflow],
        activities=[echo],
        workflow_runner=ReviewWorkflowRunner(client.data_converter),
    ):
        return await client.execute_workflow(EchoWorkflow.run, text, id=queue, task_queue=queue)


async def test_a_workflow_runs_under_the_runner_with_our_sealed_payloads(temporal_env):
    assert await run_echo(temporal_env.client, "sealed both ways") == "SEALED BOTH WAYS"


async def test_a_codec_that_takes_context_gets_the_sandbox_answer_per_command(temporal_env):
    seen: list[tuple[bytes, SerializationContext | None]] = []
    converter = dataclasses.replace(DataConverter.default, payload_codec=ContextRecordingCodec(seen))
    assert await run_echo(client_with(temporal_env.client, converter), "in") == "IN"
    # The workflow encoded the activity's input under the activity's own context: the sandbox's answer.
    contexts = [context for data, context in seen if data == b'"in"']
    assert any(isinstance(c, ActivitySerializationContext) and c.activity_type == "runner-echo" for c in contexts)


async def test_the_sandbox_still_refuses_a_workflow_that_reads_the_clock(temporal_env):
    client = temporal_env.client
    queue = f"runner-{uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[ClockWorkflow], workflow_runner=ReviewWorkflowRunner(client.data_converter)
    ):
        handle = await client.start_workflow(ClockWorkflow.run, id=queue, task_queue=queue)
        failure = None
        for _ in range(100):
            async for event in handle.fetch_history_events():
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    failure = event.workflow_task_failed_event_attributes.failure
            if failure is not None:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test finished")
    assert failure is not None, "the workflow task reading the clock did not fail"
    error = await client.data_converter.decode_failure(failure)
    assert "datetime.datetime.now" in str(error) and "restricted" in str(error).lower()
