"""One defect -> one finding (requirements.md §1.2, §1.3)."""

from collections import Counter

import pytest

from tests.rules.factories import (
    DROP,
    ap,
    append_to,
    io_adult,
    io_child,
    ip,
    mp,
    remove_records,
    roster_with,
    rule_ids,
    without_section,
)

NOT_SURVIVOR = {"witnesses[0].sgbc_survivor": False}


def ids(spec, roster=None):
    return rule_ids(spec.check(roster))


# ---------------------------------------------------------------- item 1: interview-level rules are IO-only
def test_interview_rules_do_not_run_on_mission_plans():
    spec = mp(
        append_to("Witness profiles", "Why didn't you run? Show me."),
        **{"consent": {"elements": []}, "interview": {"phases": []}},
    )
    assert not {r for r in ids(spec) if r.startswith(("CAC-INT", "SGBC-INT"))}


# ---------------------------------------------------------------- item 2: location
def test_child_interview_location_is_owned_by_cac_int_07():
    found = ids(io_child(**{"interview.location.private": False, "interview.location.observable": True}))
    assert "CAC-INT-07" in found and "SGBC-INT-04" not in found


def test_adult_survivor_interview_location_is_checked_by_sgbc_int_04():
    found = ids(io_adult(**{"interview.location.private": False}))
    assert "SGBC-INT-04" in found and "CAC-INT-07" not in found


def test_adult_perpetrator_contact_risk_is_checked_by_nobody_in_v1():
    found = ids(io_adult(**{"interview.location.perpetrator_contact_risk": "high"}))
    assert not found & {"SGBC-INT-04", "CAC-INT-07"}


# ---------------------------------------------------------------- item 2: referral categories
@pytest.mark.parametrize("category", ["medical", "psychosocial"])
def test_medical_and_psychosocial_referrals_of_a_child_survivor_belong_to_sgbc_int_05(category):
    found = ids(io_child(**{f"referral_pathway.{category}": DROP}))
    assert "SGBC-INT-05" in found and "CAC-INT-05" not in found


def test_child_protection_referral_of_a_child_survivor_belongs_to_cac_int_05():
    found = ids(io_child(**{"referral_pathway.child_protection": DROP}))
    assert "CAC-INT-05" in found and "SGBC-INT-05" not in found


def test_medical_referral_of_a_child_non_survivor_belongs_to_cac_int_05():
    found = ids(io_child(**NOT_SURVIVOR, **{"referral_pathway.medical": DROP}))
    assert "CAC-INT-05" in found and "SGBC-INT-05" not in found


# ---------------------------------------------------------------- item 3: certification slots
def test_child_interviewer_without_cac_adv_is_staff_01_only():
    roster = roster_with(lambda d: remove_records(d, "AL-03", "CAC_ADV"))
    found = ids(io_child(), roster)
    assert "STAFF-01" in found and not found & {"STAFF-02", "STAFF-03", "STAFF-04"}


def test_survivor_interviewer_without_sgbc_adv_is_staff_02_only():
    roster = roster_with(lambda d: remove_records(d, "AL-03", "SGBC_ADV"))
    found = ids(io_child(), roster)
    assert "STAFF-02" in found and not found & {"STAFF-01", "STAFF-03", "STAFF-04"}


def test_uncertified_interpreter_is_staff_03_only():
    found = ids(io_adult(**{"interview.interpreter": "GX-04", "gender_choice.interpreter": "no_preference"}))
    assert found == {"STAFF-03"}


def test_expired_certificate_of_an_interviewer_is_not_reported_again_by_staff_04():
    roster = roster_with(
        lambda d: (
            remove_records(d, "AL-03", "SGBC_ADV"),
            d["certifications"].append(
                {"staff_id": "AL-03", "cert": "SGBC_ADV", "issued": "2022-01-01", "expires": "2024-12-31"}
            ),
        )
    )
    found = ids(io_adult(), roster)
    assert found == {"STAFF-02"}


def test_undated_basic_of_the_leader_is_staff_03s_not_staff_04s():
    def mutate(data):
        remove_records(data, "AL-01", "CAC_BASIC")
        data["certifications"].append({"staff_id": "AL-01", "cert": "CAC_BASIC", "issued": "2024-01-01"})

    found = ids(ap(), roster_with(mutate))
    assert "STAFF-03" in found and "STAFF-04" not in found


# ---------------------------------------------------------------- item 4: focal point
@pytest.mark.parametrize("area", ["sgbc", "cac"])
def test_missing_focal_point_is_gen_ip_05s_not_staff_03s(area):
    roster = roster_with(lambda d: d["teams"][0]["focal_points"].update({area: None}))
    found = ids(ip(), roster)
    assert "GEN-IP-05" in found and "STAFF-03" not in found


def test_missing_focal_point_in_an_annual_plan_is_not_staff_03s():
    roster = roster_with(lambda d: d["teams"][0].update(focal_points={"sgbc": None, "cac": None}))
    assert "STAFF-03" not in ids(ap(), roster)


def test_existing_focal_point_without_basic_is_staff_03s():
    # AL-02's SGBC_ADV would satisfy SGBC_BASIC (format §8), so both go.
    roster = roster_with(lambda d: (remove_records(d, "AL-02", "SGBC_BASIC"), remove_records(d, "AL-02", "SGBC_ADV")))
    found = ids(ip(), roster)
    assert "STAFF-03" in found and "GEN-IP-05" not in found


# ---------------------------------------------------------------- item 5: SGBC-IP-08 independent of SGBC-IP-01
def test_plan_without_gender_analysis_fails_presence_and_inclusiveness():
    found = ids(ip(without_section("Gender analysis")))
    assert {"SGBC-IP-01", "SGBC-IP-08"} <= found


def test_inclusiveness_is_judged_on_the_whole_body_not_only_the_gender_analysis():
    spec = ip(
        without_section("Gender analysis"),
        append_to("Context and scope", "Men and boys, ethnic minorities and disabled persons were affected."),
    )
    found = ids(spec)
    assert "SGBC-IP-01" in found and "SGBC-IP-08" not in found


# ---------------------------------------------------------------- item 6: CAAFAG safeguards vs terminology
def test_child_soldier_in_the_safeguards_section_is_lang_02s_not_cac_int_09s():
    spec = io_child(append_to("CAAFAG safeguards", "She will not be called a child soldier."))
    found = ids(spec)
    assert "LANG-02" in found and "CAC-INT-09" not in found


# ---------------------------------------------------------------- at most one finding per rule
def test_every_failed_sub_condition_of_a_rule_makes_one_finding():
    spec = io_child(
        without_section("Child-sensitive approach"),
        **{
            "witnesses[0].age": 5,
            "interview.planned_block_minutes": 90,
            "interview.breaks_planned": False,
            "interview.phases": ["introduction"],
        },
    )
    findings = [f for f in spec.check().findings if f.rule_id == "CAC-INT-03"]
    assert len(findings) == 1
    assert findings[0].location == "product"


def test_a_heavily_broken_product_has_at_most_one_finding_per_rule():
    spec = io_child(
        without_section("Recording and storage"),
        without_section("Follow-up and feedback plan"),
        without_section("Prior accounts check"),
        append_to(
            "Question areas",
            "Why didn't you scream? Show me. Did you fight back? Had sex with "
            "the commander's wives, bush wives, child soldiers, child prostitutes.",
        ),
        append_to("Interview plan", "Show me again. She had a boyfriend. Loose women. Child soldier."),
        **{
            "witnesses[0].code": DROP,
            "witnesses[0].name": "Jane",
            "consent": DROP,
            "referral_pathway": DROP,
            "psychosocial_assessment": DROP,
            "support_person": DROP,
            "interview.location": DROP,
            "interview.interpreter": "TBD",
            "interview.note_taker": "TBD",
            "interview.interviewer": "TBD",
            "interpreter_vetting": DROP,
            "risk_assessment": DROP,
        },
    )
    result = spec.check()
    counts = Counter(f.rule_id for f in result.findings)
    assert counts and max(counts.values()) == 1, counts
    assert len(counts) >= 20
    assert result.verdict == "blocked"


def test_findings_carry_message_and_citation():
    for f in io_child(**{"consent.child": False}).check().findings:
        assert f.message.strip() and f.citation.strip()


@pytest.mark.parametrize(
    "spec_factory, verdict",
    [
        (lambda: io_adult(**{"consent.elements": []}), "blocked"),
        (lambda: io_adult(without_section("Prior accounts check")), "revise"),
        (lambda: mp(**{"mission.schedule": []}), "approvable_with_notes"),
        (lambda: mp(without_section("Staff welfare")), "clean"),
    ],
)
def test_verdict_follows_the_most_severe_finding(spec_factory, verdict):
    assert spec_factory().check().verdict == verdict
