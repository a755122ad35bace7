"""Interview outlines, child witnesses (requirements.md §5.2): CAC-INT-01 ... CAC-INT-09."""

import pytest

from tests.rules.factories import (
    CHILD_APPROACH_CORE,
    DROP,
    Raw,
    append_to,
    assert_fires,
    assert_silent,
    io_adult,
    io_child,
    prose,
    rename_section,
    section,
    without_section,
)

NON_SURVIVOR = {"witnesses[0].sgbc_survivor": False}
ADULT = {"witnesses[0].age": 18}
VALID_REASON = (
    "The independent guardian was appointed by the child-protection agency because the mother lives with the suspect."
)

CAC_RULES = [
    "CAC-INT-01",
    "CAC-INT-02",
    "CAC-INT-03",
    "CAC-INT-04",
    "CAC-INT-05",
    "CAC-INT-06",
    "CAC-INT-07",
    "CAC-INT-08",
    "CAC-INT-09",
]


def words(n, word="approach"):
    return " ".join([word] * n)


@pytest.mark.parametrize(
    "rule_id, changes",
    [
        ("CAC-INT-01", {"psychosocial_assessment": DROP}),
        ("CAC-INT-02", {"consent.child": DROP}),
        ("CAC-INT-03", {"interview.breaks_planned": False}),
        ("CAC-INT-04", {"support_person": DROP}),
        ("CAC-INT-05", {"psychosocial_support.during": "none"}),
        ("CAC-INT-07", {"interview.location.private": False}),
    ],
)
def test_cac_int_rules_do_not_apply_to_a_witness_aged_18(rule_id, changes):
    assert_silent(io_child(**ADULT, **changes), rule_id)


def test_cac_int_rules_with_sections_do_not_apply_to_an_adult():
    spec = io_adult(
        append_to("Question areas", "Why didn't you tell anyone? Show me where."),
        **{"witnesses[0].caafag": True, "witnesses[0].sgbc_survivor": False},
    )
    result = spec.check()
    assert not {f.rule_id for f in result.findings} & set(CAC_RULES)


def test_cac_int_rules_apply_at_age_17():
    assert_fires(io_child(**{"witnesses[0].age": 17, "consent.child": False}), "CAC-INT-02", "blocking")


# ---------------------------------------------------------------- CAC-INT-01
@pytest.mark.parametrize(
    "changes",
    [
        {"psychosocial_assessment.date": "2025-08-26"},  # same day as the interview
        {"psychosocial_assessment.date": "2025-08-27"},  # after
        {"psychosocial_assessment.date": DROP},
        {"psychosocial_assessment.date": "2025-02-30"},  # not a real date: absent
        {"psychosocial_assessment": DROP},
    ],
    ids=["same-day", "after", "absent", "invalid-date", "no-assessment"],
)
def test_cac_int_01_fires_when_assessment_is_not_before_the_interview(changes):
    hit = assert_fires(io_child(**changes), "CAC-INT-01", "blocking")
    assert hit.location.startswith("field:psychosocial_assessment")


@pytest.mark.parametrize("outcome", ["postpone", "do_not_proceed", DROP, "Proceed", "go ahead"])
def test_cac_int_01_fires_when_outcome_does_not_allow_the_interview(outcome):
    hit = assert_fires(io_child(**{"psychosocial_assessment.outcome": outcome}), "CAC-INT-01", "blocking")
    assert hit.location.startswith("field:psychosocial_assessment")


@pytest.mark.parametrize("outcome", ["proceed", "proceed_with_conditions"])
def test_cac_int_01_is_silent_for_outcomes_that_allow_the_interview(outcome):
    assert_silent(io_child(**{"psychosocial_assessment.outcome": outcome}), "CAC-INT-01")


@pytest.mark.parametrize(
    "changes",
    [
        {"psychosocial_assessment.assessor": "AL-03"},  # roster investigator, not a psychologist
        {"psychosocial_assessment.assessor": "TBD"},  # not in the roster
        {"psychosocial_assessment.assessor": DROP},
        {"psychosocial_assessment.assessor": DROP, "psychosocial_assessment.assessor_external": "to be confirmed"},
    ],
)
def test_cac_int_01_fires_when_assessor_is_not_qualified(changes):
    hit = assert_fires(io_child(**changes), "CAC-INT-01", "blocking")
    assert hit.location.startswith("field:psychosocial_assessment")


def test_cac_int_01_accepts_an_external_qualified_assessor():
    spec = io_child(
        **{
            "psychosocial_assessment.assessor": DROP,
            "psychosocial_assessment.assessor_external": "Licensed child psychologist, partner NGO",
        }
    )
    assert_silent(spec, "CAC-INT-01")


def test_cac_int_01_location_names_the_first_failing_sub_field_or_the_group():
    hit = assert_fires(
        io_child(**{"psychosocial_assessment.date": "2025-09-01", "psychosocial_assessment.outcome": "postpone"}),
        "CAC-INT-01",
        "blocking",
    )
    assert hit.location in ("field:psychosocial_assessment", "field:psychosocial_assessment.date")


# ---------------------------------------------------------------- CAC-INT-02
@pytest.mark.parametrize("value", [False, DROP, Raw("yes"), "true", 1])
def test_cac_int_02_fires_without_the_childs_own_agreement(value):
    assert_fires(io_child(**{"consent.child": value}), "CAC-INT-02", "blocking", "field:consent.child")


def test_cac_int_02_is_silent_with_guardian_consent_and_no_rationale():
    spec = io_child(**{"consent.guardian": True, "consent.alternative_guardian_rationale": DROP})
    assert_silent(spec, "CAC-INT-02")


@pytest.mark.parametrize(
    "rationale",
    [
        DROP,
        "Guardian not available.",
        "TBD",
        "The guardian refused because the account of the child is uncorroborated by any other witness.",
    ],
)
def test_cac_int_02_fires_without_guardian_consent_or_a_valid_alternative(rationale):
    spec = io_child(**{"consent.guardian": False, "consent.alternative_guardian_rationale": rationale})
    assert_fires(spec, "CAC-INT-02", "blocking", "field:consent.guardian")


def test_cac_int_02_accepts_a_valid_alternative_guardian_rationale():
    spec = io_child(**{"consent.guardian": DROP, "consent.alternative_guardian_rationale": VALID_REASON})
    assert_silent(spec, "CAC-INT-02")


def test_cac_int_02_reports_the_child_layer_first():
    spec = io_child(
        **{"consent.child": False, "consent.guardian": False, "consent.alternative_guardian_rationale": DROP}
    )
    assert_fires(spec, "CAC-INT-02", "blocking", "field:consent.child")


# ---------------------------------------------------------------- CAC-INT-03
def test_cac_int_03_fires_when_child_approach_section_is_missing():
    assert_fires(io_child(without_section("Child-sensitive approach")), "CAC-INT-03", "major", "product")


def test_cac_int_03_fires_when_child_approach_section_is_short():
    spec = io_child(section("Child-sensitive approach", "Short. She can stop at any time."))
    assert_fires(spec, "CAC-INT-03", "major", "section:child_approach")


@pytest.mark.parametrize(
    "heading", ["Developmental approach", "Child-sensitive interview approach", "6. Child‐sensitive approach"]
)
def test_cac_int_03_accepts_synonym_headings(heading):
    assert_silent(io_child(rename_section("Child-sensitive approach", heading)), "CAC-INT-03")


@pytest.mark.parametrize(
    "age, block, max_block",
    [
        (11, 41, DROP),
        (12, 61, DROP),
        (15, 46, 45),
        (15, 31, 30),
        (9, 45, 60),
    ],
    ids=["under12-cap40", "12-cap60", "assessor-cap-45", "assessor-cap-30", "age-cap-smaller"],
)
def test_cac_int_03_fires_when_block_exceeds_cap(age, block, max_block):
    spec = io_child(
        **{
            "witnesses[0].age": age,
            "interview.planned_block_minutes": block,
            "psychosocial_assessment.max_block_minutes": max_block,
        }
    )
    assert_fires(spec, "CAC-INT-03", "major", "field:interview.planned_block_minutes")


@pytest.mark.parametrize("age, block, max_block", [(11, 40, DROP), (12, 60, DROP), (15, 45, 45), (15, 30, 90)])
def test_cac_int_03_is_silent_when_block_is_at_or_under_cap(age, block, max_block):
    spec = io_child(
        **{
            "witnesses[0].age": age,
            "interview.planned_block_minutes": block,
            "psychosocial_assessment.max_block_minutes": max_block,
        }
    )
    assert_silent(spec, "CAC-INT-03")


@pytest.mark.parametrize("block", [DROP, "45", 45.0, True, Raw("1_000")])
def test_cac_int_03_fires_when_planned_block_is_absent_or_not_an_integer(block):
    spec = io_child(**{"interview.planned_block_minutes": block})
    assert_fires(spec, "CAC-INT-03", "major", "field:interview.planned_block_minutes")


def test_cac_int_03_ignores_a_non_integer_assessor_cap():
    spec = io_child(**{"interview.planned_block_minutes": 60, "psychosocial_assessment.max_block_minutes": "45"})
    assert_silent(spec, "CAC-INT-03")


@pytest.mark.parametrize("value", [False, DROP, Raw("yes"), "true"])
def test_cac_int_03_fires_when_breaks_are_not_planned(value):
    spec = io_child(**{"interview.breaks_planned": value})
    assert_fires(spec, "CAC-INT-03", "major", "field:interview.breaks_planned")


@pytest.mark.parametrize(
    "phases",
    [
        ["introduction", "ground_rules", "free_narrative", "open_questions", "closure"],
        ["introduction", "Rapport", "free_narrative"],
        DROP,
    ],
)
def test_cac_int_03_fires_without_a_rapport_phase(phases):
    assert_fires(io_child(**{"interview.phases": phases}), "CAC-INT-03", "major", "field:interview.phases")


def test_cac_int_03_fires_when_stop_is_not_in_the_child_approach_section():
    spec = io_child(
        section("Child-sensitive approach", prose(CHILD_APPROACH_CORE)),
        append_to("Interview plan", "She can stop at any time."),
    )
    assert_fires(spec, "CAC-INT-03", "major", "section:child_approach")


@pytest.mark.parametrize(
    "text",
    [
        "\n\n> She said: I want to be able to stop.",  # block quote: not scanned
        "\n\n```\nstop signal\n```",  # fenced code: not scanned
        "\n\n<!-- remind her she can stop -->",  # HTML comment: removed
        " The interview stopped early last time.",  # 'stopped' is not the word 'stop'
    ],
)
def test_cac_int_03_needs_stop_in_the_scanned_text_of_the_section(text):
    spec = io_child(section("Child-sensitive approach", prose(CHILD_APPROACH_CORE) + text))
    assert_fires(spec, "CAC-INT-03", "major", "section:child_approach")


def test_cac_int_03_finds_stop_in_a_sub_heading_block_of_the_section():
    spec = io_child(
        section(
            "Child-sensitive approach",
            prose(CHILD_APPROACH_CORE) + "\n\n### Ground rules\nShe can STOP whenever she wants.",
        )
    )
    assert_silent(spec, "CAC-INT-03")


@pytest.mark.parametrize(
    "changes",
    [
        {"witnesses[0].age": 6},
        {"witnesses[0].disability": True},
        {"witnesses[0].age": 6, "interview.intermediary": "none"},
        {"witnesses[0].age": 6, "interview.communication_aids": "TBD"},
        {"witnesses[0].age": 6, "interview.communication_aids": ""},
    ],
)
def test_cac_int_03_fires_without_intermediary_or_aids_for_a_young_or_disabled_child(changes):
    spec = io_child(**{"interview.planned_block_minutes": 30, **changes})
    assert_fires(spec, "CAC-INT-03", "major", "field:interview.communication_aids")


@pytest.mark.parametrize(
    "changes",
    [
        {"witnesses[0].age": 6, "interview.communication_aids": "Picture cards and drawings"},
        {"witnesses[0].age": 6, "interview.intermediary": "AL-13"},
        {"witnesses[0].age": 6, "interview.intermediary": "TBD"},  # present (STAFF-03's problem, not this rule's)
        {"witnesses[0].disability": True, "interview.communication_aids": "Sign language interpreter"},
        {"witnesses[0].age": 7},
    ],
)
def test_cac_int_03_is_silent_with_intermediary_or_aids_or_from_age_seven(changes):
    assert_silent(io_child(**{"interview.planned_block_minutes": 30, **changes}), "CAC-INT-03")


def test_cac_int_03_reports_the_first_failing_sub_condition_in_check_order():
    spec = io_child(
        **{
            "interview.planned_block_minutes": 90,
            "interview.breaks_planned": False,
            "interview.phases": ["introduction"],
        }
    )
    assert_fires(spec, "CAC-INT-03", "major", "field:interview.planned_block_minutes")
    spec = io_child(
        section("Child-sensitive approach", prose(CHILD_APPROACH_CORE)),
        **{"witnesses[0].age": 6, "interview.planned_block_minutes": 30},
    )
    assert_fires(spec, "CAC-INT-03", "major", "section:child_approach")


# ---------------------------------------------------------------- CAC-INT-04
@pytest.mark.parametrize(
    "changes",
    [
        {"support_person.offered": False},
        {"support_person.offered": DROP},
        {"support_person.child_wishes": DROP},
        {"support_person.child_wishes": "to be confirmed at the meeting"},
        {"support_person.child_wishes": "  "},
        {"support_person.conflict_check": "pending"},
        {"support_person.conflict_check": "failed"},
        {"support_person.conflict_check": "not_done"},
        {"support_person.conflict_check": DROP},
        {"support_person": DROP},
    ],
)
def test_cac_int_04_fires_when_support_person_is_not_properly_offered(changes):
    assert_fires(io_child(**changes), "CAC-INT-04", "major", "field:support_person")


@pytest.mark.parametrize("accepted", [False, DROP])
def test_cac_int_04_needs_no_conflict_check_when_no_support_person_attends(accepted):
    spec = io_child(**{"support_person.accepted": accepted, "support_person.conflict_check": "pending"})
    assert_silent(spec, "CAC-INT-04")


# ---------------------------------------------------------------- CAC-INT-05
@pytest.mark.parametrize("during", ["none", DROP, "Present"])
def test_cac_int_05_fires_without_psychosocial_support_during_the_interview(during):
    spec = io_child(**{"psychosocial_support.during": during})
    assert_fires(spec, "CAC-INT-05", "major", "field:psychosocial_support.during")


def test_cac_int_05_accepts_an_expert_on_call():
    assert_silent(io_child(**{"psychosocial_support.during": "on_call"}), "CAC-INT-05")


@pytest.mark.parametrize("category", ["medical", "psychosocial", "child_protection"])
def test_cac_int_05_fires_for_a_child_non_survivor_without_a_required_category(category):
    spec = io_child(**NON_SURVIVOR, **{f"referral_pathway.{category}": DROP})
    assert_fires(spec, "CAC-INT-05", "major", "field:referral_pathway")


@pytest.mark.parametrize("category", ["legal", "shelter_livelihood"])
def test_cac_int_05_does_not_need_legal_or_shelter_for_a_child_non_survivor(category):
    assert_silent(io_child(**NON_SURVIVOR, **{f"referral_pathway.{category}": DROP}), "CAC-INT-05")


def test_cac_int_05_checks_only_child_protection_for_a_child_sgbc_survivor():
    assert_silent(io_child(**{"referral_pathway.medical": DROP, "referral_pathway.psychosocial": DROP}), "CAC-INT-05")
    assert_fires(
        io_child(**{"referral_pathway.child_protection": DROP}), "CAC-INT-05", "major", "field:referral_pathway"
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"provider": ""},
        {"provider": "TBD"},
        {"unavailable": True},
        {"unavailable": True, "mitigation": "pending"},
        {"unavailable": "true", "mitigation": "Case officer of the VWU will follow up"},
        "Agency case officer",
    ],
)
def test_cac_int_05_fires_when_child_protection_is_not_covered(entry):
    spec = io_child(**{"referral_pathway.child_protection": entry})
    assert_fires(spec, "CAC-INT-05", "major", "field:referral_pathway")


def test_cac_int_05_accepts_unavailable_with_a_mitigation():
    spec = io_child(
        **{
            "referral_pathway.child_protection": {
                "unavailable": True,
                "mitigation": "The VWU child-protection officer will follow the case",
            }
        }
    )
    assert_silent(spec, "CAC-INT-05")


def test_cac_int_05_reports_psychosocial_support_first():
    spec = io_child(**{"psychosocial_support.during": "none", "referral_pathway": DROP})
    assert_fires(spec, "CAC-INT-05", "major", "field:psychosocial_support.during")


# ---------------------------------------------------------------- CAC-INT-06
def test_cac_int_06_fires_when_necessity_section_is_missing():
    assert_fires(io_child(without_section("Necessity and best interests")), "CAC-INT-06", "major", "product")


def test_cac_int_06_fires_when_necessity_section_is_short():
    spec = io_child(section("Necessity and best interests", words(39)))
    assert_fires(spec, "CAC-INT-06", "major", "section:necessity_best_interests")


@pytest.mark.parametrize(
    "heading",
    ["Best interests and necessity", "Necessity and best-interests rationale", "4) Best interests and necessity"],
)
def test_cac_int_06_accepts_synonym_headings(heading):
    assert_silent(io_child(rename_section("Necessity and best interests", heading)), "CAC-INT-06")


@pytest.mark.parametrize(
    "changes",
    [
        {"reinterview": DROP},
        {"reinterview.necessity": "She asked to continue."},
        {"reinterview.necessity": "Needed because her first account is uncorroborated and the judges will want more."},
        {"reinterview.approved_by": "AL-03"},  # investigator, not focal point / GCU
        {"reinterview.approved_by": "TBD"},
        {"reinterview.approved_by": "none"},
        {"reinterview.approved_on": "2025-08-27"},  # after the interview date
        {"reinterview.approved_on": DROP},
        {"reinterview.approved_on": Raw("2025-08-05 09:00:00")},
    ],
)
def test_cac_int_06_fires_for_a_re_interview_without_documented_approved_necessity(changes):
    assert_fires(io_child(**changes), "CAC-INT-06", "major", "field:reinterview")


@pytest.mark.parametrize(
    "changes",
    [
        {"reinterview.approved_by": "GX-02"},  # gcu_reviewer
        {"reinterview.approved_by": "GX-03"},  # gcu_head
        {"reinterview.approved_on": "2025-08-26"},  # on the interview date
        {"interview.sequence": 1, "reinterview": DROP},
        {"interview.sequence": DROP, "reinterview": DROP},
        {"interview.sequence": 0, "reinterview": DROP},  # < 1 counts as 1
        {"interview.sequence": "2", "reinterview": DROP},  # not an integer: absent, counts as 1
    ],
)
def test_cac_int_06_is_silent_for_approved_re_interviews_and_first_interviews(changes):
    assert_silent(io_child(**changes), "CAC-INT-06")


def test_cac_int_06_reports_the_section_first():
    spec = io_child(without_section("Necessity and best interests"), **{"reinterview": DROP})
    assert_fires(spec, "CAC-INT-06", "major", "product")


# ---------------------------------------------------------------- CAC-INT-07
@pytest.mark.parametrize(
    "changes",
    [
        {"interview.location.private": False},
        {"interview.location.private": DROP},
        {"interview.location.private": 1},
        {"interview.location.observable": True},
        {"interview.location.observable": DROP},
        {"interview.location.perpetrator_contact_risk": "low"},
        {"interview.location.perpetrator_contact_risk": "unknown"},
        {"interview.location.perpetrator_contact_risk": "high"},
        {"interview.location.perpetrator_contact_risk": None},
        {"interview.location.perpetrator_contact_risk": "None"},
        {"interview.location": DROP},
    ],
)
def test_cac_int_07_fires_when_location_is_not_safe_and_private(changes):
    assert_fires(io_child(**changes), "CAC-INT-07", "major", "field:interview.location")


def test_cac_int_07_applies_to_a_child_who_is_not_an_sgbc_survivor():
    spec = io_child(**NON_SURVIVOR, **{"interview.location.observable": True})
    assert_fires(spec, "CAC-INT-07", "major", "field:interview.location")


# ---------------------------------------------------------------- CAC-INT-08
HARM_EXAMPLES = [
    "Why didn't you tell your teacher?",
    "Why did not you tell your teacher?",
    "Show me where the camp was.",
    "Can you act it out with the dolls?",
    "Ask her to act out the scene.",
    "A re-enactment at the camp is planned.",
    "We will reenact the arrival.",
    "Demonstrate for me how they held you.",
    "Demonstrate where you slept.",
    "Was it your fault that they found you?",
]


@pytest.mark.parametrize("question", HARM_EXAMPLES)
def test_cac_int_08_fires_on_each_harmful_question_pattern(question):
    spec = io_child(append_to("Question areas", question), **NON_SURVIVOR)
    assert_fires(spec, "CAC-INT-08", "major", f"line:{spec.line_of(question)}")


def test_cac_int_08_also_fires_for_a_child_sgbc_survivor_when_sgbc_int_07_does_not_overlap():
    spec = io_child(append_to("Question areas", "Show me where the camp was."))
    assert_fires(spec, "CAC-INT-08", "major", f"line:{spec.line_of('Show me')}")


def test_cac_int_08_reports_the_first_occurrence_once():
    spec = io_child(
        append_to("Interview plan", "Show me the road."),
        append_to("Question areas", "Show me the tent. Was it your fault?"),
        **NON_SURVIVOR,
    )
    assert_fires(spec, "CAC-INT-08", "major", f"line:{spec.line_of('Show me the road')}")


def test_cac_int_08_fires_on_a_match_in_the_title():
    spec = io_child(**NON_SURVIVOR, **{"product.title": "Interview outline: show me the way"})
    assert_fires(spec, "CAC-INT-08", "major", "field:product.title")


@pytest.mark.parametrize(
    "wrapped",
    [
        "> Show me where the camp was, she said.",
        "```\nShow me where the camp was.\n```",
        "<!-- Show me where the camp was. -->",
    ],
)
def test_cac_int_08_does_not_scan_quotes_fences_or_comments(wrapped):
    assert_silent(io_child(append_to("Question areas", wrapped), **NON_SURVIVOR), "CAC-INT-08")


def test_cac_int_08_needs_word_boundaries():
    assert_silent(
        io_child(append_to("Question areas", "The showmen and the shows met her."), **NON_SURVIVOR), "CAC-INT-08"
    )


# ---------------------------------------------------------------- CAC-INT-09
def test_cac_int_09_fires_when_caafag_safeguards_are_missing():
    assert_fires(io_child(without_section("CAAFAG safeguards")), "CAC-INT-09", "major", "product")


def test_cac_int_09_fires_when_caafag_safeguards_are_short():
    spec = io_child(section("CAAFAG safeguards", words(39, "safeguard")))
    assert_fires(spec, "CAC-INT-09", "major", "section:caafag_safeguards")


def test_cac_int_09_accepts_the_long_synonym_heading():
    spec = io_child(
        rename_section("CAAFAG safeguards", "7. Safeguards for children associated with armed forces or groups")
    )
    assert_silent(spec, "CAC-INT-09")


@pytest.mark.parametrize(
    "changes",
    [
        {"witnesses[0].caafag": False},
        {"witnesses[0].caafag": DROP},
        {"witnesses[0].caafag": "true"},
        {"witnesses[0].age": 18},
    ],
)
def test_cac_int_09_does_not_apply_unless_a_caafag_child(changes):
    assert_silent(io_child(without_section("CAAFAG safeguards"), **changes), "CAC-INT-09")
