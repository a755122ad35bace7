"""Interview outlines, SGBC survivors (requirements.md §5.3): SGBC-INT-01 ... SGBC-INT-08."""

import pytest

from tests.rules.factories import (
    DROP,
    Raw,
    append_to,
    assert_fires,
    assert_silent,
    ch,
    cs,
    io_adult,
    io_child,
    missing_heading,
    rename_section,
    section,
    without_section,
)

NOT_SURVIVOR = {"witnesses[0].sgbc_survivor": False}
SGBC_INT_RULES = [f"SGBC-INT-0{i}" for i in range(1, 9)]
ELEMENTS = ["purpose", "use", "disclosure", "access", "risks", "right_to_stop"]


def words(n, word="storage"):
    return " ".join([word] * n)


def test_sgbc_int_rules_do_not_apply_to_a_witness_who_is_not_a_survivor():
    spec = io_adult(
        without_section("Recording and storage"),
        without_section("Follow-up and feedback plan"),
        append_to("Question areas", "Did you try to escape?"),
        **NOT_SURVIVOR,
        **{
            "consent.elements": [],
            "gender_choice": DROP,
            "interpreter_vetting": DROP,
            "witnesses[0].code": DROP,
            "interview.phases": [],
            "risk_assessment": DROP,
        },
    )
    result = spec.check()
    assert not {f.rule_id for f in result.findings} & set(SGBC_INT_RULES)


@pytest.mark.parametrize("value", ["true", Raw("yes"), 1])
def test_a_non_boolean_sgbc_survivor_is_a_format_error_not_a_survivor(value):
    spec = io_adult(**{"witnesses[0].sgbc_survivor": value, "consent.elements": []})
    result = spec.check()
    # A non-boolean structural field is a format error (format §7), so no rule runs at all.
    assert result.findings == [] and result.errors


# ---------------------------------------------------------------- SGBC-INT-01
@pytest.mark.parametrize("missing", ELEMENTS)
def test_sgbc_int_01_fires_when_a_consent_element_is_missing(missing):
    spec = io_adult(**{"consent.elements": [e for e in ELEMENTS if e != missing]})
    assert_fires(spec, "SGBC-INT-01", "blocking", "field:consent.elements")


@pytest.mark.parametrize(
    "value",
    [
        DROP,
        [],
        "purpose, use, disclosure, access, risks, right_to_stop",
        ["Purpose", "use", "disclosure", "access", "risks", "right_to_stop"],
    ],
)
def test_sgbc_int_01_fires_when_consent_elements_are_absent_or_malformed(value):
    assert_fires(io_adult(**{"consent.elements": value}), "SGBC-INT-01", "blocking", "field:consent.elements")


def test_sgbc_int_01_ignores_extra_and_unknown_elements_and_order():
    spec = io_adult(
        **{"consent.elements": ["right_to_stop", "risks", "extra", "access", "disclosure", "use", "purpose"]}
    )
    assert_silent(spec, "SGBC-INT-01")


def test_sgbc_int_01_applies_to_a_child_survivor():
    assert_fires(io_child(**{"consent.elements": ["purpose"]}), "SGBC-INT-01", "blocking")


# ---------------------------------------------------------------- SGBC-INT-02
@pytest.mark.parametrize("offered", [False, DROP, "true"])
def test_sgbc_int_02_fires_when_no_gender_choice_was_offered(offered):
    assert_fires(io_adult(**{"gender_choice.offered": offered}), "SGBC-INT-02", "major", "field:gender_choice")


@pytest.mark.parametrize("choice", ["male", DROP, "Female", "non_binary"])
def test_sgbc_int_02_fires_when_interviewer_does_not_match_the_recorded_choice(choice):
    # AL-03 (female) interviews.
    assert_fires(io_adult(**{"gender_choice.interviewer": choice}), "SGBC-INT-02", "major", "field:gender_choice")


def test_sgbc_int_02_accepts_no_preference_for_the_interviewer():
    assert_silent(io_adult(**{"gender_choice.interviewer": "no_preference"}), "SGBC-INT-02")


@pytest.mark.parametrize("interviewer", ["TBD", "XX-99", "GX-04"])
def test_sgbc_int_02_interviewer_without_a_roster_gender_matches_only_no_preference(interviewer):
    # TBD / XX-99 are not in the roster; GX-04 is non_binary, which no choice value names.
    assert_fires(io_adult(**{"interview.interviewer": interviewer}), "SGBC-INT-02", "major", "field:gender_choice")
    assert_silent(
        io_adult(**{"interview.interviewer": interviewer, "gender_choice.interviewer": "no_preference"}), "SGBC-INT-02"
    )


def test_sgbc_int_02_staff_with_an_invalid_roster_gender_has_no_gender():
    from tests.rules.factories import roster_with, staff_entry

    roster = roster_with(lambda d: staff_entry(d, "AL-03").update(gender="Female"))
    assert_fires(io_adult(), "SGBC-INT-02", "major", "field:gender_choice", roster=roster)


@pytest.mark.parametrize("choice", ["male", DROP])
def test_sgbc_int_02_fires_when_interpreter_does_not_match_the_recorded_choice(choice):
    # AL-11 (female) interprets.
    assert_fires(io_adult(**{"gender_choice.interpreter": choice}), "SGBC-INT-02", "major", "field:gender_choice")


@pytest.mark.parametrize("interpreter", [DROP, None, "none", "N/A", "-", "not needed"])
def test_sgbc_int_02_needs_no_interpreter_choice_without_an_interpreter(interpreter):
    spec = io_adult(**{"interview.interpreter": interpreter, "gender_choice.interpreter": DROP})
    assert_silent(spec, "SGBC-INT-02")


def test_sgbc_int_02_checks_a_placeholder_interpreter():
    assert_fires(io_adult(**{"interview.interpreter": "TBD"}), "SGBC-INT-02", "major", "field:gender_choice")
    assert_silent(
        io_adult(**{"interview.interpreter": "TBD", "gender_choice.interpreter": "no_preference"}), "SGBC-INT-02"
    )


def test_sgbc_int_02_matches_a_male_interpreter_chosen_by_the_survivor():
    spec = io_adult(**{"interview.interpreter": "AL-12", "gender_choice.interpreter": "male"})
    assert_silent(spec, "SGBC-INT-02")


# ---------------------------------------------------------------- SGBC-INT-03
@pytest.mark.parametrize(
    "changes",
    [
        {"interpreter_vetting.briefed_sgbc": False},
        {"interpreter_vetting.briefed_sgbc": DROP},
        {"interpreter_vetting.confidentiality_signed": False},
        {"interpreter_vetting.confidentiality_signed": Raw("yes")},
        {"interpreter_vetting.community_conflict": True},
        {"interpreter_vetting.community_conflict": DROP, "interpreter_vetting.survivor_waiver": DROP},
        {"interpreter_vetting": DROP},
    ],
)
def test_sgbc_int_03_fires_when_interpreter_is_not_vetted(changes):
    assert_fires(io_adult(**changes), "SGBC-INT-03", "major", "field:interpreter_vetting")


def test_sgbc_int_03_accepts_a_community_link_the_survivor_agreed_to():
    spec = io_adult(**{"interpreter_vetting.community_conflict": True, "interpreter_vetting.survivor_waiver": True})
    assert_silent(spec, "SGBC-INT-03")


@pytest.mark.parametrize("interpreter", [DROP, None, "none", "None", "n/a", "---", "Not required"])
def test_sgbc_int_03_does_not_apply_without_an_interpreter(interpreter):
    spec = io_adult(**{"interview.interpreter": interpreter, "interpreter_vetting": DROP})
    assert_silent(spec, "SGBC-INT-03")


@pytest.mark.parametrize("interpreter", ["TBD", "unknown", "to be identified"])
def test_sgbc_int_03_applies_to_a_placeholder_interpreter(interpreter):
    spec = io_adult(**{"interview.interpreter": interpreter, "interpreter_vetting": DROP})
    assert_fires(spec, "SGBC-INT-03", "major", "field:interpreter_vetting")


# ---------------------------------------------------------------- SGBC-INT-04
@pytest.mark.parametrize("code", [DROP, "ex-s-001", "EXS001", "EX_S_001", "EX-S-", "Jane Doe", 104])
def test_sgbc_int_04_fires_when_witness_code_is_absent_or_malformed(code):
    assert_fires(io_adult(**{"witnesses[0].code": code}), "SGBC-INT-04", "blocking", "field:witnesses[0].code")


@pytest.mark.parametrize("code", ["EX-1", "A1-B2-C3", "VM-C-104"])
def test_sgbc_int_04_accepts_well_formed_codes(code):
    assert_silent(io_adult(**{"witnesses[0].code": code}), "SGBC-INT-04")


@pytest.mark.parametrize(
    "key, value",
    [
        ("name", "Jane"),
        ("full_name", "Jane Doe"),
        ("real_name", "Jane"),
        ("alias", "Mama J"),
        ("name", ""),
        ("name", "TBD"),
    ],
)
def test_sgbc_int_04_fires_on_a_forbidden_name_key(key, value):
    spec = io_adult(**{f"witnesses[0].{key}": value})
    assert_fires(spec, "SGBC-INT-04", "blocking", f"field:witnesses[0].{key}")


@pytest.mark.parametrize("key, value", [("name", None), ("alias", None), ("Name", "Jane"), ("surname", "Doe")])
def test_sgbc_int_04_ignores_null_forbidden_keys_and_other_keys(key, value):
    assert_silent(io_adult(**{f"witnesses[0].{key}": value}), "SGBC-INT-04")


def test_sgbc_int_04_fires_when_storage_section_is_missing():
    assert_fires(
        io_adult(without_section("Recording and storage")),
        "SGBC-INT-04",
        "blocking",
        missing_heading("recording_and_storage"),
    )


def test_sgbc_int_04_fires_when_storage_section_is_short():
    assert_fires(
        io_adult(section("Recording and storage", words(39))),
        "SGBC-INT-04",
        "blocking",
        "section:recording_and_storage",
    )


@pytest.mark.parametrize("heading", ["Storage plan", "Confidentiality and storage"])
def test_sgbc_int_04_accepts_storage_synonyms(heading):
    assert_silent(io_adult(rename_section("Recording and storage", heading)), "SGBC-INT-04")


@pytest.mark.parametrize(
    "changes",
    [
        {"interview.location.private": False},
        {"interview.location.private": DROP},
        {"interview.location.observable": True},
        {"interview.location.observable": DROP},
        {"interview.location": DROP},
    ],
)
def test_sgbc_int_04_fires_for_an_adult_when_location_is_not_private(changes):
    assert_fires(io_adult(**changes), "SGBC-INT-04", "blocking", "field:interview.location")


def test_sgbc_int_04_does_not_check_perpetrator_contact_risk_for_adults():
    # requirements.md §9 item 2: a deliberate limitation of v1.
    assert_silent(io_adult(**{"interview.location.perpetrator_contact_risk": "high"}), "SGBC-INT-04")


def test_sgbc_int_04_reports_sub_conditions_in_check_order():
    spec = io_adult(
        without_section("Recording and storage"),
        **{"witnesses[0].code": DROP, "witnesses[0].name": "Jane", "interview.location.private": False},
    )
    assert_fires(spec, "SGBC-INT-04", "blocking", "field:witnesses[0].code")
    spec = io_adult(
        without_section("Recording and storage"), **{"witnesses[0].alias": "J", "interview.location.private": False}
    )
    assert_fires(spec, "SGBC-INT-04", "blocking", "field:witnesses[0].alias")
    spec = io_adult(without_section("Recording and storage"), **{"interview.location.private": False})
    assert_fires(spec, "SGBC-INT-04", "blocking", missing_heading("recording_and_storage"))


def test_sgbc_int_04_applies_to_a_child_survivor_except_for_location():
    assert_fires(io_child(**{"witnesses[0].code": "child 104"}), "SGBC-INT-04", "blocking", "field:witnesses[0].code")
    assert_silent(io_child(**{"interview.location.private": False}), "SGBC-INT-04")


# ---------------------------------------------------------------- SGBC-INT-05
@pytest.mark.parametrize("category", ["medical", "psychosocial", "legal", "shelter_livelihood"])
def test_sgbc_int_05_fires_when_a_referral_category_is_not_covered(category):
    spec = io_adult(**{f"referral_pathway.{category}": DROP})
    assert_fires(spec, "SGBC-INT-05", "major", f"field:referral_pathway.{category}")


@pytest.mark.parametrize(
    "entry",
    [
        {"unavailable": True},
        {"unavailable": True, "mitigation": "TBD"},
        {"provider": "pending"},
        {"unavailable": False, "mitigation": "Emergency shelter through the VWU if needed"},
    ],
)
def test_sgbc_int_05_fires_when_an_entry_does_not_cover_the_category(entry):
    spec = io_adult(**{"referral_pathway.shelter_livelihood": entry})
    assert_fires(spec, "SGBC-INT-05", "major", "field:referral_pathway.shelter_livelihood")


def test_sgbc_int_05_reports_the_first_uncovered_category_when_the_pathway_is_absent():
    assert_fires(io_adult(**{"referral_pathway": DROP}), "SGBC-INT-05", "major", "field:referral_pathway.medical")


def test_sgbc_int_05_does_not_need_child_protection():
    assert_silent(io_adult(**{"referral_pathway.child_protection": DROP}), "SGBC-INT-05")


def test_sgbc_int_05_fires_when_follow_up_plan_is_missing_or_short():
    assert_fires(
        io_adult(without_section("Follow-up and feedback plan")), "SGBC-INT-05", "major", missing_heading("follow_up")
    )
    assert_fires(
        io_adult(section("Follow-up and feedback plan", words(39, "call"))), "SGBC-INT-05", "major", "section:follow_up"
    )


@pytest.mark.parametrize("heading", ["Follow-up plan", "Follow-up and feedback", "Follow up and feedback plan"])
def test_sgbc_int_05_follow_up_headings(heading):
    spec = io_adult(rename_section("Follow-up and feedback plan", heading))
    if heading == "Follow up and feedback plan":  # not a listed synonym (no fuzzy matching)
        assert_fires(spec, "SGBC-INT-05", "major", missing_heading("follow_up"))
    else:
        assert_silent(spec, "SGBC-INT-05")


def test_sgbc_int_05_reports_referrals_before_the_follow_up_section():
    spec = io_adult(without_section("Follow-up and feedback plan"), **{"referral_pathway.legal": DROP})
    assert_fires(spec, "SGBC-INT-05", "major", "field:referral_pathway.legal")


# ---------------------------------------------------------------- SGBC-INT-06
@pytest.mark.parametrize(
    "phases",
    [
        ["introduction", "rapport", "open_questions", "free_narrative"],
        ["introduction", "warm_up", "free_narrative"],
        ["introduction", 5, "free_narrative"],
        ["introduction", "rapport", "ground_rules"],
        ["introduction", "Free_narrative"],
        [],
        DROP,
        "free_narrative",
    ],
)
def test_sgbc_int_06_fires_unless_free_narrative_comes_first_after_the_opening(phases):
    assert_fires(io_adult(**{"interview.phases": phases}), "SGBC-INT-06", "major", "field:interview.phases")


@pytest.mark.parametrize(
    "phases",
    [
        ["free_narrative"],
        ["ground_rules", "rapport", "introduction", "free_narrative", "specific_questions"],
        ["introduction", "free_narrative", "warm_up"],
    ],
)
def test_sgbc_int_06_is_silent_when_free_narrative_opens_the_substance(phases):
    assert_silent(io_adult(**{"interview.phases": phases}), "SGBC-INT-06")


@pytest.mark.parametrize("detail", [DROP, [], ["sexual_violence"], "rape"])
def test_sgbc_int_06_fires_without_a_crime_tag_limiting_detail(detail):
    spec = io_adult(**{"interview.detail_limited_to": detail})
    assert_fires(spec, "SGBC-INT-06", "major", "field:interview.detail_limited_to")


def test_sgbc_int_06_accepts_any_crime_tag_for_detail():
    assert_silent(io_adult(**{"interview.detail_limited_to": ["torture", "not_a_tag"]}), "SGBC-INT-06")


def test_sgbc_int_06_reports_phases_first():
    spec = io_adult(**{"interview.phases": [], "interview.detail_limited_to": []})
    assert_fires(spec, "SGBC-INT-06", "major", "field:interview.phases")


# ---------------------------------------------------------------- SGBC-INT-07
CONDUCT_EXAMPLES = [
    "Did she have a boyfriend in the brigade?",
    "Ask about her previous partners.",
    "Ask about her prior sexual partner.",
    "Her sexual history is relevant.",
    "Her sexual reputation in the village.",
    "Did she have a relationship with a commander?",
    "Her affair with one of the guards.",
    "Did you try to escape from the post?",
    "Did you fight back?",
    "Why didn't you scream for help?",
    "Why did not you run away?",
    "The witness did not try to resist.",
    "She did not scream.",
    "She remained in the house of the officer afterwards.",
    "Was she a virgin before the events?",
    "What were you wearing that night?",
]


@pytest.mark.parametrize("sentence", CONDUCT_EXAMPLES)
def test_sgbc_int_07_fires_on_each_conduct_pattern_in_an_io(sentence):
    spec = io_adult(append_to("Question areas", sentence))
    assert_fires(spec, "SGBC-INT-07", "major", f"line:{spec.line_of(sentence)}")


def test_sgbc_int_07_remained_afterwards_stops_at_a_full_stop():
    assert_silent(io_adult(append_to("Question areas", "She remained at home. Afterwards she moved.")), "SGBC-INT-07")


@pytest.mark.parametrize("factory", [ch, cs], ids=["CH", "CS"])
def test_sgbc_int_07_always_applies_to_ch_and_cs(factory):
    spec = factory(append_to("Evidence and gaps", "The defence will say she had a boyfriend among the guards."))
    assert_fires(spec, "SGBC-INT-07", "major", f"line:{spec.line_of('boyfriend')}")


def test_sgbc_int_07_screens_count_labels_and_reasons_with_field_locations():
    spec = ch(**{"counts[1].label": "Pillaging (victim's sexual history)"})
    assert_fires(spec, "SGBC-INT-07", "major", "field:counts[1].label")
    spec = ch(
        **{
            "counts[0].status": "dropped",
            "counts[0].reason": "Dropped because the witness did not resist when taken to the post.",
        }
    )
    assert_fires(spec, "SGBC-INT-07", "major", "field:counts[0].reason")


def test_sgbc_int_07_screens_exclusion_values():
    spec = cs(**{"exclusions.sexual_violence": "She remained with the commander afterwards, so no count is proposed."})
    assert_fires(spec, "SGBC-INT-07", "major", "field:exclusions.sexual_violence")


def test_sgbc_int_07_screens_the_title_first():
    spec = io_adult(
        append_to("Question areas", "Was she a virgin?"), **{"product.title": "Interview outline: her boyfriend"}
    )
    assert_fires(spec, "SGBC-INT-07", "major", "field:product.title")


@pytest.mark.parametrize(
    "wrapped",
    [
        "> Why didn't you scream, they asked me.",
        "```\nWhy didn't you scream?\n```",
        "<!-- Why didn't you scream? -->",
    ],
)
def test_sgbc_int_07_does_not_scan_quotes_fences_or_comments(wrapped):
    assert_silent(io_adult(append_to("Question areas", wrapped)), "SGBC-INT-07")


def test_sgbc_int_07_scans_inline_quotation_marks():
    spec = io_adult(append_to("Question areas", 'The officer asked her "why didn\'t you run?"'))
    assert_fires(spec, "SGBC-INT-07", "major")


def test_sgbc_int_07_normalises_curly_apostrophes_and_emphasis():
    spec = io_adult(append_to("Question areas", "*Why didn’t you* **scream**?"))
    assert_fires(spec, "SGBC-INT-07", "major", f"line:{spec.line_of('scream')}")


# ---------------------------------------------------------------- SGBC-INT-08
@pytest.mark.parametrize(
    "completed_on",
    [
        "2025-03-12",  # same day as first contact
        "2025-03-15",  # after
        DROP,
        Raw("2025-03-07T10:00Z"),  # time part: absent
        "20250307",
        "2025-3-7",
    ],
)
def test_sgbc_int_08_fires_when_assessment_is_not_completed_before_first_contact(completed_on):
    spec = io_adult(**{"risk_assessment.completed_on": completed_on})
    assert_fires(spec, "SGBC-INT-08", "blocking", "field:risk_assessment")


def test_sgbc_int_08_uses_the_interview_date_when_first_contact_is_absent():
    spec = io_adult(**{"interview.first_contact_on": DROP, "risk_assessment.completed_on": "2025-03-19"})
    assert_silent(spec, "SGBC-INT-08")
    spec = io_adult(**{"interview.first_contact_on": DROP, "risk_assessment.completed_on": "2025-03-20"})
    assert_fires(spec, "SGBC-INT-08", "blocking", "field:risk_assessment")


def test_sgbc_int_08_accepts_a_quoted_date_like_an_unquoted_one():
    spec = io_adult(**{"risk_assessment.completed_on": Raw('"2025-03-07"')})
    assert_silent(spec, "SGBC-INT-08")


@pytest.mark.parametrize("mitigations", [DROP, "", "TBD", "To be decided with the VWU next week", "?"])
def test_sgbc_int_08_fires_without_mitigations(mitigations):
    spec = io_adult(**{"risk_assessment.mitigations": mitigations})
    assert_fires(spec, "SGBC-INT-08", "blocking", "field:risk_assessment")
