"""The review policy: one executable table that decides every review action (../shared/ARCHITECTURE.md).

For an action, the person asking (roles and teams from the register) and the review (its product's
type, team and author, its state, assignee and open findings), `decide` answers allowed, or refused
with a sentence a lawyer can read. The workflow's update validators and handlers (including the state
each transition leads to), the web app's buttons and route checks, and the CLI all ask this module;
none keeps its own copy.

Who may act is named by parties: a relation to the product (its author, the submitting team's staff,
the reviewer it is assigned to, the Deputy Prosecutor of the team's cluster) or a role of the register
(`gcu_reviewer`, `gcu_head`, ...). A new role or product type is a change of the data below: a `Rule`
limited to some product types, its role in `who`, a word for it in `ROLE_WORDS`.

Pure: the standard library and models.enums only, so it runs inside the workflow sandbox as well.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from models.enums import DecisionKind, FindingState, ProductType, ReviewAction, ReviewState, Severity, StaffRole

S = ReviewState
A = ReviewAction


class Party(StrEnum):
    """Relations to a product that the table names beside roles of the register."""

    SYSTEM = "system"  # timers and the automatic pre-check
    AUTHOR = "author"
    TEAM_STAFF = "team_staff"  # leader, focal points and members of the product's team
    ASSIGNEE = "assignee"  # the reviewer the review is assigned to
    CLUSTER_DP = "cluster_dp"  # the Deputy Prosecutor of the product team's cluster


TEAM_SIDE = frozenset({Party.AUTHOR, Party.TEAM_STAFF})

# A role that includes another: the GCU head is also a GCU reviewer.
ROLE_IMPLIES: dict[str, frozenset[str]] = {StaffRole.GCU_HEAD: frozenset({StaffRole.GCU_REVIEWER})}

ROLE_WORDS: dict[str, str] = {
    StaffRole.GCU_REVIEWER: "a GCU reviewer",
    StaffRole.GCU_HEAD: "the GCU head",
    StaffRole.SPU_OFFICER: "an SPU officer",
}

# The types the Security and Protection Unit reviews (contract v2 §5.3): the registry's
# `review_unit` (rules/product_types/) says the same, and tests/models/test_review_policy_spu.py
# holds the two together. Their rows below differ from the GCU's only in who may claim: an SPU
# officer; dismissing, deciding and escalating (to the GCU head) follow the general rows.
SPU_REVIEWED = frozenset({ProductType.IR})


class Refusal(StrEnum):
    """Kinds of refusal (the workflow's ApplicationError types; clients map them to exit 1 / HTTP 409)."""

    WRONG_STATE = "WrongState"
    NOT_ALLOWED = "NotAllowed"
    SELF_REVIEW = "SelfReview"
    REASON_REQUIRED = "ReasonRequired"
    APPROVAL_BLOCKED = "ApprovalBlocked"
    UNKNOWN_FINDING = "UnknownFinding"
    INVALID_REQUEST = "InvalidRequest"


# Refusals about the person (HTTP 403 at a route), as against the review's state or the request (409).
WHO_REFUSALS = frozenset({Refusal.NOT_ALLOWED, Refusal.SELF_REVIEW})


class Findings(StrEnum):
    """What a rule needs of the current version's findings."""

    ANY = "any"
    NONE_BLOCKING = "none_blocking"  # requirements.md §1.5: no undismissed blocking or major finding
    SOME_OPEN = "some_open"  # something left to dismiss


# requirements.md §1.5: "A reviewer cannot approve a product with an undismissed blocking or major finding."
APPROVAL_BLOCKING_SEVERITIES = frozenset({Severity.BLOCKING, Severity.MAJOR})

COMMENT_MAX_CHARS = 4000  # after stripping surrounding white space


@dataclass(frozen=True)
class Rule:
    """One row of the table: who may take `action`, from which states, to which state."""

    action: ReviewAction
    from_states: frozenset[ReviewState]  # empty: before there is a review (submission)
    to_state: ReviewState | None  # None: the state does not change
    who: frozenset[str]  # parties and roles; any one suffices
    verb: str = ""  # "claim this review": completes "may not ..." and "cannot ... now"
    label: str = ""  # the button
    # Per-state refinement of `who`: in review the assignee decides, once escalated the GCU head.
    who_when: tuple[tuple[ReviewState, frozenset[str]], ...] = ()
    reason_required: bool = False
    missing_reason: str = ""  # the refusal when the reason is missing, if not the usual sentence
    # Separation of duties: nobody reviews their own team's work (the author, leader, focal points, members).
    not_team_side: bool = False
    # Submissions: the author, too, must be team staff of the product's team.
    author_on_team: bool = False
    findings: Findings = Findings.ANY
    product_types: frozenset[str] | None = None  # None: every type; a narrower rule wins
    when: str = ""  # "before the review is decided": overrides the list of states in refusals

    def allows(self, state: ReviewState) -> bool:
        return state in self.from_states

    def who_in(self, state: ReviewState | None) -> frozenset[str]:
        return next((who for s, who in self.who_when if s == state), self.who)

    def who_ever(self) -> frozenset[str]:
        return self.who.union(*(who for _s, who in self.who_when))

    @property
    def target(self) -> ReviewState:
        """The state this rule leads to; only asked of a rule that changes the state."""
        if self.to_state is None:
            raise ValueError(f"{self.action} does not change the review's state")
        return self.to_state

    @property
    def human(self) -> bool:
        return Party.SYSTEM not in self.who


Transition = Rule  # the name the workflow and older callers know


_DECIDERS = ((S.IN_REVIEW, frozenset({Party.ASSIGNEE})), (S.ESCALATED, frozenset({StaffRole.GCU_HEAD})))
_BEFORE_DECISION = frozenset({S.SUBMITTED, S.PRECHECKED, S.QUEUED, S.IN_REVIEW, S.ESCALATED, S.RETURNED, S.RESUBMITTED})
_UNDER_REVIEW = frozenset({S.IN_REVIEW, S.ESCALATED})
_TIMED = frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED})
_SYSTEM = frozenset({Party.SYSTEM})
_GCU = frozenset({StaffRole.GCU_REVIEWER})
_HEAD = frozenset({StaffRole.GCU_HEAD})
_TEAM = frozenset({Party.TEAM_STAFF})
_DECIDER_OR_HEAD = frozenset({Party.ASSIGNEE, StaffRole.GCU_HEAD})

RULES: tuple[Rule, ...] = (
    Rule(A.SUBMIT, frozenset(), S.SUBMITTED, _TEAM, "submit this product", "Submit", author_on_team=True),
    Rule(A.PRECHECK, frozenset({S.SUBMITTED, S.RESUBMITTED}), S.PRECHECKED, _SYSTEM, "pre-check"),
    Rule(A.ENQUEUE, frozenset({S.PRECHECKED}), S.QUEUED, _SYSTEM, "queue"),
    Rule(A.CLAIM, frozenset({S.QUEUED}), S.IN_REVIEW, _GCU, "claim this review", "Claim", not_team_side=True),
    Rule(
        A.CLAIM,
        frozenset({S.QUEUED}),
        S.IN_REVIEW,
        frozenset({StaffRole.SPU_OFFICER}),
        "claim this review",
        "Claim",
        not_team_side=True,
        product_types=SPU_REVIEWED,
    ),
    Rule(
        A.ASSIGN,
        frozenset({S.PRECHECKED, S.QUEUED, S.IN_REVIEW, S.ESCALATED}),
        S.IN_REVIEW,
        _HEAD,
        "assign a reviewer",
        "Assign",
        not_team_side=True,
    ),
    Rule(
        A.DISMISS_FINDING,
        _UNDER_REVIEW,
        None,
        _DECIDER_OR_HEAD,
        "dismiss a finding",
        "Dismiss finding",
        who_when=_DECIDERS,
        reason_required=True,
        not_team_side=True,
        findings=Findings.SOME_OPEN,
    ),
    Rule(
        A.APPROVE,
        _UNDER_REVIEW,
        S.APPROVED,
        _DECIDER_OR_HEAD,
        "approve",
        "Approve",
        who_when=_DECIDERS,
        not_team_side=True,
        findings=Findings.NONE_BLOCKING,
    ),
    Rule(
        A.RETURN,
        _UNDER_REVIEW,
        S.RETURNED,
        _DECIDER_OR_HEAD,
        "return for revision",
        "Return for revision",
        who_when=_DECIDERS,
        reason_required=True,
        not_team_side=True,
    ),
    Rule(
        A.ESCALATE,
        frozenset({S.IN_REVIEW}),
        S.ESCALATED,
        frozenset({Party.ASSIGNEE}),
        "escalate to the GCU head",
        "Escalate to GCU head",
        reason_required=True,
        not_team_side=True,
    ),
    Rule(
        A.RESUBMIT,
        frozenset({S.RETURNED}),
        S.RESUBMITTED,
        _TEAM,
        "resubmit this product",
        "Resubmit",
        author_on_team=True,
    ),
    Rule(
        A.WITHDRAW,
        _BEFORE_DECISION,
        S.WITHDRAWN,
        TEAM_SIDE,
        "withdraw this product",
        "Withdraw",
        reason_required=True,
        when="before the review is decided",
    ),
    Rule(
        A.MOVE_DUE_DATE,
        frozenset({S.QUEUED, S.IN_REVIEW, S.ESCALATED, S.RETURNED}),
        None,
        _HEAD,
        "move the due date",
        "Move due date",
        reason_required=True,
    ),
    # A remark on the review (issue 5), its text recorded as the reason; the reviewer side (assignee,
    # GCU head) and the team talk to each other.
    Rule(
        A.COMMENT,
        _BEFORE_DECISION,
        None,
        _DECIDER_OR_HEAD | TEAM_SIDE,
        "comment",
        "Comment",
        reason_required=True,
        missing_reason="A comment cannot be empty.",
        when="before the review is decided",
    ),
    # SLA events: recorded in the audit trail, no state change.
    Rule(A.REMINDER, _TIMED, None, _SYSTEM, "send a reminder"),
    Rule(A.OVERDUE_ESCALATION, _TIMED, None, _SYSTEM, "escalate an overdue review"),
    Rule(A.DP_ESCALATION, _TIMED, None, _SYSTEM, "escalate to the Deputy Prosecutor"),
    Rule(A.RESUBMISSION_REMINDER, frozenset({S.RETURNED}), None, _SYSTEM, "remind the team to resubmit"),
    Rule(A.RESUBMISSION_EXPIRED, frozenset({S.RETURNED}), None, _SYSTEM, "close an expired resubmission"),
)

# After a resubmission passes the pre-check, the review goes straight back to the last reviewer: an
# ASSIGN made by the system, kept apart so that the ASSIGN rule stays the GCU head's action.
BACK_TO_LAST_REVIEWER = Rule(
    A.ASSIGN, frozenset({S.PRECHECKED}), S.IN_REVIEW, _SYSTEM, "route to the last reviewer", "Back to last reviewer"
)
AUTOMATIC_RULES: tuple[Rule, ...] = (BACK_TO_LAST_REVIEWER,)

# A reviewer's decision (one update, one form) is one of three actions of the table.
DECISION_ACTIONS: dict[DecisionKind, ReviewAction] = {
    DecisionKind.APPROVE: A.APPROVE,
    DecisionKind.RETURN: A.RETURN,
    DecisionKind.ESCALATE: A.ESCALATE,
}

HUMAN_ACTIONS: tuple[ReviewAction, ...] = tuple(dict.fromkeys(r.action for r in RULES if r.human))

STATE_WORDS: dict[ReviewState, str] = {
    S.SUBMITTED: "still being pre-checked",
    S.PRECHECKED: "being routed after its pre-check",
    S.QUEUED: "waiting in the GCU queue",
    S.IN_REVIEW: "being reviewed",
    S.ESCALATED: "escalated to the GCU head",
    S.RETURNED: "back with the team for revision",
    S.RESUBMITTED: "being pre-checked again after a resubmission",
    S.APPROVED: "approved, and an approved product is locked",
    S.WITHDRAWN: "withdrawn",
}


def rule_for(action: ReviewAction, product_type: str | None = None) -> Rule:
    """The rule for `action`: one limited to `product_type` if the table has one, else the general one."""
    general = None
    for rule in RULES:
        if rule.action != action:
            continue
        if rule.product_types is None:
            general = general or rule
        elif product_type is not None and product_type in rule.product_types:
            return rule
    if general is None:
        raise KeyError(f"no rule for {action}" + (f" on {product_type} products" if product_type else ""))
    return general


def rules_from(state: ReviewState, product_type: str | None = None) -> list[Rule]:
    """Human actions the table allows from `state`, whoever asks (for the status and CLI help)."""
    rules = (rule_for(action, product_type) for action in HUMAN_ACTIONS)
    return [rule for rule in rules if rule.allows(state)]


# ---------------------------------------------------------------- the facts the policy decides on


class FindingLike(Protocol):
    # Read-only, so a finding whose severity and state are str enums (FindingView, Finding) fits.
    @property
    def rule_id(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class OpenFinding:
    rule_id: str
    severity: str


def open_findings(findings: Iterable[FindingLike]) -> tuple[OpenFinding, ...]:
    """The findings that still count: neither dismissed (false positive) nor resolved."""
    return tuple(OpenFinding(f.rule_id, str(f.severity)) for f in findings if str(f.state) == FindingState.OPEN)


@dataclass(frozen=True)
class Person:
    """Who asks, as the register knows them; staff_id None for an account that is no one in it."""

    staff_id: str | None
    roles: frozenset[str] = frozenset()
    team_ids: frozenset[str] = frozenset()  # teams whose staff include this person
    cluster_team_ids: frozenset[str] = frozenset()  # teams whose Deputy Prosecutor this person is

    @classmethod
    def of(
        cls,
        staff_id: str | None,
        roles: Iterable[str] = (),
        team_ids: Iterable[str] = (),
        cluster_team_ids: Iterable[str] = (),
    ) -> "Person":
        return cls(staff_id, frozenset(map(str, roles)), frozenset(team_ids), frozenset(cluster_team_ids))


@dataclass(frozen=True)
class Case:
    """The review as the policy sees it. `state` None: the product has not been submitted yet."""

    product_type: str
    team_id: str
    author_id: str
    state: ReviewState | None = None
    assignee: str | None = None
    open_findings: tuple[OpenFinding, ...] = ()
    format_error: bool = False
    # Whether the author is team staff of `team_id`: known where the register is read (the service),
    # None inside the workflow, which cannot read it.
    author_on_team: bool | None = None
    # Staff the product names who may not review it besides its author and team (contract v2 §5.3:
    # everyone who appears in an interview record), as the registry's `conflicted_staff` reads them.
    conflicted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Ruling:
    action: ReviewAction
    refusal: Refusal | None = None
    reason: str = ""  # the sentence shown to the person, empty when allowed

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def roles_of(person: Person) -> frozenset[str]:
    return person.roles.union(*(ROLE_IMPLIES.get(role, frozenset()) for role in person.roles))


def parties_of(person: Person, case: Case) -> frozenset[str]:
    """The person's roles and relations to the product, as the table's `who` names them."""
    found = set(roles_of(person))
    if person.staff_id is not None and person.staff_id == case.author_id:
        found.add(Party.AUTHOR)
    if case.team_id in person.team_ids:
        found.add(Party.TEAM_STAFF)
    if case.assignee is not None and case.assignee == person.staff_id:
        found.add(Party.ASSIGNEE)
    if case.team_id in person.cluster_team_ids and StaffRole.DEPUTY_PROSECUTOR in person.roles:
        found.add(Party.CLUSTER_DP)
    return frozenset(found)


def is_team_side(person: Person, case: Case) -> bool:
    return bool(parties_of(person, case) & TEAM_SIDE)


def _who_words(who: Iterable[str], case: Case) -> str:
    words: dict[str, str] = {
        Party.AUTHOR: f"the product's author ({case.author_id})",
        Party.TEAM_STAFF: f"the staff of team {case.team_id}",
        Party.ASSIGNEE: f"the reviewer it is assigned to ({case.assignee})"
        if case.assignee
        else "its assigned reviewer",
        Party.CLUSTER_DP: f"the Deputy Prosecutor of team {case.team_id}'s cluster",
        Party.SYSTEM: "the system",
    }
    order = [Party.ASSIGNEE, *ROLE_WORDS, Party.AUTHOR, Party.TEAM_STAFF, Party.CLUSTER_DP, Party.SYSTEM]
    ranked = sorted(who, key=lambda w: (order.index(w) if w in order else len(order), w))
    return " or ".join(words.get(w) or ROLE_WORDS.get(w) or f"a {w.replace('_', ' ')}" for w in ranked)


def _state_words(state: ReviewState | None) -> str:
    return STATE_WORDS[state] if state is not None else "not submitted yet"


@functools.cache  # every refused button of a queue page words its rule's states
def _when(rule: Rule) -> str:
    if rule.when:
        return rule.when
    if not rule.from_states:
        return "once, for a product not yet submitted"
    states = [s for s in ReviewState if s in rule.from_states]  # in the order of the state machine
    return "while it is " + " or ".join(STATE_WORDS[s] for s in states)


def _refuse(rule: Rule, kind: Refusal, reason: str) -> Ruling:
    return Ruling(rule.action, kind, reason)


def _first_refusal(refusal: Ruling | None, action: ReviewAction) -> Ruling:
    return refusal if refusal is not None else Ruling(action)


NOT_IN_REGISTER = "This account is not linked to a person of the register, so it can only read."


def decide(
    action: ReviewAction, person: Person, case: Case, *, reason: str | None = None, judge_reason: bool = False
) -> Ruling:
    """May `person` take `action` on `case` now? The reason is judged only when `judge_reason` (a
    button is shown before anyone has typed one)."""
    rule = rule_for(action, case.product_type)
    if person.staff_id is None:
        return _refuse(rule, Refusal.NOT_ALLOWED, NOT_IN_REGISTER)
    if case.state is None and rule.from_states or case.state is not None and not rule.allows(case.state):
        if case.state is not None and not rule.from_states:
            return _refuse(
                rule,
                Refusal.WRONG_STATE,
                f"Cannot {rule.verb}: it was submitted already (the review is {_state_words(case.state)}).",
            )
        return _refuse(
            rule,
            Refusal.WRONG_STATE,
            f"Cannot {rule.verb} now: the review is {_state_words(case.state)}, "
            f"and that is possible only {_when(rule)}.",
        )
    refusal = _who_refusal(rule, person, case, ever=False)
    if refusal is not None:
        return refusal
    if judge_reason and rule.reason_required and not (reason or "").strip():
        return _refuse(
            rule,
            Refusal.REASON_REQUIRED,
            rule.missing_reason or f"To {rule.verb}, give a reason: it is kept in the review's history.",
        )
    return _first_refusal(_findings_refusal(rule, case), action)


def _who_refusal(rule: Rule, person: Person, case: Case, *, ever: bool) -> Ruling | None:
    parties = parties_of(person, case)
    needed = rule.who_ever() if ever else rule.who_in(case.state)
    if ever and Party.ASSIGNEE in needed and may_review(person, case):
        parties = parties | {Party.ASSIGNEE}  # whoever may review may become the assignee
    if not parties & needed:
        refinement = "" if ever or not rule.who_when else f", while the review is {_state_words(case.state)}"
        return _refuse(
            rule,
            Refusal.NOT_ALLOWED,
            f"{person.staff_id} may not {rule.verb}: only {_who_words(needed, case)} may{refinement}.",
        )
    if rule.not_team_side:
        return _separation_refusal(rule, person, case)
    if rule.author_on_team and case.author_on_team is False:
        return _refuse(
            rule,
            Refusal.NOT_ALLOWED,
            f"The author {case.author_id} is not on the staff of team {case.team_id}: a product's author "
            f"must be team staff of the team it is submitted for.",
        )
    return None


def _separation_refusal(rule: Rule, person: Person, case: Case) -> Ruling | None:
    if person.staff_id == case.author_id:
        return _refuse(
            rule, Refusal.SELF_REVIEW, f"{person.staff_id} is the author of this product and cannot review it."
        )
    if case.team_id in person.team_ids:
        return _refuse(
            rule,
            Refusal.SELF_REVIEW,
            f"{person.staff_id} is on the staff of the submitting team {case.team_id} and cannot review its product.",
        )
    if person.staff_id in case.conflicted:
        return _refuse(
            rule,
            Refusal.SELF_REVIEW,
            f"{person.staff_id} appears in this product (in the record, the "
            f"assessment or the support given) and cannot review it.",
        )
    return None


def _findings_refusal(rule: Rule, case: Case) -> Ruling | None:
    if rule.findings == Findings.NONE_BLOCKING:
        if case.format_error:
            return _refuse(
                rule,
                Refusal.APPROVAL_BLOCKED,
                "Cannot approve: the version has format errors; return it to the team for a corrected version.",
            )
        blockers = [f for f in case.open_findings if f.severity in APPROVAL_BLOCKING_SEVERITIES]
        if blockers:
            listed = ", ".join(f"{f.rule_id} ({f.severity})" for f in blockers)
            return _refuse(
                rule,
                Refusal.APPROVAL_BLOCKED,
                f"Cannot approve while undismissed blocking or major findings remain: {listed}.",
            )
    if rule.findings == Findings.SOME_OPEN and not case.open_findings:
        return _refuse(rule, Refusal.UNKNOWN_FINDING, "There is no open finding left to dismiss on this version.")
    return None


def may_ever(action: ReviewAction, person: Person, case: Case) -> Ruling:
    """Could this person take `action` on this product in some state of its review (the route check:
    refused is HTTP 403)? What the state allows now is the workflow's to say (409)."""
    rule = rule_for(action, case.product_type)
    if person.staff_id is None:
        return _refuse(rule, Refusal.NOT_ALLOWED, NOT_IN_REGISTER)
    return _first_refusal(_who_refusal(rule, person, case, ever=True), action)


def may_review(person: Person, case: Case) -> bool:
    """Whether the person may review this product (be assigned it): whoever may claim it, outside its team."""
    rule = rule_for(A.CLAIM, case.product_type)
    return bool(parties_of(person, case) & rule.who) and _separation_refusal(rule, person, case) is None


def assignable(reviewer: Person, case: Case) -> Ruling:
    """May `reviewer` be assigned this review? Refused with the reason when not."""
    rule = rule_for(A.ASSIGN, case.product_type)
    claim = rule_for(A.CLAIM, case.product_type)
    if not parties_of(reviewer, case) & claim.who:
        return _refuse(
            rule,
            Refusal.NOT_ALLOWED,
            f"{reviewer.staff_id} cannot be assigned: only {_who_words(claim.who, case)} may review this product.",
        )
    return _first_refusal(_separation_refusal(rule, reviewer, case), A.ASSIGN)


def allowed_actions(person: Person, case: Case) -> set[ReviewAction]:
    """The human actions this person may take on this review now (the buttons)."""
    return {action for action in HUMAN_ACTIONS if decide(action, person, case).allowed}


def may_submit_for(person: Person, team_id: str) -> bool:
    """May this person submit products for `team_id` (before any product is read)?"""
    return person.staff_id is not None and team_id in person.team_ids


def comment_side(person: Person, case: Case) -> str:
    """'gcu' when the assignee or the GCU head speaks, otherwise 'team': decides who is told."""
    return "gcu" if parties_of(person, case) & {Party.ASSIGNEE, StaffRole.GCU_HEAD} else "team"
