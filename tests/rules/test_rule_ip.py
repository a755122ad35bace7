"""Investigation-plan rules (requirements.md §5.1): SGBC-IP-01 ... SGBC-IP-08, GEN-IP-07 in IO too."""

import pytest

from tests.rules.factories import (
    BASELINES,
    IP_GENDER_CORE,
    append_to,
    assert_fires,
    assert_silent,
    ga,
    io_adult,
    io_child,
    ip,
    prose,
    rename_section,
    roster_with,
    section,
    without_section,
)

VALID_REASON = "Clinic records and the accounts of three insiders show no such conduct by the brigade in the period."
SHORT_REASON = "No information so far on these crimes in district."  # 9 words
IP_RULES = ["SGBC-IP-01", "CAC-IP-02", "SGBC-IP-03", "CAC-IP-04", "GEN-IP-05", "GEN-IP-06"]


def words(n: int, word: str = "analysis") -> str:
    return " ".join([word] * n)


@pytest.mark.parametrize("kind", [k for k in BASELINES if k != "IP"])
def test_ip_only_rules_do_not_apply_to_other_types(kind):
    result = BASELINES[kind]().check()
    assert not {f.rule_id for f in result.findings} & set(IP_RULES)


# ---------------------------------------------------------------- SGBC-IP-01
def test_sgbc_ip_01_fires_when_gender_analysis_heading_is_missing():
    assert_fires(ip(without_section("Gender analysis")), "SGBC-IP-01", "major", "product")


def test_sgbc_ip_01_fires_when_gender_analysis_has_149_words():
    spec = ip(section("Gender analysis", words(149)))
    assert_fires(spec, "SGBC-IP-01", "major", "section:gender_analysis")


def test_sgbc_ip_01_is_silent_at_exactly_150_words():
    assert_silent(ip(section("Gender analysis", words(150))), "SGBC-IP-01")


def test_sgbc_ip_01_does_not_count_tokens_without_letters_or_digits():
    assert_fires(ip(section("Gender analysis", words(149) + " - -- ... * §")), "SGBC-IP-01", "major")


def test_sgbc_ip_01_counts_block_quote_and_sub_heading_text_but_not_heading_lines():
    text = words(100) + "\n\n> " + words(30, "quoted") + "\n\n### Sub analysis words here\n" + words(20, "sub")
    assert_silent(ip(section("Gender analysis", text)), "SGBC-IP-01")
    # 149 words of text plus many words in a sub-heading line: heading words are not counted.
    text = words(129) + "\n\n### " + words(30, "heading") + "\n" + words(20, "sub")
    assert_fires(ip(section("Gender analysis", text)), "SGBC-IP-01", "major", "section:gender_analysis")


def test_sgbc_ip_01_own_text_stops_at_the_next_heading_of_same_level():
    # 100 words in the section, 60 more after a level-2 heading that is not a known section.
    spec = ip(section("Gender analysis", words(100)), append_to("Gender analysis", "## Other notes\n" + words(60)))
    assert_fires(spec, "SGBC-IP-01", "major", "section:gender_analysis")


@pytest.mark.parametrize(
    "heading",
    [
        "Gender perspective",
        "Gender analysis and context",
        "3. Gender analysis",
        "3.2 Gender Analysis:",
        "4) GENDER ANALYSIS",
        "*Gender analysis*",
        "Gender analysis ##",
    ],
)
def test_sgbc_ip_01_accepts_synonyms_numbering_case_and_punctuation(heading):
    assert_silent(ip(rename_section("Gender analysis", heading)), "SGBC-IP-01")


@pytest.mark.parametrize("heading", ["Gender analyses", "Analysis of gender", "Gender"])
def test_sgbc_ip_01_fires_on_headings_that_are_not_the_key(heading):
    assert_fires(ip(rename_section("Gender analysis", heading)), "SGBC-IP-01", "major", "product")


def test_sgbc_ip_01_fires_when_the_heading_has_four_hashes():
    spec = ip()
    spec.find("Gender analysis").level = 4
    assert_fires(spec, "SGBC-IP-01", "major", "product")


def test_sgbc_ip_01_first_heading_of_a_key_is_the_section():
    spec = ip(section("Gender analysis", words(20)))
    spec.add_section("Gender analysis", words(200), after="Team and GCU consultation")
    assert_fires(spec, "SGBC-IP-01", "major", "section:gender_analysis")


# ---------------------------------------------------------------- CAC-IP-02
def test_cac_ip_02_fires_when_children_analysis_is_missing():
    assert_fires(ip(without_section("Children analysis")), "CAC-IP-02", "major", "product")


def test_cac_ip_02_fires_when_children_analysis_has_39_words():
    assert_fires(ip(section("Children analysis", words(39))), "CAC-IP-02", "major", "section:children_analysis")


@pytest.mark.parametrize(
    "heading", ["Children analysis", "Child analysis", "Analysis of crimes against and affecting children"]
)
def test_cac_ip_02_is_silent_with_40_words_under_any_accepted_heading(heading):
    spec = ip(section("Children analysis", words(40)), rename_section("Children analysis", heading))
    assert_silent(spec, "CAC-IP-02")


# ---------------------------------------------------------------- SGBC-IP-03 / CAC-IP-04
SGBC_TAGS = [
    "rape",
    "sexual_slavery",
    "enforced_prostitution",
    "forced_pregnancy",
    "enforced_sterilization",
    "other_sexual_violence",
    "forced_marriage",
    "gender_persecution",
]
CAC_TAGS = [
    "child_recruitment",
    "forcible_transfer_children",
    "deportation_children",
    "child_trafficking",
    "attacks_on_education",
    "attacks_on_health_care",
]


@pytest.mark.parametrize("tag", SGBC_TAGS)
def test_sgbc_ip_03_is_silent_with_any_single_sgbc_tag(tag):
    assert_silent(ip(**{"lines_of_inquiry": [tag, "child_recruitment"]}), "SGBC-IP-03")


@pytest.mark.parametrize(
    "lines",
    [
        ["murder", "child_recruitment"],
        ["sexual_violence", "child_recruitment"],  # not a crime tag: ignored
        [],
    ],
)
def test_sgbc_ip_03_fires_without_sgbc_lines_of_inquiry(lines):
    assert_fires(ip(**{"lines_of_inquiry": lines}), "SGBC-IP-03", "major", "field:lines_of_inquiry")


def test_sgbc_ip_03_fires_when_lines_of_inquiry_is_absent_or_not_a_list():
    assert_fires(ip(**{"lines_of_inquiry": None}), "SGBC-IP-03", "major", "field:lines_of_inquiry")
    assert_fires(ip(**{"lines_of_inquiry": "rape"}), "SGBC-IP-03", "major", "field:lines_of_inquiry")


def test_sgbc_ip_03_is_silent_with_a_valid_exclusion_reason():
    assert_silent(
        ip(**{"lines_of_inquiry": ["murder", "child_recruitment"], "exclusions.sgbc": VALID_REASON}), "SGBC-IP-03"
    )


@pytest.mark.parametrize(
    "reason",
    [
        SHORT_REASON,
        "TBD",
        "To be determined after the first mission to the district and the interviews.",
        "Excluded because the only account of these crimes is uncorroborated by any other source in the file.",
        "Excluded because the only account comes from a woman who had a boyfriend in the brigade at the time.",
    ],
)
def test_sgbc_ip_03_fires_when_the_exclusion_is_not_a_valid_reason(reason):
    spec = ip(**{"lines_of_inquiry": ["murder", "child_recruitment"], "exclusions.sgbc": reason})
    assert_fires(spec, "SGBC-IP-03", "major", "field:lines_of_inquiry")


def test_sgbc_ip_03_ignores_an_exclusion_under_another_key():
    spec = ip(**{"lines_of_inquiry": ["murder", "child_recruitment"], "exclusions.sexual_violence": VALID_REASON})
    assert_fires(spec, "SGBC-IP-03", "major")


@pytest.mark.parametrize("tag", CAC_TAGS)
def test_cac_ip_04_is_silent_with_any_single_cac_tag(tag):
    assert_silent(ip(**{"lines_of_inquiry": ["rape", tag]}), "CAC-IP-04")


@pytest.mark.parametrize("lines", [["rape", "murder"], ["rape", "deportation_transfer"], ["rape", "enslavement"]])
def test_cac_ip_04_fires_without_cac_lines_of_inquiry(lines):
    assert_fires(ip(**{"lines_of_inquiry": lines}), "CAC-IP-04", "major", "field:lines_of_inquiry")


def test_cac_ip_04_is_silent_with_a_valid_exclusion_and_fires_with_a_short_one():
    assert_silent(ip(**{"lines_of_inquiry": ["rape"], "exclusions.cac": VALID_REASON}), "CAC-IP-04")
    assert_fires(ip(**{"lines_of_inquiry": ["rape"], "exclusions.cac": SHORT_REASON}), "CAC-IP-04", "major")


def test_cac_ip_04_exclusion_reason_needs_ten_words_counted_after_normalisation():
    ten = "One two three four five six seven eight nine ten."
    assert_silent(ip(**{"lines_of_inquiry": ["rape"], "exclusions.cac": ten}), "CAC-IP-04")
    nine_and_dashes = "One two three four five six seven eight nine — –"
    assert_fires(ip(**{"lines_of_inquiry": ["rape"], "exclusions.cac": nine_and_dashes}), "CAC-IP-04", "major")


# ---------------------------------------------------------------- GEN-IP-05
def _no_focal(area):
    def mutate(data):
        data["teams"][0]["focal_points"][area] = None

    return mutate


@pytest.mark.parametrize("area", ["sgbc", "cac"])
def test_gen_ip_05_fires_when_a_focal_point_is_null(area):
    assert_fires(ip(), "GEN-IP-05", "major", "field:product.team", roster=roster_with(_no_focal(area)))


def test_gen_ip_05_fires_when_focal_points_mapping_is_missing():
    def mutate(data):
        del data["teams"][0]["focal_points"]

    assert_fires(ip(), "GEN-IP-05", "major", "field:product.team", roster=roster_with(mutate))


def test_gen_ip_05_fires_when_the_team_is_not_in_the_roster():
    assert_fires(ip(**{"product.team": "T-NOWHERE"}), "GEN-IP-05", "major", "field:product.team")


def test_gen_ip_05_accepts_different_people_as_sgbc_and_cac_focal_points():
    def mutate(data):
        data["teams"][0]["focal_points"] = {"sgbc": "AL-02", "cac": "AL-01"}

    assert_silent(ip(), "GEN-IP-05", roster=roster_with(mutate))


@pytest.mark.parametrize("missing", ["plan_approval", "before_first_mission", "before_awa_dcc"])
def test_gen_ip_05_fires_when_a_gcu_consultation_point_is_missing(missing):
    points = [p for p in ["plan_approval", "before_first_mission", "before_awa_dcc"] if p != missing] + ["other"]
    assert_fires(ip(**{"gcu_consultation_points": points}), "GEN-IP-05", "major", "field:gcu_consultation_points")


def test_gen_ip_05_fires_when_consultation_points_are_absent_or_misspelt():
    assert_fires(ip(**{"gcu_consultation_points": None}), "GEN-IP-05", "major", "field:gcu_consultation_points")
    spec = ip(**{"gcu_consultation_points": ["Plan_approval", "before_first_mission", "before_awa_dcc"]})
    assert_fires(spec, "GEN-IP-05", "major", "field:gcu_consultation_points")


def test_gen_ip_05_reports_the_team_first_when_both_sub_conditions_fail():
    spec = ip(**{"gcu_consultation_points": [], "product.team": "T-NOWHERE"})
    assert_fires(spec, "GEN-IP-05", "major", "field:product.team")


# ---------------------------------------------------------------- GEN-IP-06
def test_gen_ip_06_fires_when_vulnerability_section_is_missing():
    assert_fires(ip(without_section("Witness vulnerability and protection")), "GEN-IP-06", "major", "product")


def test_gen_ip_06_fires_when_vulnerability_section_is_short():
    spec = ip(section("Witness vulnerability and protection", words(39)))
    assert_fires(spec, "GEN-IP-06", "major", "section:witness_vulnerability_and_protection")


@pytest.mark.parametrize("heading", ["Vulnerability screening and protection", "Witness protection and vulnerability"])
def test_gen_ip_06_accepts_synonyms(heading):
    assert_silent(ip(rename_section("Witness vulnerability and protection", heading)), "GEN-IP-06")


# ---------------------------------------------------------------- GEN-IP-07
@pytest.mark.parametrize("factory", [ip, io_adult, io_child], ids=["IP", "IO-adult", "IO-child"])
def test_gen_ip_07_fires_when_prior_accounts_check_is_missing(factory):
    assert_fires(factory(without_section("Prior accounts check")), "GEN-IP-07", "major", "product")


@pytest.mark.parametrize("factory", [ip, io_adult, io_child], ids=["IP", "IO-adult", "IO-child"])
def test_gen_ip_07_fires_when_prior_accounts_check_is_short(factory):
    spec = factory(section("Prior accounts check", words(39)))
    assert_fires(spec, "GEN-IP-07", "major", "section:prior_accounts_check")


@pytest.mark.parametrize(
    "heading", ["Existing accounts check", "Check for existing accounts", "2. Prior Accounts Check"]
)
def test_gen_ip_07_accepts_synonyms(heading):
    assert_silent(io_adult(rename_section("Prior accounts check", heading)), "GEN-IP-07")


def test_gen_ip_07_applies_to_io_whatever_the_witness():
    spec = io_adult(without_section("Prior accounts check"), **{"witnesses[0].sgbc_survivor": False})
    assert_fires(spec, "GEN-IP-07", "major", "product")


# ---------------------------------------------------------------- SGBC-IP-08 (IP)
def _ga_text(extra: str) -> str:
    return prose(IP_GENDER_CORE, extra, min_words=170)


@pytest.mark.parametrize(
    "extra",
    [
        "Men and boys were detained.",  # no factor at all
        "Men and boys were detained. Ethnic minority families were targeted.",  # one factor
    ],
)
def test_sgbc_ip_08_fires_in_ip_with_fewer_than_two_factors(extra):
    spec = ip(section("Gender analysis", _ga_text(extra)))
    assert_fires(spec, "SGBC-IP-08", "minor", "section:gender_analysis")


def test_sgbc_ip_08_fires_in_ip_when_men_and_boys_are_not_named():
    spec = ip(section("Gender analysis", _ga_text("Ethnic minority families and persons with disabilities.")))
    assert_fires(spec, "SGBC-IP-08", "minor", "section:gender_analysis")


@pytest.mark.parametrize(
    "factors",
    [
        "elderly widows and displaced families",
        "adolescent survivors and religious minorities",
        "LGBTQI persons and refugees",
        "tribal elders and disabled survivors",
        "aged survivors and persons of a different faith",
        "French-speaking traders and returnees",
    ],
)
def test_sgbc_ip_08_is_silent_with_any_two_factors_and_men(factors):
    spec = ip(section("Gender analysis", _ga_text(f"Men were detained; the plan also covers {factors}.")))
    assert_silent(spec, "SGBC-IP-08")


def test_sgbc_ip_08_counts_factors_anywhere_in_the_body_blocks():
    spec = ip(
        section("Gender analysis", _ga_text("Ethnic minority families were targeted.")),
        append_to("Evidence strategy", "The team will also look for disabled survivors."),
        append_to("Context and scope", "Males were detained at the posts."),
    )
    assert_silent(spec, "SGBC-IP-08")


def test_sgbc_ip_08_accepts_men_and_boys_expressly_excluded():
    spec = ip(
        section(
            "Gender analysis",
            _ga_text(
                "Ethnic minority families and persons with disabilities were targeted; no report concerns men so far."
            ),
        )
    )
    assert_silent(spec, "SGBC-IP-08")


def test_sgbc_ip_08_does_not_read_the_title_or_front_matter_in_ip():
    spec = ip(
        section("Gender analysis", _ga_text("Men were detained. Ethnic minority families were targeted.")),
        **{
            "product.title": "Investigation plan: disabled survivors",
            "exclusions.cac": "Displaced children are not covered yet because no report concerns them in the district.",
        },
    )
    assert_fires(spec, "SGBC-IP-08", "minor", "section:gender_analysis")


def test_sgbc_ip_08_does_not_read_block_quotes_fences_or_comments():
    extra = (
        "Men were detained. Ethnic minority families were targeted.\n\n"
        "> Persons with disabilities were left behind.\n\n"
        "```\nDisplaced families\n```\n\n<!-- religious minorities -->"
    )
    spec = ip(section("Gender analysis", _ga_text("") + "\n\n" + extra))
    assert_fires(spec, "SGBC-IP-08", "minor", "section:gender_analysis")


def test_sgbc_ip_08_location_is_product_when_ip_has_no_gender_analysis_heading():
    spec = ip(without_section("Gender analysis"), append_to("Context and scope", "Men were detained."))
    assert_fires(spec, "SGBC-IP-08", "minor", "product")


# ---------------------------------------------------------------- SGBC-IP-08 (GA)
@pytest.mark.parametrize(
    "text, missing",
    [
        ("Older persons, especially widows, lost their livelihood. LGBTQI+ persons were threatened.", "disability"),
        ("Persons with disabilities were left behind. LGBTQI+ persons were threatened.", "older"),
        ("Persons with disabilities were left behind. Older persons lost their livelihood.", "sogi"),
        ("Aged widows and adolescent boys lost their livelihood.", "all three"),
    ],
)
def test_sgbc_ip_08_fires_in_ga_when_a_group_is_not_named(text, missing):
    spec = ga(section("Intersectional and vulnerable groups", prose(text)))
    assert_fires(spec, "SGBC-IP-08", "minor", "product")


def test_sgbc_ip_08_in_ga_reads_the_whole_scanned_text_including_the_title():
    spec = ga(
        section(
            "Intersectional and vulnerable groups",
            prose("Persons with disabilities were left behind. Older persons lost their livelihood."),
        ),
        **{"product.title": "Gender analysis including sexual orientation and gender identity"},
    )
    assert_silent(spec, "SGBC-IP-08")


def test_sgbc_ip_08_in_ga_is_satisfied_by_a_no_information_statement():
    spec = ga(
        section(
            "Intersectional and vulnerable groups",
            prose(
                "Persons with disabilities were left behind. The elderly lost their livelihood. No information is "
                "available on gay or lesbian survivors."
            ),
        )
    )
    assert_silent(spec, "SGBC-IP-08")


def test_sgbc_ip_08_in_ga_does_not_read_block_quotes():
    spec = ga(
        section(
            "Intersectional and vulnerable groups",
            prose("Persons with disabilities were left behind. Older persons lost their livelihood.")
            + "\n\n> LGBTQI+ persons were threatened.",
        )
    )
    assert_fires(spec, "SGBC-IP-08", "minor", "product")


def test_sgbc_ip_08_does_not_apply_to_io_or_mp():
    assert_silent(io_adult(), "SGBC-IP-08")
