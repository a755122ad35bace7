"""The product-type registry (rules/product_types/): every type declared once and completely, and the
parser, facts, scanned text and KPI facts reading it instead of their own lists of type codes."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

import pytest

from models.enums import ProductType
from rules import product_types
from rules.product_types import (
    RegistryError,
    ReviewUnit,
    ScannedField,
    discover,
    registry,
    spec_for,
    validate,
)
from rules.sections import SECTION_HEADINGS


def test_every_product_type_of_the_enum_has_a_complete_registration():
    specs = registry()
    assert list(specs) == [t.value for t in ProductType]
    for code, spec in specs.items():
        assert spec.code == code
        assert spec.label and spec.plural
        assert spec.template[0] == "summary"
        assert set(spec.template) <= set(SECTION_HEADINGS)
        assert callable(spec.structure) and callable(spec.kpi10.relevance)
        assert isinstance(spec.review_unit, ReviewUnit)


def test_a_type_added_to_the_enum_without_a_module_fails_loudly_naming_it():
    extended = StrEnum("ExtendedType", {**{t.name: t.value for t in ProductType}, "ZZ": "ZZ"})
    with pytest.raises(RegistryError, match=r"ZZ: in the enum but has no module in rules/product_types/"):
        validate(discover(), enum=extended)


def test_an_incomplete_registration_fails_loudly_naming_the_missing_part():
    specs = [replace(s, label="") if s.code == ProductType.MP else s for s in discover()]
    with pytest.raises(RegistryError, match=r"MP: incomplete registration, no label"):
        validate(specs)
    specs = [replace(s, kpi10=None) if s.code == ProductType.GA else s for s in discover()]
    with pytest.raises(RegistryError, match=r"GA: incomplete registration, no kpi10"):
        validate(specs)


def test_a_type_declared_twice_or_with_an_unknown_section_is_refused():
    specs = discover()
    with pytest.raises(RegistryError, match=r"IO: declared twice"):
        validate([*specs, spec_for("IO")])
    broken = [replace(s, template=("summary", "no_such_section")) if s.code == ProductType.AP else s for s in specs]
    with pytest.raises(RegistryError, match=r"AP: template names unknown section keys no_such_section"):
        validate(broken)


def test_an_unknown_type_code_is_an_error_not_a_default():
    with pytest.raises(RegistryError, match=r"unknown product type 'ZZ'; the types are IP, IO"):
        spec_for("ZZ")


def test_templates_follow_the_format_section_table():
    # format §3.4 "Template order per type"
    assert spec_for("CS").template == (
        "summary",
        "facts",
        "suspects",
        "legal_characterisation",
        "sgbc_liability",
        "evidence_and_gaps",
        "filing_strategy",
    )
    assert spec_for("IO").template[:3] == ("summary", "interview_purpose", "prior_accounts_check")
    assert spec_for("GA").template[-1] == "recommendations"
    # Keys are global (format §3.4), and each belongs to at least one type's template.
    assert {key for spec in registry().values() for key in spec.template} == set(SECTION_HEADINGS)


def test_scanned_fields_and_kpi_roles_follow_the_contract():
    assert [c for c, s in registry().items() if ScannedField.EXCLUSIONS in s.scanned_fields] == ["IP", "CH", "CS"]
    assert [c for c, s in registry().items() if ScannedField.COUNTS in s.scanned_fields] == ["CH", "CS"]
    assert product_types.codes_with_charges() == ["CS"]
    assert spec_for("IO").kpi10.execution_date == ("interview", "date")
    assert spec_for("MP").kpi10.execution_date == ("mission", "start")
    assert spec_for("GA").kpi10.relevance({}, lambda: True) == (False, "GA is not a relevant type")
    assert spec_for("AP").kpi10.relevance({}, lambda: False)[0] is True


def test_the_scanned_text_reads_the_registry(monkeypatch):
    from rules.product import parse_product
    from rules.scan import front_matter_units
    from tests.rules.factories import ip

    product = parse_product(ip(**{"exclusions.sgbc": "Covered by another team's plan."}).text()).product
    assert "exclusions.sgbc" in [u.field for u in front_matter_units(product)]
    specs = dict(registry())
    specs["IP"] = replace(specs["IP"], scanned_fields=())
    monkeypatch.setattr(product_types, "registry", lambda: specs)
    assert [u.field for u in front_matter_units(product)] == ["product.title"]


def test_the_kpi_relevance_reads_the_registry(monkeypatch):
    from store.kpi.facts import relevance

    assert relevance("GA", {}, None, None) == (False, "GA is not a relevant type")
    specs = dict(registry())
    specs["GA"] = replace(specs["GA"], kpi10=replace(specs["GA"].kpi10, relevance=lambda fm, trig: (True, "test")))
    monkeypatch.setattr(product_types, "registry", lambda: specs)
    assert relevance("GA", {}, None, None) == (True, "test")
    with pytest.raises(RegistryError):
        relevance("ZZ", {}, None, None)


# ---------------------------------------------------------------- interview records (contract v2)

IR_TEXT = """---
product: {id: IR-HERON-2026-001, type: IR, title: "Interview record", team: T-HERON, situation: S,
          version: "1.0", author: HE-03, submitted_on: 2026-02-23, audience: internal}
witnesses:
  - {code: OR-W-101, age: 34, sgbc_survivor: false, vulnerabilities: [sensory_disability]}
record: {date: 2026-02-19, interviewer: HE-03, interpreter: HE-11, note_taker: HE-05}
psychosocial_assessment: {date: 2026-02-09, assessor: GX-01}
psychosocial_support: {during: present, provider_role: psychologist, expert: GX-21}
---
# Interview record
"""


def test_an_interview_record_is_a_type_reviewed_by_the_spu_and_never_relevant_for_kpi_10():
    spec = spec_for("IR")
    assert spec.review_unit == ReviewUnit.SPU
    assert spec.template == ("summary", "conduct_of_interview", "witness_needs_and_support", "deviations", "follow_up")
    assert spec.kpi10.relevance({"witnesses": [{"age": 9}]}, lambda: True)[0] is False
    # GEN-AP-02 counts review-schedule entries of the types the GCU reviews only (v2 §1.1).
    assert "IR" not in product_types.codes_reviewed_by(ReviewUnit.GCU)


def test_everyone_who_appears_in_an_interview_record_is_conflicted():
    from rules.product import parse_product

    product = parse_product(IR_TEXT).product
    assert product is not None and product.type == ProductType.IR
    assert product_types.conflicted_staff("IR", product.fm) == {"HE-03", "HE-11", "HE-05", "GX-01", "GX-21"}
    assert product_types.conflicted_staff("IO", product.fm) == frozenset()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            "witnesses:\n  - {code: A-1, age: 3, sgbc_survivor: false}\n  - {code: A-2, age: 4, sgbc_survivor: false}\n",
            "witnesses",
            "an interview record needs exactly one witness (2 given)",
        ),
        ("record: {interviewer: HE-03}\n", "record.date", "missing or not a date"),
    ],
)
def test_interview_record_structure_is_checked_as_v2_section_1_8_says(change, field, message):
    from rules.product import parse_product

    key = change.split(":")[0]
    lines = IR_TEXT.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(key + ":"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    text = "\n".join(lines[:start]) + "\n" + change + "\n".join(lines[end:])
    outcome = parse_product(text)
    assert outcome.product is None
    assert [(e.field, message in e.message) for e in outcome.errors] == [(field, True)]


def test_kpi_10_relevance_follows_v2_vulnerable_witnesses():
    io, mp = spec_for("IO").kpi10.relevance, spec_for("MP").kpi10.relevance
    adult = {"age": 40, "sgbc_survivor": False}
    assert io({"witnesses": [adult]}, lambda: False) == (False, "witness not vulnerable")
    for extra in (
        {"vulnerabilities": ["older_person"]},
        {"disability": True},
        {"caafag": True},
        {"age": 17},
        {"sgbc_survivor": True},
    ):
        assert io({"witnesses": [{**adult, **extra}]}, lambda: False) == (True, "vulnerable witness")
    assert io({"witnesses": [{**adult, "vulnerabilities": ["not_a_value"]}]}, lambda: False)[0] is False
    assert mp({"witnesses": [adult, {**adult, "vulnerabilities": ["lgbtqi"]}]}, lambda: False)[0] is True
    assert mp({"witnesses": [adult]}, lambda: False)[0] is False
