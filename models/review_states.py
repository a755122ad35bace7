"""The one table of allowed review transitions (../shared/ARCHITECTURE.md).

Update validators, web buttons and the audit log all read this table: who may act, from which
states, to which state, and whether a reason is required.
"""

from dataclasses import dataclass

from models.enums import ReviewAction, ReviewState

S = ReviewState


class Who:
    """Relations of the actor to the review, checked by the workflow's validators."""

    SYSTEM = "system"  # timers and the automatic pre-check
    TEAM = "team"  # the author or a member of the submitting team
    ASSIGNEE = "assignee"  # the reviewer the review is assigned to
    GCU_REVIEWER = "gcu_reviewer"  # any GCU reviewer (or the head) outside the submitting team
    GCU_HEAD = "gcu_head"


@dataclass(frozen=True)
class Transition:
    action: ReviewAction
    from_states: frozenset[ReviewState]
    to_state: ReviewState | None  # None: the state does not change
    who: frozenset[str]
    reason_required: bool = False
    label: str = ""
    # Per-state refinement of `who` (added for the workflow): in_review the assignee decides, once
    # escalated the decision belongs to the GCU head.
    who_when: tuple[tuple[ReviewState, frozenset[str]], ...] = ()

    def allows(self, state: ReviewState) -> bool:
        return state in self.from_states

    def who_in(self, state: ReviewState) -> frozenset[str]:
        return next((who for s, who in self.who_when if s == state), self.who)


_REVIEWER_DECIDES = ((S.IN_REVIEW, frozenset({Who.ASSIGNEE})), (S.ESCALATED, frozenset({Who.GCU_HEAD})))

_BEFORE_DECISION = frozenset({S.SUBMITTED, S.PRECHECKED, S.QUEUED, S.IN_REVIEW, S.ESCALATED, S.RETURNED, S.RESUBMITTED})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(ReviewAction.SUBMIT, frozenset(), S.SUBMITTED, frozenset({Who.TEAM}), label="Submit"),
    Transition(ReviewAction.PRECHECK, frozenset({S.SUBMITTED, S.RESUBMITTED}), S.PRECHECKED, frozenset({Who.SYSTEM})),
    Transition(ReviewAction.ENQUEUE, frozenset({S.PRECHECKED}), S.QUEUED, frozenset({Who.SYSTEM})),
    Transition(ReviewAction.CLAIM, frozenset({S.QUEUED}), S.IN_REVIEW, frozenset({Who.GCU_REVIEWER}), label="Claim"),
    Transition(
        ReviewAction.ASSIGN,
        frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED, S.PRECHECKED}),
        S.IN_REVIEW,
        frozenset({Who.GCU_HEAD}),
        label="Assign",
    ),
    Transition(
        ReviewAction.DISMISS_FINDING,
        frozenset({S.IN_REVIEW, S.ESCALATED}),
        None,
        frozenset({Who.ASSIGNEE, Who.GCU_HEAD}),
        reason_required=True,
        label="Dismiss finding",
        who_when=_REVIEWER_DECIDES,
    ),
    Transition(
        ReviewAction.APPROVE,
        frozenset({S.IN_REVIEW, S.ESCALATED}),
        S.APPROVED,
        frozenset({Who.ASSIGNEE, Who.GCU_HEAD}),
        label="Approve",
        who_when=_REVIEWER_DECIDES,
    ),
    Transition(
        ReviewAction.RETURN,
        frozenset({S.IN_REVIEW, S.ESCALATED}),
        S.RETURNED,
        frozenset({Who.ASSIGNEE, Who.GCU_HEAD}),
        reason_required=True,
        label="Return for revision",
        who_when=_REVIEWER_DECIDES,
    ),
    Transition(
        ReviewAction.ESCALATE,
        frozenset({S.IN_REVIEW}),
        S.ESCALATED,
        frozenset({Who.ASSIGNEE}),
        reason_required=True,
        label="Escalate to GCU head",
    ),
    Transition(ReviewAction.RESUBMIT, frozenset({S.RETURNED}), S.RESUBMITTED, frozenset({Who.TEAM}), label="Resubmit"),
    Transition(
        ReviewAction.WITHDRAW, _BEFORE_DECISION, S.WITHDRAWN, frozenset({Who.TEAM}), reason_required=True, label="Withdraw"
    ),
    Transition(
        ReviewAction.MOVE_DUE_DATE,
        frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED, S.RETURNED}),
        None,
        frozenset({Who.GCU_HEAD}),
        reason_required=True,
        label="Move due date",
    ),
    # Added (issue 5): a remark on the review, recorded in the audit trail with its text as the
    # reason; no state change. The reviewer side (assignee, GCU head) and the team talk to each other.
    Transition(
        ReviewAction.COMMENT,
        _BEFORE_DECISION,
        None,
        frozenset({Who.ASSIGNEE, Who.GCU_HEAD, Who.TEAM}),
        reason_required=True,
        label="Comment",
    ),
    # SLA events: recorded in the audit trail, no state change.
    Transition(ReviewAction.REMINDER, frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED}), None, frozenset({Who.SYSTEM})),
    Transition(
        ReviewAction.OVERDUE_ESCALATION, frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED}), None, frozenset({Who.SYSTEM})
    ),
    Transition(ReviewAction.DP_ESCALATION, frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED}), None, frozenset({Who.SYSTEM})),
    Transition(ReviewAction.RESUBMISSION_REMINDER, frozenset({S.RETURNED}), None, frozenset({Who.SYSTEM})),
    Transition(ReviewAction.RESUBMISSION_EXPIRED, frozenset({S.RETURNED}), None, frozenset({Who.SYSTEM})),
)

# After a resubmission passes the pre-check, the review goes straight back to the last reviewer: an
# ASSIGN made by the system. Kept out of TRANSITIONS' per-action lookup so `transition_for(ASSIGN)`
# stays the GCU head's action.
BACK_TO_LAST_REVIEWER = Transition(
    ReviewAction.ASSIGN, frozenset({S.PRECHECKED}), S.IN_REVIEW, frozenset({Who.SYSTEM}), label="Back to last reviewer"
)
AUTOMATIC_TRANSITIONS: tuple[Transition, ...] = (BACK_TO_LAST_REVIEWER,)

_BY_ACTION = {t.action: t for t in TRANSITIONS}

COMMENT_MAX_CHARS = 4000  # after stripping surrounding white space


def transition_for(action: ReviewAction) -> Transition:
    return _BY_ACTION[action]


def allowed_actions(state: ReviewState) -> list[Transition]:
    """Human actions that the table allows from `state` (for buttons and CLI help)."""
    return [t for t in TRANSITIONS if state in t.from_states and Who.SYSTEM not in t.who]
