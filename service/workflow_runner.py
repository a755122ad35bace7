"""The workflow runner of our workers: Temporal's default sandbox, with two questions answered
outside it.

Before it encodes or decodes the payloads of an activation, the worker asks the workflow instance,
for each of them, for its serialization context (which workflow, which activity: a codec that signs
or keys payloads per workflow uses it) and for its external-storage context. The sandboxed instance
answers each question by compiling and running a code string inside the sandbox, its import hooks
installed and removed again: about 85 times per review lifecycle. In a profile of
`bench/workflow_bench.py` that was 21% of the review worker's Python time, seven times what the
workflow code itself took (3%).

Our codec (service/payload_codec.py) seals every payload with the same keyring whatever its context,
and we store no payload externally, so the answers cannot change a byte that is written. Where that
holds (`codec_ignores_context`), the instances this runner creates answer with the workflow's own
contexts, without entering the sandbox. Everything the workflow runs (activations, and with them the
sandbox's import restrictions and determinism checks) still runs in the sandbox; a codec or storage
that takes a context gets the sandbox's answers, as before.
"""

from collections.abc import Sequence

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    DataConverter,
    SerializationContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import Info, _Definition


def codec_ignores_context(data_converter: DataConverter) -> bool:
    """Whether what the worker encodes outside the sandbox (the codec, external storage) is the
    same whatever the serialization context."""
    return not isinstance(data_converter.payload_codec, WithSerializationContext) and (
        data_converter.external_storage is None
    )


class ReviewWorkflowRunner(WorkflowRunner):
    """The default sandbox; instances that answer the codec's context questions directly when
    `codec_ignores_context(data_converter)`."""

    def __init__(self, data_converter: DataConverter) -> None:
        self._sandbox = SandboxedWorkflowRunner()
        self._direct_context = codec_ignores_context(data_converter)

    def prepare_workflow(self, defn: _Definition) -> None:
        self._sandbox.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        instance = self._sandbox.create_instance(det)
        if not self._direct_context:
            return instance
        info = det.info
        return _ContextOutsideSandbox(
            instance,
            WorkflowSerializationContext(namespace=info.namespace, workflow_id=info.workflow_id),
            StorageDriverStoreContext(
                target=StorageDriverWorkflowInfo(
                    id=info.workflow_id, run_id=info.run_id, type=info.workflow_type, namespace=info.namespace
                )
            ),
        )

    def set_worker_level_failure_exception_types(self, types: Sequence[type[BaseException]]) -> None:
        self._sandbox.set_worker_level_failure_exception_types(types)


class _ContextOutsideSandbox(WorkflowInstance):
    """A sandboxed instance, answering both context questions with its workflow's (the sandbox's
    answer where no command is concerned)."""

    def __init__(
        self, sandboxed: WorkflowInstance, context: WorkflowSerializationContext, store: StorageDriverStoreContext
    ) -> None:
        self.sandboxed = sandboxed
        self._context, self._store = context, store

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self.sandboxed.activate(act)

    def get_serialization_context(self, command_info) -> SerializationContext | None:
        # The worker compares this with the workflow's context and then uses the converter it
        # built for it: no converter is built per payload.
        return self._context

    def get_external_store_context(self, command_info) -> StorageDriverStoreContext:
        return self._store

    def get_info(self) -> Info:
        return self.sandboxed.get_info()

    def get_thread_id(self) -> int | None:
        return self.sandboxed.get_thread_id()
