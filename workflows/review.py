"""ProductReviewWorkflow: one per product (workflow id `product-review-<product_id>`).

The workflow is the review state machine and its SLA timers, nothing else. Every change of state
goes through `_commit`, which records the transition with the `record_transitions` local activity (audit
event, review projection, notifications; idempotent on (workflow_id, seq)) before the workflow
adopts the new state. Human actions are Updates that share one path: the review policy
(models/review_policy.py, through workflows/guards.py) judges them in the validator and again inside the
handler's lock, and names the state each leads to.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    # The sandbox re-imports, for every workflow instance it creates, each module not passed
    # through: the helpers below are pure functions of their arguments (deterministic, no state
    # of their own) and are imported once. Replays in tests/workflows/test_replay.py pin them.
    import workflows.guards as guards  # not `from workflows import ...`: that form re-imports in the sandbox
    import workflows.sla as sla
    from activities import names
    from models.enums import TERMINAL_STATES, DecisionKind, FindingState, ReviewAction, ReviewState, Verdict
    from models.messages import (
        Actor,
        AssignRequest,
        ClaimRequest,
        CommentRequest,
        DecisionRequest,
        DismissFindingRequest,
        MoveDueDateRequest,
        PrecheckInput,
        PrecheckResult,
        PrecheckWaitRequest,
        RecordTransitionInput,
        RecordTransitionResult,
        RecordTransitionsInput,
        RecordTransitionsResult,
        ResubmitRequest,
        ReviewOutcome,
        ReviewStatus,
        ReviewWorkflowState,
        SubmitProductInput,
        TransitionRecord,
        WithdrawRequest,
        workflow_id_for,  # noqa: F401 (tests and tools import it from here)
    )
    from models.review_policy import BACK_TO_LAST_REVIEWER, rule_for
    from workflows.findings import open_findings_for_rule, verdict_for_views
    from workflows.notices import notifications_for
    from workflows.search_attributes import review_search_attributes
    from workflows.status import build_status
    from workflows.steps import Step

MAX_REMEMBERED_REQUEST_IDS = 200

PRECHECK_TIMEOUT = timedelta(minutes=5)
# A database or network outage must not turn into a format-error verdict that blocks approval:
# attempts go on for an hour (a deterministic failure, e.g. a rule-engine bug, still ends then).
PRECHECK_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
PRECHECK_GIVE_UP_AFTER = timedelta(hours=1)
RECORD_TIMEOUT = timedelta(seconds=30)
# Both activities heartbeat while they work: a crashed worker's attempt is retried after this,
# not after the start-to-close timeout (5 min for the pre-check).
ACTIVITY_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# Unlimited attempts: a transition must be recorded before the workflow moves on; only a
# non-retryable error from the activity (a bug or a locked version) surfaces.
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Transitions are recorded by a local activity (record_transitions): one short transaction on the
# worker that runs the workflow task, so a reviewer's action costs one workflow task instead of
# three server round trips (schedule the activity, run it, resume the workflow), and the pre-check
# and the routing after it share one transaction. Histories written before this change scheduled
# an ordinary record_transition activity per transition; the patch keeps them replaying that way.
RECORD_AS_LOCAL_ACTIVITY_PATCH = "record-transition-as-local-activity"
# A local activity's attempts run inside the workflow task: retried for hours (a database outage, an
# error that never clears), they added about 1,400 history events an hour while the review's lock
# blocked every other action, until the server terminated the review at its event limit. So the
# local recording gives up after this time (a schedule-to-close timeout for an attempt that hangs,
# and a check at the start of each attempt for quick failures, which the SDK's timeout misses:
# activities/recording_bound.py), logs an alert, and an ordinary activity takes over: its retries
# cost the history nothing, and the review waits for the database like any activity.
LOCAL_RECORDING_GIVE_UP_AFTER = timedelta(seconds=30)
BOUNDED_RECORDING_PATCH = "bounded-local-recording"
RECORDING_FALLBACKS_METRIC = "gcu_review_recording_fallbacks"
# A cancellation is recorded (histories before it ended with nothing recorded; a cancel during the
# pre-check became a format-error verdict).
RECORD_CANCELLATION_PATCH = "record-cancellation"
# A returned review not resubmitted long after its deadline is closed (histories before it waited for ever).
CLOSE_ABANDONED_PATCH = "close-abandoned-returns"
# SLA events are chosen again when their timer fires (histories before it fired what was chosen
# before the wait, even when that was no longer true).
SLA_RECHECK_ON_WAKE_PATCH = "sla-recheck-on-wake"
# The history of transitions stays in the database (the audit trail), not in the state carried across
# continue-as-new: a review open for months carried its whole history into every new run's input
# (histories before it carried it). The `status` query answers this run's transitions; the service
# layer reads the earlier ones from the audit trail (service/review_history.py).
HISTORY_IN_DATABASE_PATCH = "history-left-in-database"
# What the recording does not read, and which grows with every transition: left out of its input.
_NOT_RECORDED: dict[str, list[Any]] = {"history": [], "findings": [], "processed_request_ids": []}

_PRECHECK_STATES = frozenset({ReviewState.SUBMITTED, ReviewState.RESUBMITTED, ReviewState.PRECHECKED})


# What a review update changes besides the state: applied to the draft, returns its audit details.
_Effect = Callable[[ReviewWorkflowState, Any], dict[str, str]]


def _judged(request_type: type) -> Callable[..., None]:
    """The validator of a review update taking `request_type`: the SDK requires a validator's
    parameters, annotations included, to match its update's, so each gets this same check typed."""

    def validate(self: "ProductReviewWorkflow", req) -> None:
        self._judge(req)

    validate.__annotations__ = {"req": request_type, "return": None}
    validate.__name__ = validate.__qualname__ = f"validate_{request_type.__name__}"
    return validate


def _channel_of(actor: Actor) -> dict[str, str]:
    """The audit channel the caller gave the actor (web, api, cli); none from an older caller."""
    return {"channel": actor.channel} if actor.channel else {}


@workflow.defn(name="ProductReviewWorkflow")
class ProductReviewWorkflow:
    @workflow.init
    def __init__(self, inp: SubmitProductInput) -> None:
        self._inp = inp
        self._st = (
            inp.carried_state.model_copy(deep=True)
            if inp.carried_state is not None
            else ReviewWorkflowState(
                version_id=inp.version_id,
                version_no=inp.version_no,
                version_label=inp.version_label,
                title=inp.title,
                conflicted_staff=list(inp.conflicted_staff),
                reviewer_pool=inp.reviewer_pool,
            )
        )
        self._lock = asyncio.Lock()
        # Bumped by every recorded change: wakes the SLA loop so it re-arms for the new state/due date.
        self._epoch = 0

    # ---------------- main loop ----------------

    @workflow.run
    async def run(self, inp: SubmitProductInput) -> ReviewOutcome:
        try:
            return await self._run(inp)
        except asyncio.CancelledError:
            if workflow.patched(RECORD_CANCELLATION_PATCH) and self._st.state not in TERMINAL_STATES:
                await self._record_cancellation()
            raise

    async def _record_cancellation(self) -> None:
        """A cancellation through Temporal (an operator's `temporal workflow cancel`) ends the review:
        recorded like any ending, so the database does not go on saying it is queued."""
        new = self._draft()
        new.state = ReviewState.WITHDRAWN
        new.decided_at = workflow.now()
        await self._commit(
            new,
            ReviewAction.CANCEL,
            None,
            reason="the review workflow was cancelled through Temporal",
            details={"cancelled_while": str(self._st.state)},
        )

    async def _run(self, inp: SubmitProductInput) -> ReviewOutcome:
        if inp.carried_state is None:
            async with self._lock:
                await self._submit()
        else:
            self._st.runs += 1
            self._upsert_search_attributes()
            if inp.restart_reason:  # an operator's repair after an abnormal ending: in the audit trail
                async with self._lock:
                    await self._commit(
                        self._draft(),
                        ReviewAction.RESTART,
                        None,
                        reason=inp.restart_reason,
                        details={"request_id": inp.request_id},
                    )
        while self._st.state not in TERMINAL_STATES:
            if self._st.state in _PRECHECK_STATES:
                async with self._lock:
                    await self._precheck_and_route()
                continue
            if self._continue_as_new_due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={"carried_state": self._carried_state()}))
            await self._wait_for_change_or_sla()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ReviewOutcome(
            product_id=inp.product_id,
            final_state=self._st.state,
            version_no=self._st.version_no,
            decided_by=self._st.decided_by,
            decided_at=self._st.decided_at,
        )

    def _carried_state(self) -> ReviewWorkflowState:
        if not workflow.patched(HISTORY_IN_DATABASE_PATCH):
            return self._st
        # What the next run needs: its state, the request ids it must not run twice, the next seq.
        # The SLA's start, which the history gave, is carried as last_submitted_at.
        return self._st.model_copy(update={"history": [], "last_submitted_at": self._last_submission_at(self._st)})

    async def _submit(self) -> None:
        new = self._draft()
        new.submitted_at = new.last_submitted_at = workflow.now()
        self._remember(new, self._inp.request_id)
        await self._commit(
            new,
            ReviewAction.SUBMIT,
            self._inp.submitted_by.staff_id,
            from_state=None,
            details={
                "request_id": self._inp.request_id,
                "version": self._st.version_label,
                **_channel_of(self._inp.submitted_by),
            },
        )

    async def _precheck_and_route(self) -> None:
        """Pre-check a new version, then route it: into the queue, or back to the reviewer who
        returned it. Both transitions are recorded in one transaction."""
        steps: list[Step] = []
        if self._st.state in (ReviewState.SUBMITTED, ReviewState.RESUBMITTED):
            result = await self._run_precheck()
            new = self._draft()
            new.state = rule_for(ReviewAction.PRECHECK).target
            new.findings = result.findings
            new.pack_version = result.pack_version
            new.verdict = verdict_for_views(result.findings, result.verdict)
            details = {
                "verdict": str(new.verdict),
                "findings": str(len(result.findings)),
                "pack_version": result.pack_version,
            }
            if result.format_errors:
                details["format_errors"] = "; ".join(result.format_errors)[:1000]
            steps.append(self._step(self._st, new, ReviewAction.PRECHECK, None, details=details))
            if not self._batched_recording():
                await self._record(steps)
                steps = []
        base = steps[-1].state if steps else self._st
        if base.state == ReviewState.PRECHECKED:
            new = base.model_copy(deep=True)
            new.due_at = sla.review_due_at(self._last_submission_at(base), self._inp.sla)
            new.escalation_level = 0
            if new.last_reviewer:
                # A resubmission goes back to the reviewer who returned it.
                new.state, new.assignee = BACK_TO_LAST_REVIEWER.target, new.last_reviewer
                steps.append(
                    self._step(
                        base,
                        new,
                        BACK_TO_LAST_REVIEWER.action,
                        None,
                        details={"reviewer": new.assignee, "why": "back to last reviewer"},
                    )
                )
            else:
                new.state, new.assignee = rule_for(ReviewAction.ENQUEUE).target, None
                steps.append(
                    self._step(base, new, ReviewAction.ENQUEUE, None, details={"due_at": new.due_at.isoformat()})
                )
        if steps:
            await self._record(steps)

    async def _run_precheck(self) -> PrecheckResult:
        try:
            return await workflow.execute_activity(
                names.PRECHECK,
                PrecheckInput(
                    workflow_id=workflow.info().workflow_id,
                    product_id=self._inp.product_id,
                    version_id=self._st.version_id,
                    version_no=self._st.version_no,
                ),
                result_type=PrecheckResult,
                start_to_close_timeout=PRECHECK_TIMEOUT,
                schedule_to_close_timeout=PRECHECK_GIVE_UP_AFTER,
                heartbeat_timeout=ACTIVITY_HEARTBEAT_TIMEOUT,
                retry_policy=PRECHECK_RETRY,
            )
        except ActivityError as err:
            if isinstance(err.cause, CancelledError) and workflow.patched(RECORD_CANCELLATION_PATCH):
                raise asyncio.CancelledError() from err  # the review is being cancelled: no verdict at all
            # The product still reaches a human, who can only return it: approval is refused on a format error.
            cause = err.cause.message if isinstance(err.cause, ApplicationError) else str(err.cause or err)
            workflow.logger.warning("pre-check failed for %s: %s", self._inp.product_id, cause)
            return PrecheckResult(
                verdict=Verdict.FORMAT_ERROR, pack_version="", format_errors=[f"pre-check failed: {cause}"]
            )

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        limit = self._inp.continue_as_new_after_events
        return info.is_continue_as_new_suggested() or (limit is not None and info.get_current_history_length() >= limit)

    async def _wait_for_change_or_sla(self) -> None:
        """Sleep until the state changes or the next SLA event is due (samples: updatable_timer)."""
        epoch = self._epoch
        event = sla.next_sla_event(self._st, self._inp.sla, workflow.now(), close_abandoned=self._closes_abandoned())
        if event is None:
            await workflow.wait_condition(lambda: self._epoch != epoch)
            return
        delay = event.at - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._epoch != epoch, timeout=delay, timeout_summary=str(event.action)
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            if self._epoch != epoch:  # an update slipped in while we waited for the lock
                return
            if workflow.patched(SLA_RECHECK_ON_WAKE_PATCH):
                # The timer may fire long after it was due (a worker down over a weekend): what is
                # owed is decided now, so a reminder of a deadline already passed is skipped.
                event = sla.next_sla_event(
                    self._st, self._inp.sla, workflow.now(), close_abandoned=self._closes_abandoned()
                )
                if event is None or event.at > workflow.now():
                    return
            await self._fire_sla(event)

    def _closes_abandoned(self) -> bool:
        """Whether a returned review whose resubmission deadline expired is closed after a while.
        Asked only in that situation, so the patch marker lands where the behaviour changes."""
        st = self._st
        expired = st.state == ReviewState.RETURNED and st.resubmission_expired_for is not None
        return expired and workflow.patched(CLOSE_ABANDONED_PATCH)

    async def _fire_sla(self, event: sla.SlaEvent) -> None:
        new = self._draft()
        sla.mark_sla_event(new, event)
        details = {"due_at": event.due_at.isoformat()}
        if event.action in (ReviewAction.OVERDUE_ESCALATION, ReviewAction.DP_ESCALATION):
            details["escalation_level"] = str(new.escalation_level)
        if event.action == ReviewAction.CLOSE_ABANDONED:
            new.decided_at = workflow.now()
            details["closed_after"] = f"{self._inp.sla.close_after_expiry.days} days past the resubmission deadline"
        await self._commit(new, event.action, None, details=details)

    # ---------------- updates ----------------
    # Every review action takes one path (`_act`): judged by the review policy in its validator and
    # again inside the lock (another update may have changed the state in between), moved to the state
    # the policy's table names, recorded, answered with the status. Each update says only what its
    # action changes besides the state, and returns the details its audit event records.

    @workflow.update
    async def claim(self, req: ClaimRequest) -> ReviewStatus:
        return await self._act(req, self._claimed)

    claim.validator(_judged(ClaimRequest))

    @workflow.update
    async def assign(self, req: AssignRequest) -> ReviewStatus:
        return await self._act(req, self._assigned)

    assign.validator(_judged(AssignRequest))

    @workflow.update
    async def dismiss_finding(self, req: DismissFindingRequest) -> ReviewStatus:
        return await self._act(req, self._dismissed)

    dismiss_finding.validator(_judged(DismissFindingRequest))

    @workflow.update
    async def decide(self, req: DecisionRequest) -> ReviewStatus:
        return await self._act(req, self._decided)

    decide.validator(_judged(DecisionRequest))

    @workflow.update
    async def resubmit(self, req: ResubmitRequest) -> ReviewStatus:
        return await self._act(req, self._resubmitted)

    resubmit.validator(_judged(ResubmitRequest))

    @workflow.update
    async def withdraw(self, req: WithdrawRequest) -> ReviewStatus:
        return await self._act(req, self._withdrawn)

    withdraw.validator(_judged(WithdrawRequest))

    @workflow.update
    async def move_due_date(self, req: MoveDueDateRequest) -> ReviewStatus:
        return await self._act(req, self._due_date_moved)

    move_due_date.validator(_judged(MoveDueDateRequest))

    @workflow.update
    async def comment(self, req: CommentRequest) -> ReviewStatus:
        """A remark with no change of state; recorded like any transition (audit trail, notices)."""
        return await self._act(req, self._commented)

    comment.validator(_judged(CommentRequest))

    async def _act(self, req: guards.ReviewRequest, apply: "_Effect") -> ReviewStatus:
        async with self._lock:
            if not self._seen(req.request_id):
                self._judge(req)
                new = self._draft()
                to_state = guards.rule_of(self._ctx(), req).to_state
                if to_state is not None:
                    new.state = to_state
                details = self._applied(new, req, apply)
                await self._commit_request(
                    new, guards.action_of(req), req.actor, req.request_id, guards.reason_of(req), details
                )
            return self._answer(req.request_id)

    def _applied(self, new: ReviewWorkflowState, req: guards.ReviewRequest, apply: "_Effect") -> dict[str, str]:
        """Apply the request to the draft, and check the SLA loop can schedule the state it leads to,
        before anything is recorded: a date arithmetic failure after the recording left the database
        and the workflow disagreeing (the update failed, the database had the new due date)."""
        try:
            details = apply(new, req)
            sla.pending_sla_events(new, self._inp.sla, workflow.now())
        except (OverflowError, ValueError) as err:
            raise guards.refuse(
                guards.Refusal.INVALID_REQUEST, f"The review cannot keep its deadlines after this change ({err})."
            ) from err
        return details

    def _judge(self, req: guards.ReviewRequest) -> None:
        """The validator of every review update (and the handler's re-check inside the lock)."""
        if not self._seen(req.request_id):
            guards.check(self._ctx(), req, workflow.now())

    def _claimed(self, new: ReviewWorkflowState, req: ClaimRequest) -> dict[str, str]:
        new.assignee, new.last_reviewer = req.actor.staff_id, req.actor.staff_id
        return {}

    def _assigned(self, new: ReviewWorkflowState, req: AssignRequest) -> dict[str, str]:
        reviewer = req.reviewer.staff_id
        new.assignee, new.last_reviewer = reviewer, reviewer
        return {"reviewer": reviewer, "previous": self._st.assignee or ""}

    def _dismissed(self, new: ReviewWorkflowState, req: DismissFindingRequest) -> dict[str, str]:
        for finding in open_findings_for_rule(new.findings, req.rule_id):
            finding.state = FindingState.DISMISSED
            finding.dismissed_by, finding.dismissal_reason = req.actor.staff_id, req.reason
            finding.dismissed_at = workflow.now()
        new.verdict = verdict_for_views(new.findings, new.verdict)
        return {"rule_id": req.rule_id, "verdict": str(new.verdict)}

    def _decided(self, new: ReviewWorkflowState, req: DecisionRequest) -> dict[str, str]:
        if req.decision == DecisionKind.APPROVE:
            new.decided_by, new.decided_at = req.actor.staff_id, workflow.now()
        elif req.decision == DecisionKind.RETURN:
            new.resubmission_due_at = sla.resubmission_due_at(workflow.now(), self._inp.sla)
        return {"verdict": str(new.verdict), "version": new.version_label}

    def _resubmitted(self, new: ReviewWorkflowState, req: ResubmitRequest) -> dict[str, str]:
        new.version_id, new.version_no, new.version_label, new.title = (
            req.version_id,
            req.version_no,
            req.version_label,
            req.title,
        )
        new.findings, new.verdict, new.pack_version = [], None, ""
        new.resubmission_due_at = None
        new.last_submitted_at = workflow.now()
        if req.conflicted_staff is not None:
            new.conflicted_staff = list(req.conflicted_staff)
        return {"version": req.version_label, "version_no": str(req.version_no)}

    def _withdrawn(self, new: ReviewWorkflowState, req: WithdrawRequest) -> dict[str, str]:
        new.decided_by, new.decided_at = req.actor.staff_id, workflow.now()
        return {}

    def _due_date_moved(self, new: ReviewWorkflowState, req: MoveDueDateRequest) -> dict[str, str]:
        if new.state == ReviewState.RETURNED:
            previous, new.resubmission_due_at = new.resubmission_due_at, req.due_at
        else:
            # A new deadline earns a new reminder and a fresh escalation ladder.
            previous, new.due_at, new.escalation_level = new.due_at, req.due_at, 0
        return {"due_at": req.due_at.isoformat(), "previous": previous.isoformat() if previous else ""}

    def _commented(self, new: ReviewWorkflowState, req: CommentRequest) -> dict[str, str]:
        return {"side": guards.comment_side(req.actor, self._ctx())}

    @workflow.update
    async def precheck_settled(self, req: PrecheckWaitRequest) -> ReviewStatus:
        """The status once version `req.version_no` (or a later one) has been pre-checked and
        routed, or the review has ended: what a submitter waits for, instead of polling `status`.
        Changes nothing."""
        await workflow.wait_condition(lambda: self._precheck_settled_for(req.version_no))
        return self._answer(None)

    @precheck_settled.validator
    def _validate_precheck_settled(self, req: PrecheckWaitRequest) -> None:
        # A version that never comes would keep the handler, and so the review, open for good.
        if req.version_no > self._st.version_no:
            raise ApplicationError(
                f"version {req.version_no} has not been submitted (the review is at version {self._st.version_no})",
                non_retryable=True,
            )

    def _precheck_settled_for(self, version_no: int) -> bool:
        if self._st.state in TERMINAL_STATES:
            return True
        return self._st.state not in _PRECHECK_STATES and self._st.version_no >= version_no

    # ---------------- query ----------------

    @workflow.query
    def status(self) -> ReviewStatus:
        return build_status(self._inp, self._st, workflow.info().workflow_id, workflow.now())

    def _answer(self, request_id: str | None) -> ReviewStatus:
        """An update's answer: the status without the history (the answer is written into the
        workflow's history), with the transition that request `request_id` recorded.

        An ending answers with the whole history: the review closes with this task, and the
        caller's `status` query for it would then replay the whole run on a worker (about twice
        the round trip of an open review's action, and a full replay of CPU). Written once per
        review, the history in the last answer does not make the history grow quadratically.
        (An update's answer is not a command: replaying an earlier history is unaffected.)"""
        changed = None
        if request_id is not None:
            changed = next((r for r in reversed(self._st.history) if r.details.get("request_id") == request_id), None)
        status = self.status()
        history = status.history if self._st.state in TERMINAL_STATES else []
        return status.model_copy(update={"history": history, "changed": changed})

    # ---------------- recording ----------------

    def _ctx(self) -> guards.ReviewContext:
        return guards.ReviewContext(
            author_id=self._inp.author_id,
            team_id=self._inp.team_id,
            st=self._st,
            product_type=str(self._inp.product_type),
        )

    def _draft(self) -> ReviewWorkflowState:
        return self._st.model_copy(deep=True)

    def _seen(self, request_id: str) -> bool:
        return request_id in self._st.processed_request_ids

    @staticmethod
    def _remember(new: ReviewWorkflowState, request_id: str) -> None:
        new.processed_request_ids = [*new.processed_request_ids, request_id][-MAX_REMEMBERED_REQUEST_IDS:]

    def _last_submission_at(self, st: ReviewWorkflowState):
        submissions = (ReviewAction.SUBMIT, ReviewAction.RESUBMIT)
        in_history = next((r.at for r in reversed(st.history) if r.action in submissions), None)
        return in_history or st.last_submitted_at or workflow.now()

    async def _commit_request(
        self,
        new: ReviewWorkflowState,
        action: ReviewAction,
        actor: Actor,
        request_id: str,
        reason: str | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        self._remember(new, request_id)
        details = {**(details or {}), "request_id": request_id, **_channel_of(actor)}
        try:
            await self._commit(new, action, actor.staff_id, reason=reason, details=details)
        except (ActivityError, ApplicationError) as err:  # a local activity's failure may come unwrapped
            cause = (
                err.cause.message
                if isinstance(err, ActivityError) and isinstance(err.cause, ApplicationError)
                else err.message
            )
            raise ApplicationError(
                f"{action} could not be recorded: {cause}", type="RecordFailed", non_retryable=True
            ) from err

    async def _commit(
        self,
        new: ReviewWorkflowState,
        action: ReviewAction,
        actor_id: str | None,
        *,
        from_state: ReviewState | None | object = ...,
        reason: str | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        """Record one transition durably, then adopt `new` as the workflow's state."""
        await self._record(
            [self._step(self._st, new, action, actor_id, from_state=from_state, reason=reason, details=details)]
        )

    def _step(
        self,
        base: ReviewWorkflowState,
        new: ReviewWorkflowState,
        action: ReviewAction,
        actor_id: str | None,
        *,
        from_state: ReviewState | None | object = ...,
        reason: str | None = None,
        details: dict[str, str] | None = None,
    ) -> Step:
        """The transition from `base` to `new` (which gets its history entry and next seq)."""
        record = TransitionRecord(
            seq=new.next_seq,
            action=action,
            actor_id=actor_id,
            from_state=base.state if from_state is ... else from_state,
            to_state=new.state,
            reason=(reason or "").strip() or None,
            at=workflow.now(),
            details=details or {},
        )
        new.next_seq += 1
        new.history = [*new.history, record]
        recording = RecordTransitionInput(
            workflow_id=workflow.info().workflow_id,
            product_id=self._inp.product_id,
            version_id=new.version_id,
            transition=record,
            state_after=new.model_copy(update=_NOT_RECORDED),
            notifications=notifications_for(record, new),
        )
        return Step(state=new, recording=recording)

    @staticmethod
    def _batched_recording() -> bool:
        return workflow.patched(RECORD_AS_LOCAL_ACTIVITY_PATCH)

    async def _record(self, steps: list[Step]) -> None:
        """Record the steps durably, in order, then adopt the state after the last one."""
        if self._batched_recording():
            recording = RecordTransitionsInput(transitions=[s.recording for s in steps])
            if workflow.patched(BOUNDED_RECORDING_PATCH):
                await self._record_bounded(recording)
            else:  # histories written before the bound: the unbounded local activity, as then
                await workflow.execute_local_activity(
                    names.RECORD_TRANSITIONS,
                    recording,
                    result_type=RecordTransitionsResult,
                    start_to_close_timeout=RECORD_TIMEOUT,
                    retry_policy=RECORD_RETRY,
                )
            self._adopt(steps[-1].state)
            return
        for step in steps:  # a review started before the patch: one ordinary activity per transition
            await workflow.execute_activity(
                names.RECORD_TRANSITION,
                step.recording,
                result_type=RecordTransitionResult,
                start_to_close_timeout=RECORD_TIMEOUT,
                heartbeat_timeout=ACTIVITY_HEARTBEAT_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
            self._adopt(step.state)

    async def _record_bounded(self, recording: RecordTransitionsInput) -> None:
        give_up_after = self._inp.local_recording_give_up_after or LOCAL_RECORDING_GIVE_UP_AFTER
        try:
            # The local activity's options and input are not part of the workflow's commands (its
            # marker records the outcome): changing the bound replays the same.
            await workflow.execute_local_activity(
                names.RECORD_TRANSITIONS,
                recording.model_copy(update={"local_give_up_after": give_up_after}),
                result_type=RecordTransitionsResult,
                start_to_close_timeout=RECORD_TIMEOUT,
                schedule_to_close_timeout=give_up_after,
                retry_policy=RetryPolicy(
                    initial_interval=RECORD_RETRY.initial_interval,
                    maximum_interval=RECORD_RETRY.maximum_interval,
                    maximum_attempts=self._inp.local_recording_attempts or 0,
                ),
            )
            return
        except FailureError as err:
            # A local activity's last failure arrives as its cause (an ApplicationError, a timeout),
            # not always wrapped in an ActivityError.
            failure = err.cause if isinstance(err, ActivityError) and err.cause is not None else err
            overdue = isinstance(failure, ApplicationError) and failure.type == names.LOCAL_RECORDING_OVERDUE
            if isinstance(failure, ApplicationError) and failure.non_retryable and not overdue:
                raise  # the database refuses this transition for good: no retry can record it
            cause = failure.message if isinstance(failure, FailureError) else str(failure)
        first = recording.transitions[0].transition
        workflow.logger.error(
            "ALERT: recording transition %d (%s) of %s keeps failing (%s); handed to an ordinary activity, "
            "which retries until the database accepts it",
            first.seq,
            first.action,
            self._inp.product_id,
            cause,
        )
        workflow.metric_meter().create_counter(
            RECORDING_FALLBACKS_METRIC,
            "transitions whose local recording gave up and fell back to an activity",
        ).add(1)
        await workflow.execute_activity(
            names.RECORD_TRANSITIONS,
            recording,
            result_type=RecordTransitionsResult,
            start_to_close_timeout=RECORD_TIMEOUT,
            heartbeat_timeout=ACTIVITY_HEARTBEAT_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    def _adopt(self, new: ReviewWorkflowState) -> None:
        self._st = new
        self._epoch += 1
        self._upsert_search_attributes()

    def _upsert_search_attributes(self) -> None:
        if not self._inp.search_attributes_enabled:
            return
        workflow.upsert_search_attributes(
            review_search_attributes(
                team=self._inp.team_id,
                product_type=str(self._inp.product_type),
                review_state=str(self._st.state),
                assignee=self._st.assignee,
                situation=self._inp.situation,
            )
        )
