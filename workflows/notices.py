"""Who hears about each transition. The workflow only names recipients (staff ids or relations);
the record_transition activity resolves relations from the register and writes the notifications
after the transition itself is durably recorded."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.enums import NotificationKind, ReviewAction, ReviewState
    from models.messages import NotificationRequest, NotifyTarget, ReviewWorkflowState, TransitionRecord

AUTHOR = NotifyTarget(relation="author")
TEAM = NotifyTarget(relation="team")
TEAM_LEADER = NotifyTarget(relation="team_leader")
GCU_HEAD = NotifyTarget(relation="gcu_head")
TEAM_DP = NotifyTarget(relation="team_dp")
ASSIGNEE = NotifyTarget(relation="assignee")


def _pool(st: ReviewWorkflowState) -> NotifyTarget:
    """Who reviews this product: GCU reviewers, or SPU officers for the types the SPU reviews."""
    return NotifyTarget(relation=st.reviewer_pool)


def _reviewer_or_pool(st: ReviewWorkflowState) -> NotifyTarget:
    return NotifyTarget(staff_id=st.assignee) if st.assignee else _pool(st)


def _due(st: ReviewWorkflowState) -> str:
    return st.due_at.strftime("%Y-%m-%d %H:%M %Z") if st.due_at else "-"


def notifications_for(rec: TransitionRecord, st: ReviewWorkflowState) -> list[NotificationRequest]:
    """`st` is the state after the transition."""
    title = f"{st.title} ({st.version_label})"
    why = f"\nReason: {rec.reason}" if rec.reason else ""
    a = rec.action
    n = NotificationRequest
    K = NotificationKind
    if a == ReviewAction.ENQUEUE:
        return [
            n(
                kind=K.QUEUED,
                targets=[_pool(st)],
                subject=f"New product to review: {title}",
                body=f"Pre-check verdict: {st.verdict}. Due {_due(st)}.",
            )
        ]
    if a in (ReviewAction.CLAIM, ReviewAction.ASSIGN):
        return [
            n(
                kind=K.ASSIGNMENT,
                targets=[NotifyTarget(staff_id=st.assignee)],
                subject=f"Assigned to you: {title}",
                body=f"Due {_due(st)}.{why}",
            ),
            n(kind=K.ASSIGNMENT, targets=[AUTHOR], subject=f"In review by {st.assignee}: {title}"),
        ]
    if a == ReviewAction.APPROVE:
        return [n(kind=K.APPROVED, targets=[AUTHOR, TEAM], subject=f"Approved: {title}", body=why.strip())]
    if a == ReviewAction.RETURN:
        deadline = st.resubmission_due_at.strftime("%Y-%m-%d") if st.resubmission_due_at else "-"
        return [
            n(
                kind=K.RETURNED,
                targets=[AUTHOR, TEAM],
                subject=f"Returned for revision: {title}",
                body=f"Resubmit by {deadline}.{why}",
            )
        ]
    if a == ReviewAction.ESCALATE:
        return [
            n(kind=K.ESCALATION, targets=[GCU_HEAD], subject=f"Escalated by {rec.actor_id}: {title}", body=why.strip())
        ]
    if a == ReviewAction.WITHDRAW:
        return [
            n(
                kind=K.WITHDRAWN,
                targets=[_reviewer_or_pool(st)],
                subject=f"Withdrawn by the team: {title}",
                body=why.strip(),
            )
        ]
    if a == ReviewAction.MOVE_DUE_DATE:
        return [
            n(
                kind=K.REMINDER,
                targets=[_reviewer_or_pool(st), AUTHOR],
                subject=f"Due date moved: {title}",
                body=f"New due date {rec.details.get('due_at', '-')}.{why}",
            )
        ]
    if a == ReviewAction.REMINDER:
        return [n(kind=K.REMINDER, targets=[_reviewer_or_pool(st)], subject=f"Review due {_due(st)}: {title}")]
    if a == ReviewAction.OVERDUE_ESCALATION:
        return [
            n(
                kind=K.ESCALATION,
                targets=[GCU_HEAD],
                subject=f"Review overdue since {_due(st)}: {title}",
                body=f"Assignee: {st.assignee or 'unassigned'}.",
            )
        ]
    if a == ReviewAction.DP_ESCALATION:
        return [
            n(
                kind=K.ESCALATION,
                targets=[TEAM_DP, GCU_HEAD],
                subject=f"Review still overdue: {title}",
                body=f"Due {_due(st)}; escalated to the GCU head without a decision.",
            )
        ]
    if a == ReviewAction.RESUBMISSION_REMINDER:
        return [
            n(
                kind=K.RESUBMISSION_REMINDER,
                targets=[AUTHOR, TEAM],
                subject=f"Resubmission due {st.resubmission_due_at:%Y-%m-%d}: {title}",
            )
        ]
    if a == ReviewAction.RESUBMISSION_EXPIRED:
        return [
            n(
                kind=K.ESCALATION,
                targets=[TEAM, TEAM_LEADER, GCU_HEAD],
                subject=f"Resubmission deadline passed: {title}",
            )
        ]
    if a == ReviewAction.COMMENT:
        # The other side hears it: the team a reviewer's remark, the reviewer (or, with nobody
        # assigned, the GCU head) the team's. The commenter is never told of their own comment.
        if rec.details.get("side") == "gcu":
            targets = [AUTHOR, TEAM, ASSIGNEE]  # the assignee too, when the GCU head comments
        else:
            targets = [ASSIGNEE, GCU_HEAD] if st.state == ReviewState.ESCALATED or not st.assignee else [ASSIGNEE]
        return [
            n(kind=K.COMMENT, targets=targets, subject=f"Comment by {rec.actor_id}: {title}", body=rec.reason or "")
        ]
    return []  # submit, pre-check, resubmit, dismissals: recorded, nobody to tell
