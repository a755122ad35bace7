"""The review policy (models/review_policy.py) is the one judge: a button is shown exactly when the API
accepts the action, which is exactly when the workflow's validator accepts it, for every combination
of action, person (roles, relation to the product), review state, assignee and findings.

The three sides build the policy's view of the review from their own data: the web app from database
rows (Product, Review, Finding), the API's route check from the product, the workflow from its state
(ReviewWorkflowState, FindingView). This test catches any of them drifting from the others.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError

from models import review_policy as policy
from models.enums import (
    DecisionKind,
    FindingState,
    ProductType,
    ReviewAction,
    ReviewState,
    Severity,
    StaffRole,
    Verdict,
)
from models.messages import (
    Actor,
    AssignRequest,
    ClaimRequest,
    CommentRequest,
    DecisionRequest,
    DismissFindingRequest,
    FindingView,
    MoveDueDateRequest,
    ResubmitRequest,
    ReviewWorkflowState,
    WithdrawRequest,
)
from models.tables import Finding, Product, Review
from web.access import Principal
from web.deps import require_action
from web.readmodel import actions_for
from workflows import guards

A = ReviewAction
TEAM, OTHER_TEAM, AUTHOR = "T-HERON", "T-KESTREL", "HE-03"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
# A GCU reviewer outside the team whom any assignment in these tests names (never the current assignee).
FRESH_REVIEWER = Actor(staff_id="GX-09", roles=[StaffRole.GCU_REVIEWER])
# Who may be assigned a product the SPU reviews (an interview record, contract v2 §5.3).
FRESH_SPU_OFFICER = Actor(staff_id="SP-09", roles=[StaffRole.SPU_OFFICER])

people = st.fixed_dictionaries(
    {
        "staff_id": st.sampled_from([None, AUTHOR, "HE-01", "GX-02", "GX-03", "GX-01", "DP-01", "KE-01"]),
        "roles": st.sets(
            st.sampled_from(
                [
                    StaffRole.GCU_REVIEWER,
                    StaffRole.GCU_HEAD,
                    StaffRole.DEPUTY_PROSECUTOR,
                    StaffRole.INVESTIGATOR,
                    StaffRole.TEAM_LEADER,
                ]
            )
        ),
        "team_ids": st.sets(st.sampled_from([TEAM, OTHER_TEAM])),
        "cluster_team_ids": st.sets(st.sampled_from([TEAM, OTHER_TEAM])),
    }
)
findings = st.lists(
    st.tuples(
        st.sampled_from(["SGBC-IP-01", "LANG-03", "GEN-IP-05"]),
        st.sampled_from(list(Severity)),
        st.sampled_from(list(FindingState)),
    ),
    max_size=3,
    unique_by=lambda f: f[0],
)
reviews = st.fixed_dictionaries(
    {
        "state": st.sampled_from(list(ReviewState)),
        "assignee": st.sampled_from([None, "GX-02", "GX-03", AUTHOR]),
        "findings": findings,
        "format_error": st.booleans(),
        "product_type": st.sampled_from(list(ProductType)),
    }
)
actions = st.sampled_from([a for a in policy.HUMAN_ACTIONS if a != A.SUBMIT])  # a submission is no update


def web_side(person: dict, review: dict) -> tuple[Principal, Product, Review, list[Finding]]:
    principal = Principal(
        account_id=1,
        username="someone",
        staff_id=person["staff_id"],
        name="Someone",
        roles=frozenset(person["roles"]),
        team_ids=frozenset(person["team_ids"]),
        cluster_team_ids=frozenset(person["cluster_team_ids"]),
    )
    product = Product(
        id="P-1",
        type=review["product_type"],
        team_id=TEAM,
        situation="Velmora",
        author_id=AUTHOR,
        title="A plan",
        current_version_no=1,
    )
    row = Review(
        product_id="P-1",
        workflow_id="product-review-P-1",
        state=review["state"],
        assignee_id=review["assignee"],
        team_id=TEAM,
        product_type=review["product_type"],
        situation="Velmora",
        verdict=Verdict.FORMAT_ERROR if review["format_error"] else Verdict.REVISE,
    )
    rows = [
        Finding(
            finding_id=f"P-1:v1:{rule}",
            product_id="P-1",
            version_id=1,
            rule_id=rule,
            severity=severity,
            message="m",
            state=state,
        )
        for rule, severity, state in review["findings"]
    ]
    return principal, product, row, rows


def workflow_side(person: dict, review: dict) -> tuple[Actor, guards.ReviewContext]:
    actor = Actor(
        staff_id=person["staff_id"],
        roles=sorted(person["roles"]),
        team_ids=sorted(person["team_ids"]),
        cluster_team_ids=sorted(person["cluster_team_ids"]),
    )
    st_ = ReviewWorkflowState(
        state=review["state"],
        version_id=1,
        version_no=1,
        version_label="v1",
        title="A plan",
        assignee=review["assignee"],
        verdict=Verdict.FORMAT_ERROR if review["format_error"] else Verdict.REVISE,
        findings=[
            FindingView(
                finding_id=f"P-1:v1:{rule}",
                rule_id=rule,
                severity=severity,
                message="m",
                citation="c",
                location="§1",
                state=state,
            )
            for rule, severity, state in review["findings"]
        ],
    )
    return actor, guards.ReviewContext(author_id=AUTHOR, team_id=TEAM, st=st_, product_type=str(review["product_type"]))


def request_for(action: ReviewAction, actor: Actor, ctx: guards.ReviewContext):
    """A request the person would send: with a reason, an open finding if there is one, a new version."""
    rid = "r-1"
    open_rules = [f.rule_id for f in ctx.st.findings if f.state == FindingState.OPEN]
    decisions = {A.APPROVE: DecisionKind.APPROVE, A.RETURN: DecisionKind.RETURN, A.ESCALATE: DecisionKind.ESCALATE}
    if action in decisions:
        return DecisionRequest(actor=actor, decision=decisions[action], reason="Because.", request_id=rid)
    return {
        A.CLAIM: lambda: ClaimRequest(actor=actor, request_id=rid),
        A.ASSIGN: lambda: AssignRequest(
            actor=actor,
            reviewer=FRESH_SPU_OFFICER if ctx.product_type in policy.SPU_REVIEWED else FRESH_REVIEWER,
            request_id=rid,
        ),
        A.DISMISS_FINDING: lambda: DismissFindingRequest(
            actor=actor, rule_id=(open_rules or ["NONE-01"])[0], reason="A false positive.", request_id=rid
        ),
        A.RESUBMIT: lambda: ResubmitRequest(
            actor=actor, version_id=2, version_no=2, version_label="v2", title="t", request_id=rid
        ),
        A.WITHDRAW: lambda: WithdrawRequest(actor=actor, reason="Superseded.", request_id=rid),
        A.MOVE_DUE_DATE: lambda: MoveDueDateRequest(
            actor=actor, due_at=NOW + timedelta(days=3), reason="Leave.", request_id=rid
        ),
        A.COMMENT: lambda: CommentRequest(actor=actor, text="A remark.", request_id=rid),
    }[action]()


def validator_accepts(action: ReviewAction, person: dict, review: dict) -> bool:
    actor, ctx = workflow_side(person, review)
    try:
        guards.check(ctx, request_for(action, actor, ctx), NOW)
    except ApplicationError as refusal:
        assert refusal.message, "a refusal says why"
        return False
    return True


def route_accepts(action: ReviewAction, principal: Principal, product: Product, review: Review) -> bool:
    try:
        require_action(principal, action, product, review)
    except HTTPException as refusal:
        assert refusal.status_code == 403 and refusal.detail
        return False
    return True


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=actions, person=people, review=reviews)
def test_a_button_is_shown_exactly_when_the_api_and_the_workflow_accept(action, person, review):
    principal, product, row, rows = web_side(person, review)
    shown = action in actions_for(principal, product, row, rows)
    if person["staff_id"] is None:  # an account that is nobody in the register only reads
        assert not shown and not route_accepts(action, principal, product, row)
        return
    validator = validator_accepts(action, person, review)
    api = route_accepts(action, principal, product, row) and validator  # the API passes the request to the workflow
    assert shown == api == validator, (action, person, review, shown, api, validator)


@pytest.mark.parametrize("state", list(ReviewState))
def test_every_refusal_is_a_sentence_about_the_review_not_a_state_code(state):
    case = policy.Case(product_type="IP", team_id=TEAM, author_id=AUTHOR, state=state, assignee="GX-02")
    outsider = policy.Person.of("KE-01", [StaffRole.INVESTIGATOR], [OTHER_TEAM])
    for action in policy.HUMAN_ACTIONS:
        ruling = policy.decide(action, outsider, case)
        assert not ruling.allowed
        assert ruling.reason.endswith(".") and "_" not in ruling.reason.replace("KE-01", ""), ruling.reason


def test_a_team_submits_only_its_own_products_written_by_its_own_staff():
    heron_lead = policy.Person.of("HE-01", [StaffRole.TEAM_LEADER], [TEAM])
    kestrel = policy.Case(product_type="IP", team_id=OTHER_TEAM, author_id="HE-01", author_on_team=False)
    foreign_author = policy.Case(product_type="IP", team_id=TEAM, author_id="KE-01", author_on_team=False)
    own = policy.Case(product_type="IP", team_id=TEAM, author_id="HE-03", author_on_team=True)
    assert policy.decide(A.SUBMIT, heron_lead, kestrel).reason == (
        "HE-01 may not submit this product: only the staff of team T-KESTREL may."
    )
    assert policy.decide(A.SUBMIT, heron_lead, foreign_author).reason.startswith(
        "The author KE-01 is not on the staff of team T-HERON"
    )
    assert policy.decide(A.SUBMIT, heron_lead, own).allowed


def test_a_new_role_for_one_product_type_is_a_row_of_the_table(monkeypatch):
    """What the registry adds for interview records: a role that claims (and so reviews) one type only."""
    rule = policy.Rule(
        A.CLAIM,
        frozenset({ReviewState.QUEUED}),
        ReviewState.IN_REVIEW,
        frozenset({"spu_officer"}),
        "claim this review",
        "Claim",
        not_team_side=True,
        product_types=frozenset({"IO"}),
    )
    monkeypatch.setattr(policy, "RULES", (rule, *policy.RULES))
    monkeypatch.setitem(policy.ROLE_WORDS, "spu_officer", "an SPU officer")
    officer = policy.Person.of("SP-01", ["spu_officer"])
    reviewer = policy.Person.of("GX-02", [StaffRole.GCU_REVIEWER])
    interview = policy.Case(product_type="IO", team_id=TEAM, author_id=AUTHOR, state=ReviewState.QUEUED)
    plan = policy.Case(product_type="IP", team_id=TEAM, author_id=AUTHOR, state=ReviewState.QUEUED)
    assert policy.decide(A.CLAIM, officer, interview).allowed
    assert policy.decide(A.CLAIM, reviewer, interview).reason == (
        "GX-02 may not claim this review: only an SPU officer may."
    )
    assert not policy.decide(A.CLAIM, officer, plan).allowed
    assert policy.assignable(officer, interview).allowed and not policy.assignable(officer, plan).allowed
