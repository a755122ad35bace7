"""Language and terminology (requirements.md §5.9): LANG-01, LANG-02, LANG-03 (audience severities)."""

import pytest

from tests.rules.factories import BASELINES, append_to, assert_fires, assert_silent, ch, io_adult, ip

AUDIENCES = ["internal", "external", "court"]
LANG01 = [
    "child prostitutes",
    "child prostitute",
    "children prostitutes",
    "child sex workers",
    "child sex-worker",
    "child-prostitute",
    "girl prostitutes",
    "teenage prostitutes",
    "adolescent prostitute",
    "child pornography",
    "child porn",
    "child pornographic",
]
LANG02 = ["child soldiers", "child soldier", "child-soldiers"]
LANG03 = [
    "had sex with",
    "having sex with",
    "bush wives",
    "bush wife",
    "the commander's wives",
    "fighters' wives",
    "soldier wife",
    "wives of the commander",
    "wife of a fighter",
    "wives of one of the guards",
    "sex slaves",
    "sex slave",
    "voluntarily joined",
    "voluntarily signed up",
    "promiscuous",
    "promiscuity",
    "loose women",
    "loose morals",
]


def said(term):
    return f"Insiders used the words {term} in their statements."


@pytest.mark.parametrize("term", LANG01)
def test_lang_01_fires_on_each_exploitation_term(term):
    spec = io_adult(append_to("Summary", said(term)))
    assert_fires(spec, "LANG-01", "minor", f"line:{spec.line_of(term)}")


@pytest.mark.parametrize("audience, severity", [("internal", "minor"), ("external", "major"), ("court", "major")])
def test_lang_01_severity_depends_on_audience(audience, severity):
    spec = ip(append_to("Summary", said("child prostitutes")), **{"product.audience": audience})
    assert_fires(spec, "LANG-01", severity)


@pytest.mark.parametrize("term", LANG02)
def test_lang_02_fires_on_child_soldier(term):
    spec = io_adult(append_to("Summary", said(term)))
    assert_fires(spec, "LANG-02", "advisory", f"line:{spec.line_of(term)}")


@pytest.mark.parametrize("audience, severity", [("internal", "advisory"), ("external", "minor"), ("court", "minor")])
def test_lang_02_severity_depends_on_audience(audience, severity):
    spec = ip(append_to("Summary", said("child soldiers")), **{"product.audience": audience})
    assert_fires(spec, "LANG-02", severity)


def test_lang_02_advisory_alone_leaves_the_verdict_clean_and_minor_gives_notes():
    assert ip(append_to("Summary", said("child soldiers"))).check().verdict == "clean"
    result = ip(append_to("Summary", said("child soldiers")), **{"product.audience": "external"}).check()
    assert result.verdict == "approvable_with_notes"


@pytest.mark.parametrize("term", LANG03)
def test_lang_03_fires_on_each_reductive_term(term):
    spec = io_adult(append_to("Summary", said(term)), **{"witnesses[0].sgbc_survivor": False})
    assert_fires(spec, "LANG-03", "major", f"line:{spec.line_of(term)}")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_lang_03_is_major_for_every_audience(audience):
    assert_fires(ip(append_to("Summary", said("bush wives")), **{"product.audience": audience}), "LANG-03", "major")


@pytest.mark.parametrize(
    "rule_id, term", [("LANG-01", "child prostitutes"), ("LANG-02", "child soldiers"), ("LANG-03", "sex slaves")]
)
@pytest.mark.parametrize("kind", sorted(BASELINES))
def test_language_rules_apply_to_every_product_type(kind, rule_id, term):
    spec = BASELINES[kind](append_to("Summary", said(term)))
    assert_fires(spec, rule_id, location=f"line:{spec.line_of(term)}")


@pytest.mark.parametrize(
    "text",
    [
        "The childsoldier programme",
        "A child-soldiering study",
        "Sex slavery charges",
        "The wifely duties",
        "Loosen the rules",
        "Boyfriends",
    ],
)
def test_language_rules_respect_word_boundaries(text):
    result = io_adult(append_to("Summary", text), **{"witnesses[0].sgbc_survivor": False}).check()
    assert not {f.rule_id for f in result.findings} & {"LANG-01", "LANG-02", "LANG-03"}


def test_language_rules_screen_front_matter_units_with_field_locations():
    spec = ch(**{"product.title": "Case hypothesis: bush wives of the brigade"})
    assert_fires(spec, "LANG-03", "major", "field:product.title")
    spec = ch(**{"counts[1].label": "Using child soldiers"})
    assert_fires(spec, "LANG-02", "advisory", "field:counts[1].label")
    spec = ch(**{"counts[0].status": "dropped", "counts[0].reason": "The victims were child prostitutes."})
    assert_fires(spec, "LANG-01", "minor", "field:counts[0].reason")


@pytest.mark.parametrize(
    "key",
    [
        "sgbc",
        "cac",
        "sexual_violence",
        "gender_persecution",
        "forced_marriage",
        "enslavement",
        "forced_pregnancy",
        "child_recruitment",
    ],
)
def test_language_rules_screen_all_eight_exclusion_keys_in_any_plan_type(key):
    spec = ip(**{f"exclusions.{key}": "Reports speak only of loose women in the camps, nothing more."})
    assert_fires(spec, "LANG-03", "major", f"field:exclusions.{key}")


def test_language_rules_ignore_other_exclusion_keys_and_non_string_values():
    spec = ip(**{"exclusions.other": "loose women", "exclusions.sgbc": ["loose women"]})
    assert_silent(spec, "LANG-03")


def test_front_matter_units_come_before_body_blocks_in_scanned_text_order():
    spec = ch(append_to("Summary", said("sex slaves")), **{"exclusions.enslavement": "No sex slaves."})
    assert_fires(spec, "LANG-03", "major", "field:exclusions.enslavement")
    spec = ch(**{"counts[1].label": "sex slaves", "exclusions.enslavement": "No sex slaves."})
    assert_fires(spec, "LANG-03", "major", "field:counts[1].label")
    spec = ch(**{"product.title": "sex slaves", "counts[1].label": "sex slaves"})
    assert_fires(spec, "LANG-03", "major", "field:product.title")


def test_language_rules_ignore_front_matter_text_outside_the_scanned_units():
    spec = io_adult(
        **{
            "interview.location.description": "Near the bush wives' market",
            "risk_assessment.mitigations": "Avoid the loose women rumour; transport by the centre",
        }
    )
    assert_silent(spec, "LANG-03")
