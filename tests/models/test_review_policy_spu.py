"""Interview records in the review policy (contract v2 §5.3): SPU officers review them with the same
actions as GCU reviews, nobody who appears in the record reviews it, an escalation goes to the GCU
head, and the GCU and the Deputy Prosecutor only read."""

import pytest

from models import review_policy as policy
from models.enums import ProductType, ReviewAction, ReviewState, StaffRole
from models.review_policy import Case, Person, Refusal, decide, rule_for
from rules.product_types import ReviewUnit, codes_reviewed_by, registry

A, S = ReviewAction, ReviewState
SPU_OFFICER = Person.of("SP-01", [StaffRole.SPU_OFFICER])
ASSESSOR = Person.of("SP-02", [StaffRole.SPU_OFFICER])
GCU_REVIEWER = Person.of("GX-02", [StaffRole.GCU_REVIEWER])
GCU_HEAD = Person.of("GX-09", [StaffRole.GCU_HEAD, StaffRole.GCU_REVIEWER])
DP = Person.of("DP-01", [StaffRole.DEPUTY_PROSECUTOR], cluster_team_ids=["T-HERON"])


def ir(state: ReviewState, assignee: str | None = None) -> Case:
    return Case(
        product_type="IR",
        team_id="T-HERON",
        author_id="HE-03",
        state=state,
        assignee=assignee,
        conflicted=frozenset({"HE-03", "HE-11", "SP-02", "GX-01"}),
    )


def test_the_table_and_the_registry_agree_on_who_reviews_each_type():
    assert set(codes_reviewed_by(ReviewUnit.SPU)) == policy.SPU_REVIEWED
    for code, spec in registry().items():
        claimers = rule_for(A.CLAIM, code).who
        wanted = StaffRole.SPU_OFFICER if spec.review_unit == ReviewUnit.SPU else StaffRole.GCU_REVIEWER
        assert claimers == {wanted}, code


def test_an_spu_officer_claims_an_interview_record_and_a_gcu_reviewer_does_not():
    assert decide(A.CLAIM, SPU_OFFICER, ir(S.QUEUED)).allowed
    refused = decide(A.CLAIM, GCU_REVIEWER, ir(S.QUEUED))
    assert (refused.refusal, refused.reason) == (
        Refusal.NOT_ALLOWED,
        "GX-02 may not claim this review: only an SPU officer may.",
    )
    assert not decide(A.CLAIM, GCU_HEAD, ir(S.QUEUED)).allowed
    ip = Case(product_type=ProductType.IP, team_id="T-HERON", author_id="HE-01", state=S.QUEUED)
    assert not decide(A.CLAIM, SPU_OFFICER, ip).allowed and decide(A.CLAIM, GCU_REVIEWER, ip).allowed


def test_nobody_who_appears_in_the_record_reviews_it():
    refused = decide(A.CLAIM, ASSESSOR, ir(S.QUEUED))
    assert refused.refusal == Refusal.SELF_REVIEW and "SP-02 appears in this product" in refused.reason
    assert not policy.assignable(ASSESSOR, ir(S.QUEUED)).allowed
    assert policy.assignable(SPU_OFFICER, ir(S.QUEUED)).allowed
    assert not policy.assignable(GCU_REVIEWER, ir(S.QUEUED)).allowed


@pytest.mark.parametrize("action", [A.DISMISS_FINDING, A.APPROVE, A.RETURN, A.ESCALATE])
def test_the_assigned_spu_officer_decides_and_the_gcu_and_the_dp_only_read(action):
    case = ir(S.IN_REVIEW, assignee="SP-01")
    case = Case(**{**case.__dict__, "open_findings": (policy.OpenFinding("VUL-IR-04", "minor"),)})
    assert decide(action, SPU_OFFICER, case).allowed
    for reader in (GCU_REVIEWER, GCU_HEAD, DP):
        assert decide(action, reader, case).refusal == Refusal.NOT_ALLOWED


def test_an_escalated_interview_record_is_decided_by_the_gcu_head():
    case = ir(S.ESCALATED, assignee="SP-01")
    assert decide(A.APPROVE, GCU_HEAD, case).allowed and decide(A.RETURN, GCU_HEAD, case).allowed
    assert not decide(A.APPROVE, SPU_OFFICER, case).allowed
    assert not decide(A.APPROVE, DP, case).allowed
