"""Update validators as pure functions: the transition table (models/review_states.py) plus the
rules it cannot express (self-review, approval blockers, unknown findings).

Each check raises a non-retryable ApplicationError whose message names the reason. Validators run
them before anything reaches history; handlers run them again inside the lock, because another
update may have changed the state between validation and execution.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.findings import approval_blockers, open_findings_for_rule

with workflow.unsafe.imports_passed_through():
    from models.enums import DecisionKind, FindingState, ReviewAction, ReviewState, StaffRole, Verdict
    from models.messages import (
        Actor,
        AssignRequest,
        ClaimRequest,
        CommentRequest,
        DecisionRequest,
        DismissFindingRequest,
        MoveDueDateRequest,
        ResubmitRequest,
        ReviewWorkflowState,
        WithdrawRequest,
    )
    from models.limits import DUE_DATE_MAX_AHEAD, REASON_MAX_CHARS
    from models.review_states import COMMENT_MAX_CHARS, Transition, Who, transition_for


class Refusal(StrEnum):
    """ApplicationError types of refused updates (clients map them to exit code 1 / HTTP 409)."""

    WRONG_STATE = "WrongState"
    NOT_ALLOWED = "NotAllowed"
    SELF_REVIEW = "SelfReview"
    REASON_REQUIRED = "ReasonRequired"
    APPROVAL_BLOCKED = "ApprovalBlocked"
    UNKNOWN_FINDING = "UnknownFinding"
    INVALID_REQUEST = "InvalidRequest"


def refuse(kind: Refusal, message: str) -> ApplicationError:
    return ApplicationError(message, type=str(kind), non_retryable=True)


DECISION_ACTIONS = {
    DecisionKind.APPROVE: ReviewAction.APPROVE,
    DecisionKind.RETURN: ReviewAction.RETURN,
    DecisionKind.ESCALATE: ReviewAction.ESCALATE,
}

_WHO_WORDS = {
    Who.TEAM: "the author or a member of the submitting team",
    Who.ASSIGNEE: "the assigned reviewer",
    Who.GCU_REVIEWER: "a GCU reviewer",
    Who.GCU_HEAD: "the GCU head",
    Who.SYSTEM: "the system",
}


@dataclass(frozen=True)
class ReviewContext:
    """What the validators need besides the request: the product's owners and the current state."""

    author_id: str
    team_id: str
    st: ReviewWorkflowState


def is_team_side(person: Actor, ctx: ReviewContext) -> bool:
    return person.staff_id == ctx.author_id or ctx.team_id in person.team_ids


def relations(actor: Actor, ctx: ReviewContext) -> set[str]:
    found: set[str] = set()
    if is_team_side(actor, ctx):
        found.add(Who.TEAM)
    if actor.has_role(StaffRole.GCU_REVIEWER, StaffRole.GCU_HEAD):
        found.add(Who.GCU_REVIEWER)
    if actor.has_role(StaffRole.GCU_HEAD):
        found.add(Who.GCU_HEAD)
    if ctx.st.assignee is not None and ctx.st.assignee == actor.staff_id:
        found.add(Who.ASSIGNEE)
    return found


def check_transition(t: Transition, ctx: ReviewContext, actor: Actor, reason: str | None = None) -> None:
    state = ctx.st.state
    label = (t.label or str(t.action)).lower()
    if not t.allows(state):
        allowed = ", ".join(sorted(str(s) for s in t.from_states))
        raise refuse(Refusal.WRONG_STATE, f"cannot {label}: the review is {state} (allowed when: {allowed})")
    needed = t.who_in(state)
    if not relations(actor, ctx) & needed:
        who = " or ".join(_WHO_WORDS[w] for w in sorted(needed))
        raise refuse(Refusal.NOT_ALLOWED, f"{actor.staff_id} may not {label}: only {who} may, while {state}")
    if t.reason_required and not (reason or "").strip():
        raise refuse(Refusal.REASON_REQUIRED, f"{label} requires a reason")
    if len((reason or "").strip()) > REASON_MAX_CHARS:
        raise refuse(Refusal.INVALID_REQUEST,
                     f"a reason is at most {REASON_MAX_CHARS} characters (this one has {len(reason.strip())})")


def check_not_team_side(person: Actor, ctx: ReviewContext) -> None:
    """No one reviews their own team's work (the author, the leader, focal points, members)."""
    if person.staff_id == ctx.author_id:
        raise refuse(Refusal.SELF_REVIEW, f"{person.staff_id} is the author of this product and cannot review it")
    if ctx.team_id in person.team_ids:
        raise refuse(
            Refusal.SELF_REVIEW,
            f"{person.staff_id} is a member of the submitting team {ctx.team_id} and cannot review its product",
        )


def check_claim(ctx: ReviewContext, req: ClaimRequest) -> None:
    check_transition(transition_for(ReviewAction.CLAIM), ctx, req.actor)
    check_not_team_side(req.actor, ctx)


def check_assign(ctx: ReviewContext, req: AssignRequest) -> None:
    check_transition(transition_for(ReviewAction.ASSIGN), ctx, req.actor, req.reason)
    check_not_team_side(req.actor, ctx)
    if not req.reviewer.has_role(StaffRole.GCU_REVIEWER, StaffRole.GCU_HEAD):
        raise refuse(Refusal.NOT_ALLOWED, f"{req.reviewer.staff_id} is not a GCU reviewer and cannot be assigned")
    check_not_team_side(req.reviewer, ctx)
    if ctx.st.assignee == req.reviewer.staff_id and ctx.st.state == ReviewState.IN_REVIEW:
        raise refuse(Refusal.INVALID_REQUEST, f"the review is already assigned to {req.reviewer.staff_id}")


def check_dismiss(ctx: ReviewContext, req: DismissFindingRequest) -> None:
    check_transition(transition_for(ReviewAction.DISMISS_FINDING), ctx, req.actor, req.reason)
    check_not_team_side(req.actor, ctx)
    if not open_findings_for_rule(ctx.st.findings, req.rule_id):
        known = [f for f in ctx.st.findings if f.rule_id == req.rule_id]
        if known:
            state = FindingState(known[0].state)
            raise refuse(Refusal.UNKNOWN_FINDING, f"finding {req.rule_id} is already {state}, not open")
        raise refuse(
            Refusal.UNKNOWN_FINDING,
            f"no finding {req.rule_id} on version {ctx.st.version_label} (v{ctx.st.version_no})",
        )


def check_decide(ctx: ReviewContext, req: DecisionRequest) -> None:
    check_transition(transition_for(DECISION_ACTIONS[req.decision]), ctx, req.actor, req.reason)
    check_not_team_side(req.actor, ctx)
    if req.decision == DecisionKind.APPROVE:
        if ctx.st.verdict == Verdict.FORMAT_ERROR:
            raise refuse(Refusal.APPROVAL_BLOCKED, "cannot approve: the version has format errors")
        blockers = approval_blockers(ctx.st.findings)
        if blockers:
            listed = ", ".join(f"{f.rule_id} ({f.severity})" for f in blockers)
            raise refuse(
                Refusal.APPROVAL_BLOCKED,
                f"cannot approve while undismissed blocking or major findings remain: {listed}",
            )


def check_resubmit(ctx: ReviewContext, req: ResubmitRequest) -> None:
    check_transition(transition_for(ReviewAction.RESUBMIT), ctx, req.actor)
    if req.version_no <= ctx.st.version_no or req.version_id == ctx.st.version_id:
        raise refuse(
            Refusal.INVALID_REQUEST,
            f"a resubmission needs a new version (current v{ctx.st.version_no}, got v{req.version_no})",
        )


def check_withdraw(ctx: ReviewContext, req: WithdrawRequest) -> None:
    check_transition(transition_for(ReviewAction.WITHDRAW), ctx, req.actor, req.reason)


def check_move_due_date(ctx: ReviewContext, req: MoveDueDateRequest, now: datetime) -> None:
    check_transition(transition_for(ReviewAction.MOVE_DUE_DATE), ctx, req.actor, req.reason)
    if req.due_at.tzinfo is None:
        raise refuse(Refusal.INVALID_REQUEST, "the new due date needs a time zone")
    if req.due_at <= now:
        raise refuse(Refusal.INVALID_REQUEST, f"the new due date {req.due_at.isoformat()} is not in the future")
    if req.due_at > now + DUE_DATE_MAX_AHEAD:
        raise refuse(Refusal.INVALID_REQUEST, f"the new due date {req.due_at.date().isoformat()} is more than "
                                              f"{DUE_DATE_MAX_AHEAD.days} days ahead")


def comment_side(actor: Actor, ctx: ReviewContext) -> str:
    """'gcu' when the assignee or the GCU head speaks, otherwise 'team': decides who is told."""
    found = relations(actor, ctx)
    return "gcu" if found & {Who.ASSIGNEE, Who.GCU_HEAD} else "team"


def check_comment(ctx: ReviewContext, req: CommentRequest) -> None:
    # State and relation from the table; the text (the table's required reason) in a comment's own words.
    check_transition(replace(transition_for(ReviewAction.COMMENT), reason_required=False), ctx, req.actor)
    text = req.text.strip()
    if not text:
        raise refuse(Refusal.REASON_REQUIRED, "a comment cannot be empty")
    if len(text) > COMMENT_MAX_CHARS:
        raise refuse(Refusal.INVALID_REQUEST, f"a comment is at most {COMMENT_MAX_CHARS} characters (this one has {len(text)})")
