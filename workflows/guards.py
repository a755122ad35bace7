"""Update validators as pure functions: the review policy (models/review_policy.py) judges who may
take the action in this state with these findings; what the request itself must satisfy (a finding
that is open, a newer version, a due date in the future, a comment's length) is checked here.

A refusal is a non-retryable ApplicationError whose type is the policy's `Refusal` and whose message
is the policy's sentence. Validators run `check` before anything reaches history; handlers run it
again inside the lock, because another update may have changed the state in between.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.findings import open_findings_for_rule

with workflow.unsafe.imports_passed_through():
    from models import review_policy as policy
    from models.enums import FindingState, ReviewAction, ReviewState, Verdict
    from models.limits import DUE_DATE_MAX_AHEAD, REASON_MAX_CHARS
    from models.messages import (
        Actor,
        AssignRequest,
        ClaimRequest,
        CommentRequest,
        DecisionRequest,
        DismissFindingRequest,
        MoveDueDateRequest,
        ResubmitRequest,
        ReviewRequest,
        ReviewWorkflowState,
        WithdrawRequest,
    )
    from models.review_policy import COMMENT_MAX_CHARS, DECISION_ACTIONS, Refusal


def refuse(kind: Refusal, message: str) -> ApplicationError:
    return ApplicationError(message, type=str(kind), non_retryable=True)


_ACTIONS: dict[type, ReviewAction] = {
    ClaimRequest: ReviewAction.CLAIM,
    AssignRequest: ReviewAction.ASSIGN,
    DismissFindingRequest: ReviewAction.DISMISS_FINDING,
    ResubmitRequest: ReviewAction.RESUBMIT,
    WithdrawRequest: ReviewAction.WITHDRAW,
    MoveDueDateRequest: ReviewAction.MOVE_DUE_DATE,
    CommentRequest: ReviewAction.COMMENT,
}


def action_of(req: ReviewRequest) -> ReviewAction:
    return DECISION_ACTIONS[req.decision] if isinstance(req, DecisionRequest) else _ACTIONS[type(req)]


def reason_of(req: ReviewRequest) -> str | None:
    """What the audit trail records as the action's reason: a comment's text, else the request's reason."""
    return req.text if isinstance(req, CommentRequest) else getattr(req, "reason", None)


@dataclass(frozen=True)
class ReviewContext:
    """What the validators need besides the request: the product's owners and the current state."""

    author_id: str
    team_id: str
    st: ReviewWorkflowState
    product_type: str = ""

    def case(self) -> policy.Case:
        return policy.Case(
            product_type=self.product_type,
            team_id=self.team_id,
            author_id=self.author_id,
            state=self.st.state,
            assignee=self.st.assignee,
            open_findings=policy.open_findings(self.st.findings),
            format_error=self.st.verdict == Verdict.FORMAT_ERROR,
            conflicted=frozenset(self.st.conflicted_staff),
        )


def person(actor: Actor) -> policy.Person:
    return policy.Person.of(actor.staff_id, actor.roles, actor.team_ids, actor.cluster_team_ids)


def rule_of(ctx: ReviewContext, req: ReviewRequest) -> policy.Rule:
    return policy.rule_for(action_of(req), ctx.product_type)


def check(ctx: ReviewContext, req: ReviewRequest, now: datetime) -> None:
    """Refuse `req` unless the policy allows it and the request is sound."""
    ruling = policy.decide(action_of(req), person(req.actor), ctx.case(), reason=reason_of(req), judge_reason=True)
    if not ruling.allowed:
        if ruling.refusal == Refusal.UNKNOWN_FINDING and isinstance(req, DismissFindingRequest):
            _dismiss(ctx, req, now)  # names the finding asked for
        raise refuse(ruling.refusal or Refusal.NOT_ALLOWED, ruling.reason)
    reason = getattr(req, "reason", None)
    if reason is not None and len(reason.strip()) > REASON_MAX_CHARS:
        raise refuse(
            Refusal.INVALID_REQUEST,
            f"A reason is at most {REASON_MAX_CHARS} characters (this one has {len(reason.strip())}).",
        )
    request_check = _REQUEST_CHECKS.get(type(req))
    if request_check is not None:
        request_check(ctx, req, now)


def comment_side(actor: Actor, ctx: ReviewContext) -> str:
    """'gcu' when the assignee or the GCU head speaks, otherwise 'team': decides who is told."""
    return policy.comment_side(person(actor), ctx.case())


# ---------------------------------------------------------------- what each request must satisfy


def _assign(ctx: ReviewContext, req: AssignRequest, _now: datetime) -> None:
    ruling = policy.assignable(person(req.reviewer), ctx.case())
    if not ruling.allowed:
        raise refuse(ruling.refusal or Refusal.NOT_ALLOWED, ruling.reason)
    if ctx.st.assignee == req.reviewer.staff_id and ctx.st.state == ReviewState.IN_REVIEW:
        raise refuse(Refusal.INVALID_REQUEST, f"The review is already assigned to {req.reviewer.staff_id}.")


def _dismiss(ctx: ReviewContext, req: DismissFindingRequest, _now: datetime) -> None:
    if open_findings_for_rule(ctx.st.findings, req.rule_id):
        return
    known = [f for f in ctx.st.findings if f.rule_id == req.rule_id]
    if known:
        state = FindingState(known[0].state)
        raise refuse(Refusal.UNKNOWN_FINDING, f"Finding {req.rule_id} is already {state}, not open.")
    raise refuse(
        Refusal.UNKNOWN_FINDING,
        f"There is no finding {req.rule_id} on version {ctx.st.version_label} (v{ctx.st.version_no}).",
    )


def _resubmit(ctx: ReviewContext, req: ResubmitRequest, _now: datetime) -> None:
    if req.version_no <= ctx.st.version_no or req.version_id == ctx.st.version_id:
        raise refuse(
            Refusal.INVALID_REQUEST,
            f"A resubmission needs a new version (current v{ctx.st.version_no}, got v{req.version_no}).",
        )


def _move_due_date(ctx: ReviewContext, req: MoveDueDateRequest, now: datetime) -> None:
    if req.due_at.tzinfo is None:
        raise refuse(Refusal.INVALID_REQUEST, "The new due date needs a time zone.")
    if req.due_at <= now:
        raise refuse(Refusal.INVALID_REQUEST, f"The new due date {req.due_at.isoformat()} is not in the future.")
    if req.due_at > now + DUE_DATE_MAX_AHEAD:
        raise refuse(
            Refusal.INVALID_REQUEST,
            f"The new due date {req.due_at.date().isoformat()} is more than {DUE_DATE_MAX_AHEAD.days} days ahead.",
        )


def _comment(ctx: ReviewContext, req: CommentRequest, _now: datetime) -> None:
    text = req.text.strip()
    if len(text) > COMMENT_MAX_CHARS:
        raise refuse(
            Refusal.INVALID_REQUEST, f"A comment is at most {COMMENT_MAX_CHARS} characters (this one has {len(text)})."
        )


_REQUEST_CHECKS: dict[type, Callable[[ReviewContext, Any, datetime], None]] = {
    AssignRequest: _assign,
    DismissFindingRequest: _dismiss,
    ResubmitRequest: _resubmit,
    MoveDueDateRequest: _move_due_date,
    CommentRequest: _comment,
}
