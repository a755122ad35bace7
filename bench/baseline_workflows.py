"""The no-op baselines of bench/workflow_bench.py, and the shape of a workflow history.

- `BaselineWorkflow`: one no-op activity and one update (the earlier target's baseline, kept so its
  ratio stays comparable from round to round).
- `ShapedBaselineWorkflow`: whatever `Shape` it is given, with no-op bodies: the same number of
  activities, local activities, updates, search-attribute upserts and timers as a review lifecycle
  counted from a real history (`shape_of`), laid out as a review lays them out (a local activity
  and an upsert per recorded step, an update answered once the first activities have run, one
  local activity and one upsert per reviewer action, timers waiting between actions). With one
  activity and no actions it is the bare "start, one activity, one update" of a submission.

The workers import this module by name (the workflow sandbox re-imports it), so it holds nothing
but the workflows, their activities and the counting.
"""

import contextlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

# A keyword the dev server knows (workflows/search_attributes.py registers it for the reviews).
_UPSERTED = SearchAttributeKey.for_keyword("ReviewState")
# The review's SLA timers are days long and cancelled by the next action; so are these.
_TIMER = timedelta(days=1)
_NOOP_TIMEOUT = timedelta(seconds=30)
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@activity.defn(name="bench_noop")
async def noop() -> None:
    return None


@dataclass(frozen=True)
class Shape:
    """What a workflow run did, counted from its history."""

    activities: int = 0
    local_activities: int = 0
    wait_updates: int = 0  # updates that change nothing and answer once the run gets there
    act_updates: int = 0  # updates that change the state (a reviewer's or the team's action)
    upserts: int = 0
    timers: int = 0

    def line(self) -> str:
        return (
            f"{self.activities} activities, {self.local_activities} local activities, "
            f"{self.wait_updates + self.act_updates} updates ({self.wait_updates} waiting), "
            f"{self.upserts} search-attribute upserts, {self.timers} timers"
        )


def shape_of(events, wait_update_names: frozenset[str] = frozenset({"precheck_settled", "settled"})) -> Shape:
    """Count a history's activities, local activities (their markers), updates, upserts and timers."""
    from temporalio.api.enums.v1 import EventType

    counts = dict.fromkeys(("activities", "local_activities", "wait_updates", "act_updates", "upserts", "timers"), 0)
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counts["activities"] += 1
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            if event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER:
                counts["local_activities"] += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            name = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            counts["wait_updates" if name in wait_update_names else "act_updates"] += 1
        elif kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            counts["upserts"] += 1
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            counts["timers"] += 1
    return Shape(**counts)


@workflow.defn(name="BenchBaselineWorkflow")
class BaselineWorkflow:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.execute_activity("bench_noop", start_to_close_timeout=_NOOP_TIMEOUT)
        await workflow.wait_condition(lambda: self._done)
        return "done"

    @workflow.update
    async def approve(self) -> str:
        self._done = True
        return "approved"


@workflow.defn(name="BenchShapedBaselineWorkflow")
class ShapedBaselineWorkflow:
    """A review's shape with no-op bodies. The run records (a local activity and an upsert), runs
    the activities (the pre-check), records the rest of what a review records before its first
    action, then waits for each action in turn (with a timer while timers remain, as the SLA loop
    does); each `act` update records one step (a local activity and an upsert) in its handler."""

    def __init__(self) -> None:
        self._settled = False
        self._asked = False  # the waiting update has come (the run must not close before it)
        self._acted = 0
        self._upserts = 0

    @workflow.run
    async def run(self, shape: Shape) -> str:
        main_local = shape.local_activities - shape.act_updates
        main_upserts = shape.upserts - shape.act_updates
        if main_local > 0:  # the submission's recording
            await self._record(upsert=main_upserts > 0)
            main_local, main_upserts = main_local - 1, main_upserts - 1
        for _ in range(shape.activities):
            await workflow.execute_activity("bench_noop", start_to_close_timeout=_NOOP_TIMEOUT)
        for _ in range(main_local):  # the pre-check's and routing's recording
            await self._record(upsert=main_upserts > 0)
            main_upserts -= 1
        for _ in range(max(main_upserts, 0)):
            self._upsert()
        self._settled = True
        for done in range(shape.act_updates):
            timer = _TIMER if done < shape.timers else None
            with contextlib.suppress(TimeoutError):  # a day-long timer does not fire in a bench
                await workflow.wait_condition(lambda d=done: self._acted > d, timeout=timer)  # type: ignore[misc]
        await workflow.wait_condition(lambda: self._asked and workflow.all_handlers_finished())
        return "done"

    async def _record(self, *, upsert: bool) -> None:
        await workflow.execute_local_activity("bench_noop", start_to_close_timeout=_NOOP_TIMEOUT)
        if upsert:
            self._upsert()

    def _upsert(self) -> None:
        self._upserts += 1
        workflow.upsert_search_attributes([_UPSERTED.value_set(f"step-{self._upserts}")])

    @workflow.update
    async def settled(self) -> str:
        self._asked = True
        await workflow.wait_condition(lambda: self._settled)
        return "settled"

    @workflow.update
    async def act(self) -> str:
        await workflow.wait_condition(lambda: self._settled)
        await self._record(upsert=True)
        self._acted += 1
        return "acted"
