"""Annual plans and gender/children analysis reports (requirements.md §5.6, §5.7):
GEN-AP-01, GEN-AP-02, GCA-01, GCA-02 (SGBC-IP-08 in GA: test_rule_ip.py)."""

import pytest

from tests.rules.factories import (
    DROP,
    GA_TABLE,
    TEAM_ALPHA_CERTIFIABLE,
    Raw,
    ap,
    assert_fires,
    assert_silent,
    ga,
    missing_heading,
    prose,
    rename_section,
    roster_with,
    section,
    without_section,
)


def words(n, word="plan"):
    return " ".join([word] * n)


def targets_without(staff_id):
    return [{"staff": s, "cert": "CAC_BASIC", "by": "2026-12-31"} for s in TEAM_ALPHA_CERTIFIABLE if s != staff_id]


# ---------------------------------------------------------------- GEN-AP-01
@pytest.mark.parametrize("targets", [DROP, [], "AL-01 SGBC_BASIC", [{"staff": "none", "cert": "SGBC_BASIC"}]])
def test_gen_ap_01_fires_without_a_counting_training_target(targets):
    assert_fires(ap(**{"training_targets": targets}), "GEN-AP-01", "major", "field:training_targets")


@pytest.mark.parametrize("staff_id", TEAM_ALPHA_CERTIFIABLE)
def test_gen_ap_01_fires_when_a_relevant_team_member_has_no_target(staff_id):
    assert_fires(ap(**{"training_targets": targets_without(staff_id)}), "GEN-AP-01", "major", "field:training_targets")


@pytest.mark.parametrize(
    "bad_entry",
    [
        {"staff": "AL-13", "cert": "CAC_ADVANCED"},
        {"staff": "AL-13", "cert": "cac_basic"},
        {"staff": "AL-13"},
        {"cert": "CAC_BASIC"},
        "AL-13: CAC_BASIC",
    ],
)
def test_gen_ap_01_non_counting_entries_do_not_cover_a_member(bad_entry):
    spec = ap(**{"training_targets": targets_without("AL-13") + [bad_entry]})
    assert_fires(spec, "GEN-AP-01", "major", "field:training_targets")


def test_gen_ap_01_does_not_need_targets_for_staff_without_a_certifiable_role():
    roster = roster_with(lambda d: d["teams"][0]["members"].append("GX-01"))  # psychologist
    assert_silent(ap(), "GEN-AP-01", roster=roster)


def test_gen_ap_01_needs_targets_for_a_certifiable_member_added_to_the_team():
    roster = roster_with(lambda d: d["teams"][0]["members"].append("GX-04"))  # analyst
    assert_fires(ap(), "GEN-AP-01", "major", "field:training_targets", roster=roster)


def test_gen_ap_01_accepts_one_counting_entry_when_the_team_is_not_in_the_roster():
    spec = ap(**{"product.team": "T-NOWHERE", "training_targets": [{"staff": "TBD", "cert": "SGBC_BASIC"}]})
    assert_silent(spec, "GEN-AP-01")
    spec = ap(**{"product.team": "T-NOWHERE", "training_targets": []})
    assert_fires(spec, "GEN-AP-01", "major", "field:training_targets")


# ---------------------------------------------------------------- GEN-AP-02
@pytest.mark.parametrize(
    "schedule",
    [
        DROP,
        [],
        [{"product_type": "CS", "due": "2026-Q5"}],
        [{"product_type": "CS", "due": "2026Q1"}],
        [{"product_type": "cs", "due": "2026-Q1"}],
        [{"product_type": "XX", "due": "2026-Q1"}],
        [{"product_type": "CS"}],
        ["CS in 2026-Q1"],
    ],
)
def test_gen_ap_02_is_minor_without_a_counting_review_schedule_entry(schedule):
    assert_fires(ap(**{"gcu_review_schedule": schedule}), "GEN-AP-02", "minor", "field:gcu_review_schedule")


@pytest.mark.parametrize("ptype", ["IP", "IO", "CH", "CS", "MP", "AP", "GA"])
def test_gen_ap_02_accepts_any_product_type_with_a_quarter(ptype):
    assert_silent(ap(**{"gcu_review_schedule": [{"product_type": ptype, "due": Raw("2027-Q4")}]}), "GEN-AP-02")


def test_gen_ap_02_is_advisory_when_only_engagement_plan_is_missing():
    assert_fires(
        ap(without_section("CSO and survivor engagement")),
        "GEN-AP-02",
        "advisory",
        missing_heading("cso_survivor_engagement"),
    )
    assert ap(without_section("CSO and survivor engagement")).check().verdict == "clean"


def test_gen_ap_02_is_advisory_when_engagement_plan_is_short():
    assert_fires(
        ap(section("CSO and survivor engagement", words(39))),
        "GEN-AP-02",
        "advisory",
        "section:cso_survivor_engagement",
    )


def test_gen_ap_02_accepts_the_engagement_synonym():
    assert_silent(
        ap(rename_section("CSO and survivor engagement", "Civil society and survivor engagement")), "GEN-AP-02"
    )


def test_gen_ap_02_is_minor_at_the_schedule_when_both_fail():
    spec = ap(without_section("CSO and survivor engagement"), **{"gcu_review_schedule": []})
    assert_fires(spec, "GEN-AP-02", "minor", "field:gcu_review_schedule")


# ---------------------------------------------------------------- GCA-01
NO_GAPS = without_section("Data gaps")
INTRO = "The incident records give the following breakdown of victims."


def test_gca_01_fires_without_table_and_without_data_gaps():
    spec = ga(NO_GAPS, section("Disaggregated data", prose(INTRO)))
    assert_fires(spec, "GCA-01", "major", "section:disaggregated_data")


def test_gca_01_location_is_product_without_the_disaggregated_data_heading():
    assert_fires(ga(NO_GAPS, without_section("Disaggregated data")), "GCA-01", "major", "product")


def test_gca_01_is_satisfied_by_the_table_alone():
    assert_silent(ga(NO_GAPS), "GCA-01")


def test_gca_01_is_satisfied_by_a_data_gaps_section_alone():
    assert_silent(ga(section("Disaggregated data", prose(INTRO))), "GCA-01")
    assert_silent(ga(without_section("Disaggregated data")), "GCA-01")


def test_gca_01_fires_when_data_gaps_section_is_short_and_there_is_no_table():
    spec = ga(section("Disaggregated data", prose(INTRO)), section("Data gaps", words(39, "gap")))
    assert_fires(spec, "GCA-01", "major", "section:disaggregated_data")


@pytest.mark.parametrize("heading", ["Data gaps and mitigation"])
def test_gca_01_accepts_the_data_gaps_synonym(heading):
    spec = ga(section("Disaggregated data", prose(INTRO)), rename_section("Data gaps", heading))
    assert_silent(spec, "GCA-01")


@pytest.mark.parametrize(
    "table",
    [
        "| Group | Number |\n|---|---|\n| Victims (18 and over) | 96 |",  # no sex term
        "| Group | Women | Men |\n|---|---|---|\n| Victims | 96 | 41 |",  # no age band
        "| Group | Women | Men |\n| Adults | 96 | 41 |",  # no delimiter line
        "| Group | Women | Men |\n|---|---|---|",  # no data row
        "| Group | Women | Men |\n\n|---|---|---|\n| Adults | 96 | 41 |",  # blank line breaks it
        "| Group | Women | Men |\n|--|--|--|\n| Adults | 96 | 41 |",  # delimiter needs 3 dashes
        "Group | Female | Male\n:---: | ---: | :---\n| 0-17 | 22 | 21",  # header must start with '|'
    ],
)
def test_gca_01_fires_when_the_table_is_not_a_sex_and_age_table(table):
    spec = ga(NO_GAPS, section("Disaggregated data", prose(INTRO) + "\n\n" + table))
    assert_fires(spec, "GCA-01", "major", "section:disaggregated_data")


@pytest.mark.parametrize(
    "table",
    [
        "| Sex | Under 18 | 18+ |\n| --- | --- | --- |\n| Girls | 22 | - |",
        "  | Age band | Boys |\n  |:---:|---:|\n  | 12 - 14 | 7 |",
        "| Group | Women |\n|---|---|\n| Adults | 96 |\n| Children | 22 |\nText after the table.",
    ],
    ids=["sex-column", "indented-aligned", "ends-at-a-text-line"],
)
def test_gca_01_accepts_table_variants(table):
    assert_silent(ga(NO_GAPS, section("Disaggregated data", prose(INTRO) + "\n\n" + table)), "GCA-01")


def test_gca_01_reads_a_table_in_a_sub_section_or_fenced_code_but_needs_no_words():
    assert_silent(ga(NO_GAPS, section("Disaggregated data", "### By sex and age\n" + GA_TABLE)), "GCA-01")
    assert_silent(ga(NO_GAPS, section("Disaggregated data", "```\n" + GA_TABLE + "\n```")), "GCA-01")
    assert_silent(ga(NO_GAPS, section("Disaggregated data", GA_TABLE)), "GCA-01")


def test_gca_01_does_not_read_a_table_in_another_section():
    spec = ga(
        NO_GAPS,
        section("Disaggregated data", prose(INTRO)),
        section("Scope and sources", prose("The analysis draws on incident records.") + "\n\n" + GA_TABLE),
    )
    assert_fires(spec, "GCA-01", "major", "section:disaggregated_data")


@pytest.mark.parametrize("heading", ["Sex- and age-disaggregated data", "Victimisation data"])
def test_gca_01_accepts_disaggregated_data_synonyms(heading):
    assert_silent(ga(NO_GAPS, rename_section("Disaggregated data", heading)), "GCA-01")


# ---------------------------------------------------------------- GCA-02
def test_gca_02_fires_when_gender_norms_analysis_is_missing():
    assert_fires(ga(without_section("Gender norms and power relations")), "GCA-02", "major", "product")


def test_gca_02_fires_when_gender_norms_analysis_is_short():
    assert_fires(
        ga(section("Gender norms and power relations", words(39, "norm"))),
        "GCA-02",
        "major",
        "section:gender_norms_analysis",
    )


@pytest.mark.parametrize("heading", ["Gender norms analysis", "Gender norms, power relations and stereotypes"])
def test_gca_02_accepts_synonyms(heading):
    assert_silent(ga(rename_section("Gender norms and power relations", heading)), "GCA-02")


@pytest.mark.parametrize("rule_id", ["GCA-01", "GCA-02", "GEN-AP-01", "GEN-AP-02"])
def test_ap_and_ga_rules_do_not_apply_to_an_ip(rule_id):
    from tests.rules.factories import ip

    assert_silent(ip(), rule_id)
