"""Workflow and activity messages: one pydantic model in, one out, for every boundary.

These cross the Temporal data converter (pydantic_data_converter), so they hold plain data only:
no SQLModel tables, no engine objects.
"""

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, field_validator

from models.enums import (
    DecisionKind,
    FindingState,
    NotificationKind,
    ProductType,
    ReviewAction,
    ReviewState,
    Severity,
    StaffRole,
    Verdict,
)
from models.limits import DUE_DATE_MAX, DUE_DATE_MIN, REQUEST_ID_MAX_CHARS, TEXT_HARD_MAX_CHARS

# Free texts and request ids of the update requests: a hard cap here on what reaches a Temporal
# payload (past it the workflow cannot even decode the request); the precise limits
# (models/limits.py) are the API's, the service layer's and the workflow validators', with a sentence.
Reason = Field(max_length=TEXT_HARD_MAX_CHARS)
OptionalReason = Field(default=None, max_length=TEXT_HARD_MAX_CHARS)
# The service layer scopes a caller's key to the person and the action: "<staff id>/<action>/<key>".
RequestId = Field(min_length=1, max_length=2 * REQUEST_ID_MAX_CHARS)


class Actor(BaseModel):
    """Who asks. Resolved from the register by the caller (CLI, web app) before the update is sent;
    the workflow's validators decide from it, since validators cannot do I/O."""

    staff_id: str
    roles: list[str] = Field(default_factory=list)
    # Teams whose team staff (leader, focal points, members) include this person.
    team_ids: list[str] = Field(default_factory=list)
    name: str = ""
    # Teams whose Deputy Prosecutor this person is (the review policy's "Deputy Prosecutor of the cluster").
    cluster_team_ids: list[str] = Field(default_factory=list)
    # Through what the person acts (web, api, cli: models.enums.AuditChannel), for the audit trail.
    channel: str = ""

    def has_role(self, *roles: StaffRole | str) -> bool:
        return any(str(r) in self.roles for r in roles)


class SlaPolicy(BaseModel):
    """Durable SLA knobs; copied from Settings into each workflow at submission and frozen there for
    the life of the review, resubmissions included (docs/review-lifecycle.md: a deadline must not
    move under a reviewer because a setting changed; the GCU head moves one with move-due)."""

    review_working_days: int = 10
    reminder_before: timedelta = timedelta(days=2)
    # Overdue escalation to the GCU head happens this long after the due time.
    escalate_after_due: timedelta = timedelta(0)
    # Further escalation to the team's Deputy Prosecutor, after the GCU-head escalation.
    dp_escalation_after: timedelta = timedelta(days=5)
    resubmission_days: int = 30
    resubmission_reminder_before: timedelta = timedelta(days=7)
    holidays: list[date] = Field(default_factory=list)
    # A returned review not resubmitted this long after its resubmission deadline is closed as
    # withdrawn (it used to wait for ever, its workflow open).
    close_after_expiry: timedelta = timedelta(days=180)
    # The office's time zone (IANA name): working days are its calendar days. Reviews submitted
    # before it existed carry none and keep counting on UTC dates.
    time_zone: str = "UTC"


class FindingView(BaseModel):
    finding_id: str  # stable: f"{product_id}:v{version_no}:{rule_id}"
    rule_id: str
    severity: Severity
    message: str
    citation: str
    location: str
    fix: str = ""
    title: str = ""
    pack_version: str = ""
    state: FindingState = FindingState.OPEN
    dismissed_by: str | None = None
    dismissal_reason: str | None = None
    dismissed_at: datetime | None = None


class TransitionRecord(BaseModel):
    """One entry of the review history; mirrored by exactly one audit event in the database."""

    seq: int
    action: ReviewAction
    actor_id: str | None = None  # None for the system (timers, pre-check)
    from_state: ReviewState | None = None
    to_state: ReviewState
    reason: str | None = None
    at: datetime
    details: dict[str, str] = Field(default_factory=dict)


class NotifyTarget(BaseModel):
    """Who to tell. Either a staff id, or a relation the activity resolves from the register:
    'assignee', 'author', 'team_leader', 'team', 'gcu_head', 'gcu_reviewers', 'spu_officers', 'team_dp'."""

    staff_id: str | None = None
    relation: str | None = None


class NotificationRequest(BaseModel):
    kind: NotificationKind
    targets: list[NotifyTarget]
    subject: str
    body: str = ""


# ---------- workflow input ----------

REVIEW_WORKFLOW_ID_PREFIX = "product-review-"


def workflow_id_for(product_id: str) -> str:
    """The id of a product's review workflow: one per product, whoever starts or asks it."""
    return f"{REVIEW_WORKFLOW_ID_PREFIX}{product_id}"


class ReviewWorkflowState(BaseModel):
    """Everything the workflow keeps; carried across continue-as-new."""

    state: ReviewState = ReviewState.SUBMITTED
    version_id: int
    version_no: int
    version_label: str
    title: str
    assignee: str | None = None
    last_reviewer: str | None = None
    due_at: datetime | None = None
    resubmission_due_at: datetime | None = None
    submitted_at: datetime | None = None
    verdict: Verdict | None = None
    pack_version: str = ""
    findings: list[FindingView] = Field(default_factory=list)
    history: list[TransitionRecord] = Field(default_factory=list)
    escalation_level: int = 0  # 0 none, 1 GCU head, 2 Deputy Prosecutor
    reminder_sent_for_due: datetime | None = None
    processed_request_ids: list[str] = Field(default_factory=list)
    next_seq: int = 1
    # Added for the workflow (issue 3): SLA bookkeeping of the resubmission deadline and the outcome.
    resubmission_reminder_sent_for: datetime | None = None
    resubmission_expired_for: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    runs: int = 1  # workflow runs so far (continue-as-new increments it)
    # Added (issue 16): who may not review the current version besides its author and team (v2 §5.3),
    # and the relation notified of a review waiting in the queue (GCU reviewers or SPU officers).
    conflicted_staff: list[str] = Field(default_factory=list)
    reviewer_pool: str = "gcu_reviewers"
    # Added (issue 18): when the current version was (re)submitted, which the SLA counts from. A run
    # started by continue-as-new carries no history (it stays in the database), so the due date
    # cannot be read from the history's last submission there.
    last_submitted_at: datetime | None = None


class SubmitProductInput(BaseModel):
    product_id: str
    version_id: int
    version_no: int = 1
    version_label: str
    product_type: ProductType
    team_id: str
    situation: str
    author_id: str
    title: str
    submitted_by: Actor
    request_id: str
    sla: SlaPolicy = Field(default_factory=SlaPolicy)
    carried_state: ReviewWorkflowState | None = None
    # Set by `gcu-review repair --restart` (with carried_state): how the previous run ended, recorded
    # as the new run's first transition.
    restart_reason: str | None = Field(default=None, max_length=1000)
    # Upsert Team/ProductType/ReviewState/Assignee/Situation; off only for a namespace where they
    # cannot be registered (service/temporal_setup.register_search_attributes).
    search_attributes_enabled: bool = True
    # Continue-as-new after this many history events (None: when the server suggests it). For tests.
    continue_as_new_after_events: int | None = None
    # How long a transition's local recording is retried before the workflow hands it to an ordinary
    # activity (None: workflows.review.LOCAL_RECORDING_GIVE_UP_AFTER). For tests.
    local_recording_give_up_after: timedelta | None = None
    # An extra bound on the local attempts (None: only the time bound). For tests.
    local_recording_attempts: int | None = Field(default=None, ge=1)
    # Staff the product names who may not review it (contract v2 §5.3), read by the service from the
    # front matter through the product-type registry; who is notified of a new review.
    conflicted_staff: list[str] = Field(default_factory=list)
    reviewer_pool: str = "gcu_reviewers"


class ReviewOutcome(BaseModel):
    product_id: str
    final_state: ReviewState
    version_no: int
    decided_by: str | None = None
    decided_at: datetime | None = None


# ---------- updates (each carries the actor and a request id; all return ReviewStatus) ----------


class ClaimRequest(BaseModel):
    actor: Actor
    request_id: str = RequestId


class PrecheckWaitRequest(BaseModel):
    """Answer once the pre-check of this version (or a later one) has run and the review is routed."""

    version_no: int = Field(default=1, ge=1)


class AssignRequest(BaseModel):
    actor: Actor
    reviewer: Actor
    request_id: str = RequestId
    reason: str | None = OptionalReason


class DismissFindingRequest(BaseModel):
    actor: Actor
    rule_id: str = Field(max_length=200)
    reason: str = Reason
    request_id: str = RequestId


class DecisionRequest(BaseModel):
    actor: Actor
    decision: DecisionKind
    reason: str | None = OptionalReason
    request_id: str = RequestId


class ResubmitRequest(BaseModel):
    actor: Actor
    version_id: int
    version_no: int
    version_label: str
    title: str
    request_id: str = RequestId
    conflicted_staff: list[str] | None = None  # as SubmitProductInput, for the new version (None: unchanged)


class WithdrawRequest(BaseModel):
    actor: Actor
    reason: str = Reason
    request_id: str = RequestId


class MoveDueDateRequest(BaseModel):
    actor: Actor
    due_at: datetime
    reason: str = Reason
    request_id: str = RequestId

    @field_validator("due_at")
    @classmethod
    def _due_in_range(cls, due_at: datetime) -> datetime:
        # Static bounds only: this also runs inside the workflow, which may not read the clock.
        if due_at.tzinfo is not None and not DUE_DATE_MIN <= due_at < DUE_DATE_MAX:
            raise ValueError(f"a due date must lie between {DUE_DATE_MIN.year} and {DUE_DATE_MAX.year - 1}")
        return due_at


class CommentRequest(BaseModel):
    """Added (issue 5). The text is checked by the validator (not empty, at most
    models.limits.COMMENT_MAX_CHARS), so a refusal names the reason."""

    actor: Actor
    text: str = Field(max_length=TEXT_HARD_MAX_CHARS)
    request_id: str = RequestId


class ReviewStatus(BaseModel):
    product_id: str
    workflow_id: str
    state: ReviewState
    product_type: ProductType
    team_id: str
    situation: str
    author_id: str
    title: str
    version_id: int
    version_no: int
    version_label: str
    assignee: str | None = None
    due_at: datetime | None = None
    resubmission_due_at: datetime | None = None
    overdue: bool = False
    escalation_level: int = 0
    verdict: Verdict | None = None
    pack_version: str = ""
    findings: list[FindingView] = Field(default_factory=list)
    # Empty in the answer of an update (the `status` query has it): an update's answer is written
    # into the workflow's history, and a whole history in each made it grow quadratically.
    history: list[TransitionRecord] = Field(default_factory=list)
    # In the answer of an update: the transition it recorded (None for one that changes nothing).
    changed: TransitionRecord | None = None
    # Added (issue 3): who the review returns to after a resubmission, the outcome, and the human
    # actions the transition table allows in this state (for buttons and CLI help).
    last_reviewer: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    allowed_actions: list[ReviewAction] = Field(default_factory=list)


# ---------- activities ----------


class PrecheckInput(BaseModel):
    workflow_id: str
    product_id: str
    version_id: int
    version_no: int


class PrecheckResult(BaseModel):
    verdict: Verdict
    pack_version: str
    findings: list[FindingView] = Field(default_factory=list)
    format_errors: list[str] = Field(default_factory=list)


class RecordTransitionInput(BaseModel):
    """Persist one transition: audit event, review projection, decision/finding rows, then the
    notifications. Idempotent on (workflow_id, transition.seq). `state_after` is the projection's
    source: the workflow leaves out its history, findings and request ids, which grow with every
    transition and which the recording does not read."""

    workflow_id: str
    product_id: str
    version_id: int
    transition: TransitionRecord
    state_after: ReviewWorkflowState
    notifications: list[NotificationRequest] = Field(default_factory=list)


class RecordTransitionResult(BaseModel):
    audit_event_id: int
    created: bool  # False when this transition had already been recorded (a retry)
    notifications_created: int = 0


class RecordTransitionsInput(BaseModel):
    """Consecutive transitions of one review recorded in one transaction, in order (the pre-check
    and the routing that follows it; a single human action is a list of one)."""

    transitions: list[RecordTransitionInput] = Field(min_length=1)
    # Set on the local recording only: an attempt that starts this long after the first one gives up
    # (activities/recording_bound.py), so the workflow hands the recording to an ordinary activity.
    local_give_up_after: timedelta | None = None


class RecordTransitionsResult(BaseModel):
    results: list[RecordTransitionResult]


class SearchAttributesView(BaseModel):
    team: str
    product_type: str
    review_state: str
    assignee: str | None = None
    situation: str


# Every request a person makes of a review: the updates of ProductReviewWorkflow that act.
ReviewRequest = (
    ClaimRequest
    | AssignRequest
    | DismissFindingRequest
    | DecisionRequest
    | ResubmitRequest
    | WithdrawRequest
    | MoveDueDateRequest
    | CommentRequest
)
