"""Case hypotheses and charging strategies (requirements.md §3.5, §5.4): SGBC-CHG-01 ... GEN-CHG-09."""

import pytest

from tests.rules.factories import (
    CH_FACTS,
    DROP,
    append_to,
    assert_fires,
    assert_silent,
    ch,
    cs,
    prose,
    without_section,
)

SGBC_TAGS = {
    "rape",
    "sexual_slavery",
    "enforced_prostitution",
    "forced_pregnancy",
    "enforced_sterilization",
    "other_sexual_violence",
    "forced_marriage",
    "gender_persecution",
}
CAC_TAGS = {
    "child_recruitment",
    "forcible_transfer_children",
    "deportation_children",
    "child_trafficking",
    "attacks_on_education",
    "attacks_on_health_care",
}
VALID_REASON = (
    "Clinic records and the accounts of three insiders do not show this conduct by the brigade in the period."
)
CORROBORATION_REASON = "Dropped because the only account is uncorroborated by any other source in the file."
CONDUCT_REASON = "Dropped because the survivor remained in the officer's house afterwards, as the file shows."
SHORT_REASON = "Not enough evidence on present information."


def count(no, crime, status="proposed", reason=None, **extra):
    entry = {
        "no": no,
        "crime": crime,
        "label": crime.replace("_", " ").capitalize(),
        "is_sgbc": crime in SGBC_TAGS,
        "is_cac": crime in CAC_TAGS,
        "status": status,
    }
    if reason is not None:
        entry["reason"] = reason
    entry.update(extra)
    return entry


def with_counts(factory, *extra_counts, facts=None, **overrides):
    spec = factory(**overrides)
    spec.set("counts", spec.get("counts") + list(extra_counts))
    if facts is not None:
        spec.replace_section("Facts", prose(CH_FACTS, facts))
    return spec


# rule, trigger sentence for the facts, crime set, exclusion key
COVERAGE_RULES = [
    (
        "SGBC-CHG-01",
        "Fighters raped women at the posts.",
        [
            "rape",
            "sexual_slavery",
            "enforced_prostitution",
            "forced_pregnancy",
            "enforced_sterilization",
            "other_sexual_violence",
        ],
        "sexual_violence",
    ),
    ("SGBC-CHG-02", "The brigade barred girls from attending school.", ["gender_persecution"], "gender_persecution"),
    ("SGBC-CHG-03", "Several women were forced to marry fighters.", ["forced_marriage"], "forced_marriage"),
    ("SGBC-CHG-04", "Traders were abducted and held for ransom.", ["enslavement", "sexual_slavery"], "enslavement"),
    (
        "SGBC-CHG-05",
        "Several detainees became pregnant in the camp.",
        ["forced_pregnancy", "enforced_sterilization"],
        "forced_pregnancy",
    ),
    ("CAC-CHG-06", "The brigade recruited children from the villages.", ["child_recruitment"], "child_recruitment"),
]
IDS = [r[0] for r in COVERAGE_RULES]


@pytest.mark.parametrize("factory", [ch, cs], ids=["CH", "CS"])
@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
def test_coverage_rule_fires_when_triggered_and_nothing_covers_it(factory, rule_id, trigger, crimes, key):
    spec = with_counts(factory, facts=trigger)
    assert_fires(spec, rule_id, "major", "field:counts")


@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
def test_coverage_rule_does_not_apply_without_its_trigger(rule_id, trigger, crimes, key):
    assert_silent(ch(), rule_id)


@pytest.mark.parametrize("status", ["proposed", "charged"])
@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
def test_coverage_rule_is_silent_with_an_active_count_of_each_crime_in_its_set(rule_id, trigger, crimes, key, status):
    for crime in crimes:
        assert_silent(with_counts(ch, count(3, crime, status), facts=trigger), rule_id)


@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
def test_coverage_rule_is_silent_with_a_valid_exclusion_under_its_key(rule_id, trigger, crimes, key):
    assert_silent(with_counts(ch, facts=trigger, **{f"exclusions.{key}": VALID_REASON}), rule_id)


@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
@pytest.mark.parametrize(
    "reason",
    [SHORT_REASON, "TBD", CORROBORATION_REASON, CONDUCT_REASON],
    ids=["short", "placeholder", "corroboration", "sexual-conduct"],
)
def test_coverage_rule_fires_when_the_exclusion_is_not_a_valid_reason(rule_id, trigger, crimes, key, reason):
    assert_fires(with_counts(ch, facts=trigger, **{f"exclusions.{key}": reason}), rule_id, "major", "field:counts")


@pytest.mark.parametrize("status", ["dropped", "downgraded"])
@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
def test_coverage_rule_is_silent_with_a_validly_reasoned_dropped_count(rule_id, trigger, crimes, key, status):
    assert_silent(with_counts(ch, count(3, crimes[0], status, VALID_REASON), facts=trigger), rule_id)


@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
@pytest.mark.parametrize(
    "reason",
    [None, SHORT_REASON, CORROBORATION_REASON, CONDUCT_REASON],
    ids=["no-reason", "short", "corroboration", "sexual-conduct"],
)
def test_coverage_rule_fires_when_a_dropped_count_has_no_valid_reason(rule_id, trigger, crimes, key, reason):
    spec = with_counts(ch, count(3, crimes[0], "dropped", reason), facts=trigger)
    assert_fires(spec, rule_id, "major", "field:counts")


@pytest.mark.parametrize("rule_id, trigger, crimes, key", COVERAGE_RULES, ids=IDS)
def test_coverage_rule_ignores_a_count_without_a_status(rule_id, trigger, crimes, key):
    assert_fires(with_counts(ch, count(3, crimes[0], status=None), facts=trigger), rule_id, "major", "field:counts")


def test_sgbc_chg_01_is_not_covered_by_an_sgbc_flag_on_another_crime():
    spec = with_counts(ch, count(3, "torture", is_sgbc=True), facts="Detainees were raped in the cells.")
    assert_fires(spec, "SGBC-CHG-01", "major", "field:counts")


def test_sgbc_chg_01_is_not_covered_by_gender_persecution():
    spec = with_counts(ch, count(3, "gender_persecution"), facts="Detainees were raped in the cells.")
    assert_fires(spec, "SGBC-CHG-01", "major", "field:counts")


def test_sgbc_chg_01_ignores_an_exclusion_under_another_key():
    spec = with_counts(ch, facts="Detainees were raped.", **{"exclusions.gender_persecution": VALID_REASON})
    assert_fires(spec, "SGBC-CHG-01", "major", "field:counts")


@pytest.mark.parametrize(
    "rule_id, sentence",
    [
        ("SGBC-CHG-01", "Women were gang-raped; others were sexually assaulted and subjected to forced nudity."),
        ("SGBC-CHG-02", "Women were excluded from the market because they were women."),
        ("SGBC-CHG-02", "Persons perceived as gay were beaten at the posts."),
        ("SGBC-CHG-02", "A dress code was imposed in the towns."),
        ("SGBC-CHG-03", "Girls were married off to officers."),
        ("SGBC-CHG-03", "Captives were distributed to fighters."),
        ("SGBC-CHG-04", "Porters were held in captivity for months."),
        ("SGBC-CHG-04", "The fishers were sold to another unit."),
        ("SGBC-CHG-05", "Detainees were subjected to forced abortions."),
        ("CAC-CHG-06", "Boys from the villages were later recruited by the brigade."),
        ("CAC-CHG-06", "Children were used as porters and lookouts."),
        ("CAC-CHG-06", "Several of the porters were under the age of 15."),
    ],
)
def test_trigger_regexes_match_their_indicators(rule_id, sentence):
    assert_fires(with_counts(ch, facts=sentence), rule_id, "major", "field:counts")


def test_trigger_text_is_only_the_facts_section_when_it_exists():
    spec = ch(append_to("Evidence and gaps", "Insiders say fighters raped detainees."))
    assert_silent(spec, "SGBC-CHG-01")


def test_trigger_text_is_the_whole_body_without_a_facts_heading():
    spec = ch(without_section("Facts"), append_to("Evidence and gaps", "Insiders say fighters raped detainees."))
    assert_fires(spec, "SGBC-CHG-01", "major", "field:counts")


@pytest.mark.parametrize("heading", ["Factual allegations", "Summary of facts", "Facts and circumstances"])
def test_trigger_text_follows_facts_synonyms(heading):
    spec = with_counts(ch, facts="Fighters raped detainees.")
    spec.rename_section("Facts", heading)
    assert_fires(spec, "SGBC-CHG-01", "major", "field:counts")


def test_trigger_text_includes_block_quotes_sub_headings_and_code_of_facts():
    spec = ch(append_to("Facts", "> One survivor said: they raped us in the school."))
    assert_fires(spec, "SGBC-CHG-01", "major", "field:counts")
    spec = ch(append_to("Facts", "### Posts\nWomen were excluded from the posts' markets."))
    assert_fires(spec, "SGBC-CHG-02", "major", "field:counts")
    spec = ch(append_to("Facts", "```\nradio log: porters under 15\n```"))
    assert_fires(spec, "CAC-CHG-06", "major", "field:counts")


def test_trigger_text_excludes_html_comments():
    assert_silent(ch(append_to("Facts", "<!-- check whether detainees were raped -->")), "SGBC-CHG-01")


def test_trigger_text_is_normalised_before_matching():
    assert_fires(ch(append_to("Facts", "Detainees were *gang‑raped*.")), "SGBC-CHG-01", "major")
    assert_fires(ch(append_to("Facts", "Captives were\nsexually\nassaulted.")), "SGBC-CHG-01", "major")


# ---------------------------------------------------------------- CAC-CHG-07
@pytest.mark.parametrize(
    "changes, index",
    [
        ({"counts[1].is_cac": DROP}, 1),
        ({"counts[0].is_sgbc": DROP}, 0),
        ({"counts[1].is_sgbc": "false"}, 1),
        ({"counts[0].is_cac": 0}, 0),
        ({"counts[1].is_cac": None}, 1),
    ],
)
@pytest.mark.parametrize("factory", [ch, cs], ids=["CH", "CS"])
def test_cac_chg_07_fires_when_a_count_lacks_a_boolean_flag(factory, changes, index):
    assert_fires(factory(**changes), "CAC-CHG-07", "minor", f"field:counts[{index}]")


@pytest.mark.parametrize(
    "crime, flags",
    [
        ("rape", {"is_sgbc": False}),
        ("forced_marriage", {"is_sgbc": False}),
        ("child_recruitment", {"is_cac": False}),
        ("attacks_on_education", {"is_cac": False}),
    ],
)
def test_cac_chg_07_fires_when_flags_contradict_the_crime(crime, flags):
    spec = with_counts(ch, count(3, crime, **flags))
    assert_fires(spec, "CAC-CHG-07", "minor", "field:counts[2]")


def test_cac_chg_07_allows_flags_wider_than_the_crime():
    spec = with_counts(ch, count(3, "torture", is_sgbc=True, is_cac=True))
    assert_silent(spec, "CAC-CHG-07")


def test_cac_chg_07_reports_the_first_failing_count():
    spec = with_counts(
        ch, count(3, "rape", is_sgbc=False), count(4, "murder", is_cac="yes"), **{"counts[1].is_cac": DROP}
    )
    assert_fires(spec, "CAC-CHG-07", "minor", "field:counts[1]")


def test_cac_chg_07_treats_a_non_mapping_count_as_a_count_without_flags():
    spec = ch()
    spec.set("counts", spec.get("counts") + ["Count 3: rape"])
    assert_fires(spec, "CAC-CHG-07", "minor", "field:counts[2]")


def test_cac_chg_07_does_not_apply_without_counts():
    assert_silent(ch(**{"counts": []}), "CAC-CHG-07")


# ---------------------------------------------------------------- SGBC-CHG-08
def test_sgbc_chg_08_fires_when_triggered_and_the_liability_section_is_missing():
    spec = with_counts(ch, count(3, "rape"), facts="Detainees were raped.")
    spec.remove_section("Linkage and liability for SGBC counts")
    assert_fires(spec, "SGBC-CHG-08", "minor", "product")


def test_sgbc_chg_08_fires_when_the_liability_section_is_short():
    spec = with_counts(ch, count(3, "rape"), facts="Detainees were raped.")
    spec.replace_section("Linkage and liability for SGBC counts", "Linkage: see the radio logs.")
    assert_fires(spec, "SGBC-CHG-08", "minor", "section:sgbc_liability")


@pytest.mark.parametrize(
    "extra",
    [
        count(3, "rape", "dropped", VALID_REASON),
        count(3, "forced_marriage"),
        count(3, "murder", is_sgbc=True),
    ],
    ids=["dropped-rape", "forced-marriage", "flagged-murder"],
)
def test_sgbc_chg_08_applies_to_any_sgbc_count_without_a_trigger(extra):
    spec = with_counts(ch, extra)
    spec.remove_section("Linkage and liability for SGBC counts")
    assert_fires(spec, "SGBC-CHG-08", "minor", "product")


def test_sgbc_chg_08_does_not_apply_without_trigger_or_sgbc_count():
    assert_silent(ch(without_section("Linkage and liability for SGBC counts")), "SGBC-CHG-08")


@pytest.mark.parametrize("heading", ["SGBC liability analysis", "Liability analysis: SGBC counts"])
def test_sgbc_chg_08_accepts_synonyms(heading):
    spec = with_counts(ch, count(3, "rape"), facts="Detainees were raped.")
    spec.rename_section("Linkage and liability for SGBC counts", heading)
    assert_silent(spec, "SGBC-CHG-08")


# ---------------------------------------------------------------- GEN-CHG-09
@pytest.mark.parametrize("status", ["dropped", "downgraded"])
@pytest.mark.parametrize(
    "reason",
    [
        CORROBORATION_REASON,
        "Downgraded for lack of corroboration.",
        "Only one witness describes the rapes.",
        "A single-witness account cannot carry this count.",
        "Corroboration is lacking for the camp period.",
    ],
)
def test_gen_chg_09_fires_when_an_sgbc_count_is_dropped_for_lack_of_corroboration(status, reason):
    spec = with_counts(cs, count(3, "rape", status, reason))
    assert_fires(spec, "GEN-CHG-09", "major", "field:counts[2].reason")


def test_gen_chg_09_recognises_an_sgbc_count_by_its_flag():
    spec = with_counts(cs, count(3, "torture", "dropped", CORROBORATION_REASON, is_sgbc=True))
    assert_fires(spec, "GEN-CHG-09", "major", "field:counts[2].reason")


def test_gen_chg_09_reports_the_first_offending_count():
    spec = with_counts(
        cs,
        count(3, "rape", "dropped", VALID_REASON),
        count(4, "sexual_slavery", "downgraded", CORROBORATION_REASON),
        count(5, "forced_marriage", "dropped", CORROBORATION_REASON),
    )
    assert_fires(spec, "GEN-CHG-09", "major", "field:counts[3].reason")


@pytest.mark.parametrize(
    "extra",
    [
        count(3, "rape", "proposed", CORROBORATION_REASON),
        count(3, "rape", "charged", CORROBORATION_REASON),
        count(3, "murder", "dropped", CORROBORATION_REASON),
        count(3, "rape", "dropped", VALID_REASON),
        count(3, "rape", "dropped"),
    ],
    ids=["proposed", "charged", "non-sgbc", "valid-reason", "no-reason"],
)
def test_gen_chg_09_is_silent_otherwise(extra):
    assert_silent(with_counts(cs, extra), "GEN-CHG-09")


def test_gen_chg_09_applies_to_cs_only():
    # requirements.md §9 item 4: CH is deliberately not checked in v1.
    assert_silent(with_counts(ch, count(3, "rape", "dropped", CORROBORATION_REASON)), "GEN-CHG-09")


def test_gen_chg_09_is_not_a_pattern_rule_and_is_not_suppressed():
    # The same reason matches P_SGBC_CONDUCT too (SGBC-INT-07), and both fire.
    reason = "Dropped: uncorroborated, and she remained with the officer afterwards as the file shows."
    result = with_counts(cs, count(3, "rape", "dropped", reason)).check()
    assert {"GEN-CHG-09", "SGBC-INT-07"} <= {f.rule_id for f in result.findings}
