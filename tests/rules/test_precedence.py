"""Pattern precedence and suppression (requirements.md §1.4), what is scanned (format §3-§5), format
edge cases that change rule results (format §1.1) and format errors (format §7, requirements §1.7)."""

import pytest

from models.enums import Verdict
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
    ip,
    mp,
    rule_ids,
    to_yaml,
)

NOT_SURVIVOR = {"witnesses[0].sgbc_survivor": False}


def check_text(text):
    from rules.library import engine_for
    from tests.rules.factories import base_roster

    return engine_for("1.0").check_text(text, base_roster())


# ---------------------------------------------------------------- precedence between rules
def test_why_didnt_you_scream_is_sgbc_int_07_only_for_a_child_survivor():
    found = rule_ids(io_child(append_to("Question areas", "Why didn't you scream?")).check())
    assert "SGBC-INT-07" in found and "CAC-INT-08" not in found


def test_why_didnt_you_scream_is_cac_int_08_for_a_child_who_is_not_a_survivor():
    spec = io_child(append_to("Question areas", "Why didn't you scream?"), **NOT_SURVIVOR)
    found = rule_ids(spec.check())
    assert "CAC-INT-08" in found and "SGBC-INT-07" not in found


def test_a_suppressed_first_occurrence_moves_the_location_to_the_next_unsuppressed_one():
    spec = io_child(append_to("Question areas", "Why didn't you scream?\nShow me the tent."))
    assert_fires(spec, "SGBC-INT-07", "major", f"line:{spec.line_of('scream')}")
    assert_fires(spec, "CAC-INT-08", "major", f"line:{spec.line_of('Show me the tent')}")


def test_sgbc_int_07_suppresses_an_overlapping_lang_03_occurrence():
    text = "Did she have a relationship with a fighter's wife?"
    found = rule_ids(io_adult(append_to("Question areas", text)).check())
    assert "SGBC-INT-07" in found and "LANG-03" not in found
    # Without SGBC-INT-07 (not a survivor) the same words are a LANG-03 finding.
    assert "LANG-03" in rule_ids(io_adult(append_to("Question areas", text), **NOT_SURVIVOR).check())


def test_sgbc_int_07_suppresses_lang_03_in_a_case_hypothesis_too():
    found = rule_ids(ch(append_to("Evidence and gaps", "Her affair with the commander's wife's cousin.")).check())
    assert "SGBC-INT-07" in found and "LANG-03" not in found


def test_lang_01_suppresses_an_overlapping_lang_03_occurrence():
    found = rule_ids(ip(append_to("Summary", "Insiders called them loose girl prostitutes.")).check())
    assert "LANG-01" in found and "LANG-03" not in found


def test_lang_03_suppresses_an_overlapping_lang_02_occurrence():
    found = rule_ids(ip(append_to("Summary", "Insiders spoke of the child soldiers' wives.")).check())
    assert "LANG-03" in found and "LANG-02" not in found


def test_suppression_is_per_occurrence_not_per_rule():
    spec = ip(
        append_to("Summary", "Insiders spoke of the child soldiers' wives."),
        append_to("Lines of inquiry", "Also the child soldiers of the brigade."),
    )
    assert_fires(spec, "LANG-02", "advisory", f"line:{spec.line_of('Also the child soldiers')}")


def test_occurrences_in_different_units_never_suppress_each_other():
    spec = ip(append_to("Summary", "Insiders spoke of the child soldiers\n\nwives were taken."))
    found = rule_ids(spec.check())
    assert "LANG-02" in found


def test_a_later_rule_never_suppresses_an_earlier_one():
    found = rule_ids(ip(append_to("Summary", "Insiders spoke of the child soldiers' wives.")).check())
    assert "LANG-03" in found


def test_occurrences_of_the_same_rule_do_not_suppress_each_other():
    # "bush wives" and "wives of the commander" are overlapping LANG-03 occurrences.
    spec = ip(append_to("Summary", "They were called the bush wives of the commander."))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('bush wives')}")


def test_a_suppressed_occurrence_still_suppresses_later_rules():
    # SGBC-INT-07 "why didn't you scream" suppresses CAC-INT-08 "why didn't you"; nothing of LANG-* overlaps,
    # so this pins the chain order on what the v1 patterns allow: an occurrence suppressed by an earlier rule
    # stays suppressed even when it is the only occurrence of its rule.
    spec = io_child(append_to("Question areas", "Why didn't you scream? Why didn't you run?"))
    found = rule_ids(spec.check())
    assert "CAC-INT-08" not in found and "SGBC-INT-07" in found


def test_inapplicable_rules_suppress_nothing():
    # For an adult, CAC-INT-08 does not apply, so its "show me" cannot suppress anything, and
    # for a non-survivor IO, SGBC-INT-07 cannot suppress LANG-03.
    spec = io_adult(append_to("Question areas", "Her relationship with a fighter's wife."), **NOT_SURVIVOR)
    assert_fires(spec, "LANG-03", "major")


def test_gen_chg_09_and_triggers_are_not_subject_to_precedence():
    spec = cs(
        **{
            "counts": [
                {
                    "no": 1,
                    "crime": "rape",
                    "label": "Rape",
                    "is_sgbc": True,
                    "is_cac": False,
                    "status": "dropped",
                    "reason": "Uncorroborated; she did not resist, insiders say.",
                }
            ]
        }
    )
    found = rule_ids(spec.check())
    assert {"GEN-CHG-09", "SGBC-INT-07"} <= found


# ---------------------------------------------------------------- what is scanned
@pytest.mark.parametrize(
    "wrapped",
    [
        "> Insiders called them bush wives.",
        "   > Insiders called them bush wives.",
        "> first line\n> Insiders called them bush wives.",
        "```\nInsiders called them bush wives.\n```",
        "~~~\nInsiders called them bush wives.\n~~~",
        "````text\nInsiders called them bush wives.\n```",
        "   ```\nInsiders called them bush wives.\n        ```",
        "<!-- Insiders called them bush wives. -->",
        "<!--\nInsiders called them\nbush wives.\n-->",
        "```\n<!-- comment inside a fence -->\nbush wives\n```",
    ],
)
def test_quotes_fences_and_comments_are_not_scanned(wrapped):
    assert_silent(ip(append_to("Summary", wrapped)), "LANG-03")


def test_an_unclosed_fence_hides_the_rest_of_the_body():
    spec = ip(append_to("Summary", "```\ncode"), append_to("Team and GCU consultation", "Bush wives."))
    assert_silent(spec, "LANG-03")


def test_a_lazy_continuation_line_of_a_block_quote_is_scanned():
    spec = ip(append_to("Summary", "> The witness said:\nthey were bush wives."))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('they were bush wives')}")


def test_an_unclosed_html_comment_is_ordinary_text():
    spec = ip(append_to("Summary", "<!-- draft note: bush wives"))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('bush wives')}")


def test_an_html_comment_keeps_line_numbers():
    spec = ip(append_to("Summary", "<!--\none\ntwo\n-->\nInsiders called them bush wives."))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('Insiders called them bush wives')}")


def test_self_closing_looking_comment_does_not_close_itself():
    spec = ip(append_to("Summary", "<!--> bush wives -->\nClean text."))
    assert_silent(spec, "LANG-03")


def test_a_match_never_spans_two_blocks_but_spans_lines_within_a_block():
    assert_silent(ip(append_to("Summary", "They were bush\n\nwives.")), "LANG-03")
    spec = ip(append_to("Summary", "They were bush\nwives."))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('They were bush')}")


def test_a_heading_line_is_a_block_of_its_own_and_is_scanned():
    spec = ip()
    spec.add_section("Bush wives", "Some text.", level=3, after="Summary")
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('### Bush wives')}")
    # Four hashes make ordinary text; the match starts on that line of the block.
    spec = ip(append_to("Summary", "The women called\n#### bush wives"))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('#### bush wives')}")


def test_emphasis_and_typographic_characters_are_normalised():
    spec = ip(append_to("Summary", "the *bush*\u00a0_wives_ and the commander\u2019s `wives`"))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('the *bush*')}")


def test_crlf_line_endings_give_the_same_findings_and_lines():
    spec = ip(append_to("Summary", "Insiders called them bush wives."))
    lf = spec.check()
    crlf = check_text(spec.text().replace("\n", "\r\n"))
    assert [(f.rule_id, f.severity, f.location) for f in crlf.findings] == [
        (f.rule_id, f.severity, f.location) for f in lf.findings
    ]


def test_a_lone_carriage_return_does_not_end_a_line():
    spec = ip(append_to("Summary", "First.\rInsiders called them bush wives."))
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of('Insiders called them bush wives')}")


def test_a_byte_order_mark_is_ignored():
    spec = ip()
    result = check_text("\ufeff" + spec.text())
    assert result.errors == [] and result.findings == []


# ---------------------------------------------------------------- staff-id fields: none vs TBD
@pytest.mark.parametrize(
    "nobody",
    [
        "none",
        "NONE",
        "nil",
        "null",
        "n/a",
        "N/A",
        "na",
        "-",
        "--",
        "not needed",
        "Not Applicable",
        "not required",
        " none ",
    ],
)
def test_a_nobody_value_leaves_the_interpreter_slot_empty(nobody):
    spec = io_adult(
        **{
            "interview.interpreter": nobody,
            "interpreter_vetting.briefed_sgbc": False,
            "gender_choice.interpreter": DROP,
        }
    )
    found = rule_ids(spec.check())
    assert not found & {"STAFF-03", "SGBC-INT-03", "SGBC-INT-02"}


@pytest.mark.parametrize("someone", ["TBD", "unknown", "pending", "to be identified", "tbc", "?"])
def test_a_placeholder_names_an_unknown_interpreter_who_fails_every_lookup(someone):
    spec = io_adult(**{"interview.interpreter": someone, "interpreter_vetting.briefed_sgbc": False})
    found = rule_ids(spec.check())
    assert {"STAFF-03", "SGBC-INT-03", "SGBC-INT-02"} <= found


# ---------------------------------------------------------------- YAML 1.2 core schema
@pytest.mark.parametrize("value", [Raw("yes"), Raw("Yes"), Raw("on"), Raw("y"), Raw('"true"')])
def test_yaml_11_booleans_are_strings_and_count_as_absent(value):
    assert_fires(io_child(**{"consent.child": value}), "CAC-INT-02", "blocking", "field:consent.child")


@pytest.mark.parametrize("value", [Raw("true"), Raw("True"), Raw("TRUE")])
def test_core_booleans_are_booleans(value):
    assert_silent(io_child(**{"consent.child": value}), "CAC-INT-02")


def test_plain_none_is_the_string_none_not_null():
    assert_silent(io_child(**{"interview.location.perpetrator_contact_risk": Raw("none")}), "CAC-INT-07")
    assert_fires(io_child(**{"interview.location.perpetrator_contact_risk": Raw("~")}), "CAC-INT-07", "major")
    assert_fires(io_child(**{"interview.location.perpetrator_contact_risk": Raw("None")}), "CAC-INT-07", "major")


@pytest.mark.parametrize(
    "value, fires",
    [
        (Raw("045"), False),
        (Raw("0x2D"), False),
        (Raw("0o55"), False),
        (Raw("+45"), False),
        (Raw("1_000"), True),
        (Raw("4.5e1"), True),
        (Raw('"45"'), True),
        (Raw("45.0"), True),
        (Raw("0b101"), True),
        (Raw("0:45"), True),
    ],
)
def test_integers_follow_the_core_schema(value, fires):
    spec = io_child(**{"interview.planned_block_minutes": value})
    if fires:
        assert_fires(spec, "CAC-INT-03", "major", "field:interview.planned_block_minutes")
    else:
        assert_silent(spec, "CAC-INT-03")


@pytest.mark.parametrize("value", [True, Raw("true")])
def test_a_boolean_is_never_an_integer(value):
    spec = mp(**{"mission.schedule": [{"date": "2025-09-09", "interviewer": "AL-03", "sensitive_interviews": value}]})
    assert_fires(spec, "GEN-MP-05", "minor", "field:mission.schedule")


def test_an_integer_is_never_a_boolean():
    assert_fires(io_child(**{"interview.breaks_planned": 1}), "CAC-INT-03", "major", "field:interview.breaks_planned")


@pytest.mark.parametrize(
    "value",
    [
        Raw("2025-08-14 10:00:00"),
        Raw("2025-08-14T10:00Z"),
        Raw("2025-08-14T10:00:00+02:00"),
        "2025-02-30",
        "20250814",
        "2025-W33-4",
        " 2025-08-14",
        "2025-8-14",
        20250814,
    ],
)
def test_dates_with_time_parts_or_other_shapes_are_absent(value):
    spec = io_child(**{"psychosocial_assessment.date": value})
    hit = assert_fires(spec, "CAC-INT-01", "blocking")
    assert hit.location.startswith("field:psychosocial_assessment")


@pytest.mark.parametrize("value", [Raw("2025-08-14"), Raw('"2025-08-14"'), Raw("'2025-08-14'")])
def test_a_date_is_the_same_quoted_or_unquoted(value):
    assert_silent(io_child(**{"psychosocial_assessment.date": value}), "CAC-INT-01")


def test_the_last_duplicate_key_wins():
    text = io_child().text().replace("  breaks_planned: true\n", "  breaks_planned: true\n  breaks_planned: false\n")
    assert "CAC-INT-03" in rule_ids(check_text(text))
    text = io_child().text().replace("  breaks_planned: true\n", "  breaks_planned: false\n  breaks_planned: true\n")
    assert "CAC-INT-03" not in rule_ids(check_text(text))


def test_keys_are_case_sensitive():
    assert_fires(io_child(**{"consent.child": DROP, "consent.Child": True}), "CAC-INT-02", "blocking")


def test_count_key_no_is_a_string_key_and_causes_no_trouble():
    result = ch().check()
    assert result.errors == [] and result.findings == []


# ---------------------------------------------------------------- format errors (format §7)
def _without(factory, path):
    return factory(**{path: DROP}).text()


def _with(factory, **changes):
    return factory(**changes).text()


FIELD_ERRORS = [
    # (id, text builder, field that must be named)
    *[
        (f"missing-{f}", (lambda f=f: _without(io_adult, f"product.{f}")), f"product.{f}")
        for f in ["id", "type", "title", "team", "situation", "version", "author", "submitted_on", "audience"]
    ],
    ("title-not-string", lambda: _with(io_adult, **{"product.title": 5}), "product.title"),
    ("team-not-string", lambda: _with(io_adult, **{"product.team": ["T-ALPHA"]}), "product.team"),
    (
        "submitted-on-invalid-date",
        lambda: _with(io_adult, **{"product.submitted_on": "2025-02-30"}),
        "product.submitted_on",
    ),
    (
        "submitted-on-with-time",
        lambda: _with(io_adult, **{"product.submitted_on": Raw("2025-03-03 10:00:00")}),
        "product.submitted_on",
    ),
    ("version-boolean", lambda: _with(io_adult, **{"product.version": True}), "product.version"),
    ("version-list", lambda: _with(io_adult, **{"product.version": [1]}), "product.version"),
    ("version-inf", lambda: _with(io_adult, **{"product.version": Raw(".inf")}), "product.version"),
    ("type-lowercase", lambda: _with(io_adult, **{"product.type": "io"}), "product.type"),
    ("type-unknown", lambda: _with(io_adult, **{"product.type": "XX"}), "product.type"),
    ("audience-unknown", lambda: _with(io_adult, **{"product.audience": "public"}), "product.audience"),
    ("audience-case", lambda: _with(io_adult, **{"product.audience": "Internal"}), "product.audience"),
    ("id-bad-pattern", lambda: _with(io_adult, **{"product.id": "-IO 1"}), "product.id"),
    ("io-witnesses-missing", lambda: _without(io_adult, "witnesses"), "witnesses"),
    ("io-witness-age-missing", lambda: _without(io_adult, "witnesses[0].age"), "witnesses[0].age"),
    ("io-witness-age-string", lambda: _with(io_adult, **{"witnesses[0].age": "31"}), "witnesses[0].age"),
    ("io-witness-age-boolean", lambda: _with(io_adult, **{"witnesses[0].age": True}), "witnesses[0].age"),
    (
        "io-witness-survivor-missing",
        lambda: _without(io_adult, "witnesses[0].sgbc_survivor"),
        "witnesses[0].sgbc_survivor",
    ),
    (
        "io-witness-survivor-yes",
        lambda: _with(io_adult, **{"witnesses[0].sgbc_survivor": Raw("yes")}),
        "witnesses[0].sgbc_survivor",
    ),
    ("io-interview-date-missing", lambda: _without(io_adult, "interview.date"), "interview.date"),
    ("io-interview-date-invalid", lambda: _with(io_adult, **{"interview.date": "2025-13-01"}), "interview.date"),
    ("mp-witnesses-missing", lambda: _without(mp, "witnesses"), "witnesses"),
    ("mp-witness-age-missing", lambda: _without(mp, "witnesses[2].age"), "witnesses[2].age"),
    ("mp-start-missing", lambda: _without(mp, "mission.start"), "mission.start"),
    ("mp-end-missing", lambda: _without(mp, "mission.end"), "mission.end"),
    ("ch-counts-missing", lambda: _without(ch, "counts"), "counts"),
    ("cs-counts-not-a-list", lambda: _with(cs, **{"counts": "none"}), "counts"),
]


@pytest.mark.parametrize("build, field", [(b, f) for _, b, f in FIELD_ERRORS], ids=[i for i, _, _ in FIELD_ERRORS])
def test_structural_field_problems_are_format_errors_naming_the_field(build, field):
    result = check_text(build())
    assert result.verdict == Verdict.FORMAT_ERROR
    assert result.findings == []
    assert result.errors
    assert any(e.field == field for e in result.errors), [e.model_dump() for e in result.errors]


def _io_with_witnesses(witnesses):
    spec = io_adult()
    spec.set("witnesses", witnesses)
    return spec.text()


WITNESS = {"code": "EX-S-001", "age": 31, "sgbc_survivor": True}
OTHER_ERRORS = [
    ("io-no-witness", lambda: _io_with_witnesses([])),
    ("io-two-witnesses", lambda: _io_with_witnesses([WITNESS, dict(WITNESS, code="EX-S-002")])),
    ("io-witness-not-mapping", lambda: _io_with_witnesses(["EX-S-001"])),
    ("io-witnesses-not-list", lambda: _io_with_witnesses("EX-S-001")),
    ("mp-witness-not-mapping", lambda: _with(mp, **{"witnesses[1]": "AL-S-221"})),
    ("mp-end-before-start", lambda: _with(mp, **{"mission.end": "2025-09-07"})),
    ("no-front-matter", lambda: "# Just a title\n\nSome text.\n"),
    ("first-line-not-dashes", lambda: "\n" + io_adult().text()),
    ("front-matter-not-closed", lambda: "---\n" + to_yaml(io_adult().front) + "\n# Body\n"),
    ("invalid-yaml", lambda: "---\nproduct: [unclosed\n  type: IO\n---\n\nBody\n"),
    ("front-matter-a-list", lambda: "---\n- a\n- b\n---\n\nBody\n"),
    ("front-matter-a-scalar", lambda: "---\njust text\n---\n\nBody\n"),
    ("empty-file", lambda: ""),
]


@pytest.mark.parametrize("build", [b for _, b in OTHER_ERRORS], ids=[i for i, _ in OTHER_ERRORS])
def test_other_format_errors_reject_the_file_with_a_line_or_field(build):
    result = check_text(build())
    assert result.verdict == Verdict.FORMAT_ERROR
    assert result.findings == []
    assert result.errors
    assert all(e.message for e in result.errors)


@pytest.mark.parametrize(
    "build",
    [b for i, b in OTHER_ERRORS if i.startswith(("io-", "mp-"))],
    ids=[i for i, _ in OTHER_ERRORS if i.startswith(("io-", "mp-"))],
)
def test_witness_and_mission_format_errors_name_a_field(build):
    result = check_text(build())
    assert any(e.field for e in result.errors), [e.model_dump() for e in result.errors]


def test_a_yaml_syntax_error_names_its_line():
    result = check_text("---\nproduct:\n  id: IO-1\n  type: [unclosed\n---\n\nBody\n")
    assert result.verdict == Verdict.FORMAT_ERROR
    assert any(e.line is not None and 2 <= e.line <= 5 for e in result.errors), [e.model_dump() for e in result.errors]


def test_the_product_id_is_reported_on_a_format_error_when_readable():
    result = check_text(_with(io_adult, **{"product.audience": "public"}))
    assert result.verdict == Verdict.FORMAT_ERROR and result.product_id == "IO-ALPHA-2025-001"
    result = check_text(_with(io_adult, **{"product.id": 42}))
    assert result.verdict == Verdict.FORMAT_ERROR and result.product_id is None


def test_a_format_error_runs_no_safety_rule():
    # requirements.md §9 item 9: all-or-nothing.
    result = check_text(_with(io_adult, **{"product.audience": "public", "consent.elements": []}))
    assert result.findings == []


@pytest.mark.parametrize("version", [2, 1.0, Raw("0x10"), "1.0"])
def test_a_numeric_version_is_accepted(version):
    result = check_text(_with(io_adult, **{"product.version": version}))
    assert result.errors == [] and result.verdict == Verdict.CLEAN


@pytest.mark.parametrize(
    "changes",
    [
        {"witnesses[0].name": None},  # forbidden key with null: no defect at all
        {"witnesses[0].gender": "Female"},  # optional enum out of list: absent, no error
        {"interview.sequence": 0},  # below range: treated as absent
        {"interview.phases": ["introduction", "warm_up", "free_narrative"]},  # unknown phase: rule, not format
        {"unknown_group": {"x": 1}},
    ],
)
def test_non_structural_problems_are_not_format_errors(changes):
    assert check_text(_with(io_adult, **changes)).errors == []


def test_mp_with_no_witnesses_and_ch_with_no_counts_are_valid():
    assert check_text(_with(mp, witnesses=[])).errors == []
    assert check_text(_with(ch, counts=[])).errors == []


def test_mp_with_a_one_day_mission_is_valid():
    assert check_text(_with(mp, **{"mission.end": "2025-09-08"})).errors == []
