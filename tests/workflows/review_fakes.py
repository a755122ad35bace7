"""Fake activities and small factories, so the workflow is tested alone (the real activities on the
database are tested in tests/activities/). The fakes register under the real activity names and
keep every call, so tests assert exactly what the workflow asked to record and whom to notify."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from uuid import uuid4

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import names
from models.enums import ProductType, ReviewAction, ReviewState, Severity, StaffRole
from models.findings import Finding, verdict_for
from models.messages import (
    Actor,
    FindingView,
    PrecheckInput,
    PrecheckResult,
    RecordTransitionInput,
    RecordTransitionResult,
    RecordTransitionsInput,
    RecordTransitionsResult,
    ReviewStatus,
    SlaPolicy,
    SubmitProductInput,
)
from service.workflow_runner import ReviewWorkflowRunner
from workflows.review import ProductReviewWorkflow, workflow_id_for

TEAM_ID = "T-OSPREY"
OTHER_TEAM_ID = "T-KESTREL"
AUTHOR = Actor(staff_id="inv-ana", roles=[StaffRole.INVESTIGATOR], team_ids=[TEAM_ID], name="Ana")
TEAMMATE = Actor(staff_id="inv-bo", roles=[StaffRole.ANALYST], team_ids=[TEAM_ID])
REVIEWER = Actor(staff_id="gcu-rev-1", roles=[StaffRole.GCU_REVIEWER])
REVIEWER_2 = Actor(staff_id="gcu-rev-2", roles=[StaffRole.GCU_REVIEWER])
HEAD = Actor(staff_id="gcu-head", roles=[StaffRole.GCU_HEAD])
OUTSIDER = Actor(staff_id="inv-zed", roles=[StaffRole.INVESTIGATOR], team_ids=[OTHER_TEAM_ID])


def rid() -> str:
    return str(uuid4())


def finding(rule_id: str, severity: Severity = Severity.MAJOR) -> Finding:
    return Finding(rule_id=rule_id, severity=severity, message=f"{rule_id} fired", citation="policy §1", location="§2")


class FakeReviewActivities:
    """`findings_by_version[version_no]` is what the pre-check reports for that version."""

    def __init__(
        self,
        findings_by_version: dict[int, list[Finding]] | None = None,
        *,
        record_delay: float = 0.0,
        precheck_error: str | None = None,
        precheck_gate: asyncio.Event | None = None,
    ) -> None:
        self.findings_by_version = findings_by_version or {}
        self.precheck_gate = precheck_gate  # when given, a pre-check finishes only once it is set
        self.record_delay = record_delay
        self.precheck_error = precheck_error
        self.prechecks: list[PrecheckInput] = []
        self.records: list[RecordTransitionInput] = []
        self.calls: list[int] = []  # transitions per recording call
        self._recorded: set[tuple[str, int]] = set()

    @activity.defn(name=names.PRECHECK)
    async def precheck(self, inp: PrecheckInput) -> PrecheckResult:
        self.prechecks.append(inp)
        if self.precheck_gate is not None:
            await self.precheck_gate.wait()
        if self.precheck_error:
            raise ApplicationError(self.precheck_error, type="VersionNotFound", non_retryable=True)
        findings = self.findings_by_version.get(inp.version_no, [])
        return PrecheckResult(
            verdict=verdict_for(findings),
            pack_version="test-pack-1",
            findings=[
                FindingView(finding_id=f"{inp.product_id}:v{inp.version_no}:{f.rule_id}", **f.model_dump())
                for f in findings
            ],
        )

    @activity.defn(name=names.RECORD_TRANSITIONS)
    async def record_transitions(self, inp: RecordTransitionsInput) -> RecordTransitionsResult:
        self.calls.append(len(inp.transitions))
        if self.record_delay:
            await asyncio.sleep(self.record_delay)
        return RecordTransitionsResult(results=[self._record(item) for item in inp.transitions])

    @activity.defn(name=names.RECORD_TRANSITION)
    async def record_transition(self, inp: RecordTransitionInput) -> RecordTransitionResult:
        """The one-at-a-time form, which only histories recorded before record_transitions use."""
        self.calls.append(1)
        if self.record_delay:
            await asyncio.sleep(self.record_delay)
        return self._record(inp)

    def _record(self, inp: RecordTransitionInput) -> RecordTransitionResult:
        key = (inp.workflow_id, inp.transition.seq)
        created = key not in self._recorded
        if created:
            self._recorded.add(key)
            self.records.append(inp)
        return RecordTransitionResult(
            audit_event_id=len(self.records), created=created, notifications_created=len(inp.notifications)
        )

    def actions(self) -> list[ReviewAction]:
        return [r.transition.action for r in self.records]

    def last(self, action: ReviewAction) -> RecordTransitionInput:
        return next(r for r in reversed(self.records) if r.transition.action == action)


def submit_input(product_id: str | None = None, **overrides) -> SubmitProductInput:
    values = dict(
        product_id=product_id or f"P-{uuid4().hex[:10]}",
        version_id=101,
        version_no=1,
        version_label="v1",
        product_type=ProductType.IO,
        team_id=TEAM_ID,
        situation="SIT-VELMORA",
        author_id=AUTHOR.staff_id,
        title="Interview outline W-17",
        submitted_by=AUTHOR,
        request_id=rid(),
        sla=SlaPolicy(),
    )
    values.update(overrides)
    return SubmitProductInput(**values)


# Workflows started per task queue, terminated when their worker stops: on the time-skipping
# server a left-over workflow whose timer fires with no worker polling would freeze the clock.
_started: dict[str, list[WorkflowHandle]] = {}


@asynccontextmanager
async def review_worker(env: WorkflowEnvironment, fakes: FakeReviewActivities) -> AsyncIterator[str]:
    task_queue = f"review-{uuid4()}"
    _started[task_queue] = []
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[ProductReviewWorkflow],
            activities=[fakes.precheck, fakes.record_transitions, fakes.record_transition],
            workflow_runner=ReviewWorkflowRunner(env.client.data_converter),  # as worker.py runs it
        ):
            yield task_queue
    finally:
        for started in _started.pop(task_queue):
            handle = env.client.get_workflow_handle(started.id)  # the latest run, after continue-as-new
            description = await handle.describe()
            if description.status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test finished")


async def start_review(
    env: WorkflowEnvironment, task_queue: str, inp: SubmitProductInput | None = None
) -> WorkflowHandle:
    inp = inp or submit_input()
    handle = await env.client.start_workflow(
        ProductReviewWorkflow.run, inp, id=workflow_id_for(inp.product_id), task_queue=task_queue
    )
    _started[task_queue].append(handle)
    return handle


async def wait_until(handle: WorkflowHandle, predicate, *, timeout: float = 10.0) -> ReviewStatus:
    """Poll the status query until `predicate(status)` holds (real time; the test server does not
    skip time while only queries are outstanding)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await handle.query(ProductReviewWorkflow.status)
        if predicate(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"condition not reached; last status: {status.state}, history {[h.action for h in status.history]}"
            )
        await asyncio.sleep(0.05)


async def wait_for_state(handle: WorkflowHandle, state: ReviewState) -> ReviewStatus:
    return await wait_until(handle, lambda s: s.state == state)


async def refusal(update) -> ApplicationError:
    """Await an update that must be refused; return the ApplicationError carrying the reason."""
    try:
        await update
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError), err.cause
        return err.cause
    raise AssertionError("the update was accepted but should have been refused")


DAY = timedelta(days=1)
