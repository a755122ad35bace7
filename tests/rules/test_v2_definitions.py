"""Contract v2 definitions that several rules read, each pinned on a real product: the compliant
interview record V4 (clean) changed in one place, so the one rule that should react does."""

from pathlib import Path

import pytest

from rules.library import engine_for
from rules.roster import load_roster
from rules.text import invokes_corroboration, is_non_empty, is_non_empty_v2
from rules.witness import identifying_path, is_identifying

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "samples_v2"
V4 = (FIX / "V4-IR-child-survivor-compliant.md").read_text()
V3 = (FIX / "V3-IO-elder-deaf-compliant.md").read_text()
V7 = (FIX / "V7-CH-quarry-hypothesis.md").read_text()


@pytest.fixture(scope="module")
def roster():
    return load_roster(FIX / "roster.yaml").roster


def findings(text, roster, pack="2.0"):
    result = engine_for(pack).check_text(text, roster)
    assert not result.errors, result.errors
    return {f.rule_id: f for f in result.findings}


def test_the_compliant_samples_are_clean(roster):
    assert findings(V4, roster) == {} and findings(V3, roster) == {}


@pytest.mark.parametrize(
    "value", [".", "—", "n.a.", "TBA", "See annex 3", "To be arranged with the VWU", "N/A", "to do"]
)
def test_v2_placeholders_are_not_non_empty(value):
    assert not is_non_empty_v2(value)


def test_v1_keeps_its_own_placeholder_list():
    assert is_non_empty("TBA") and is_non_empty("See annex 3") and not is_non_empty_v2("TBA")
    assert is_non_empty_v2("Sister to be brought by the partner organisation")


@pytest.mark.parametrize(
    "key",
    [
        "name",
        "Name",
        "full_name",
        "Full Name",
        "first-name",
        "Surname",
        "phone_number",
        "E-mail",
        "home address",
        "DOB",
        "guardian_phone",
        "code_name",
        "date_of_birth",
    ],
)
def test_identifying_keys(key):
    assert is_identifying(key)


@pytest.mark.parametrize(
    "key",
    [
        "code",
        "age",
        "interview_date",
        "needs_asked_on",
        "name2",
        "codename",
        "home_district",
        "birthdate",
        "guardian_e_mail",
    ],
)
def test_keys_that_are_not_identifying(key):
    assert not is_identifying(key)


def test_identifying_keys_are_found_at_any_depth_in_the_order_written():
    entry = {"code": "A-1", "contact": {"phone": "+999"}, "stated_needs": [{"need": "other"}, {"name": "Aunt"}]}
    assert identifying_path(entry) == "contact.phone"
    assert (
        identifying_path({"code": "A-1", "stated_needs": [{"need": "x"}, {"name": "Aunt"}]}) == "stated_needs[1].name"
    )
    assert identifying_path({"code": "A-1", "name": None}) is None


def test_a_disclaimer_keeps_a_reason_from_invoking_corroboration():
    from rules.library import engine_for as ef

    rx = ef("2.0").pack.regexes.named
    disclaimed = "not solely because of the lack of corroboration but because the video was ruled inadmissible"
    assert not invokes_corroboration(disclaimed, rx["R_CORROBORATION"], rx["R_CORROBORATION_DISCLAIMER"])
    assert invokes_corroboration(
        "single-witness account; corroboration is lacking", rx["R_CORROBORATION"], rx["R_CORROBORATION_DISCLAIMER"]
    )


def test_a_name_in_a_need_entry_of_an_interview_record_fires_gen_ir_02_blocking(roster):
    text = V4.replace(
        '        detail: "Her aunt beside her"', '        detail: "Her aunt beside her"\n        name: "Aunt Mira"'
    )
    got = findings(text, roster)
    assert set(got) == {"GEN-IR-02"}
    assert (got["GEN-IR-02"].severity.value, got["GEN-IR-02"].location) == (
        "blocking",
        "field:witnesses[0].stated_needs[1].name",
    )


def test_a_code_with_a_trailing_newline_is_not_well_formed(roster):
    got = findings(V4.replace("  - code: SC-C-611", '  - code: "SC-C-611\\n"'), roster)
    assert set(got) == {"GEN-IR-02"}


def test_a_placeholder_reason_for_a_partly_met_need_fires_vul_ir_07(roster):
    text = V4.replace(
        '        reason: "The mid-term break started',
        '        reason: "n.a."\n        old_reason: "The mid-term break started',
    )
    assert set(findings(text, roster)) == {"VUL-IR-07"}


def test_an_outline_id_equal_to_the_record_id_fires_gen_ir_01(roster):
    assert set(findings(V4.replace("outline_id: IO-GANNET-2026-031", "outline_id: IR-GANNET-2026-031"), roster)) == {
        "GEN-IR-01"
    }


def test_a_support_person_is_not_psychosocial_support_in_a_record(roster):
    assert set(findings(V4.replace("provider_role: psychologist", "provider_role: support_person"), roster)) == {
        "VUL-IR-04"
    }


def test_a_child_block_over_the_assessors_cap_fires_vul_ir_06(roster):
    assert set(findings(V4.replace("longest_block_minutes: 45", "longest_block_minutes: 50"), roster)) == {"VUL-IR-06"}


def test_the_uncertified_interviewer_of_a_record_fires_staff_01_and_02(roster):
    got = findings(V4.replace("  interviewer: GN-03", "  interviewer: GN-99"), roster)
    assert {"STAFF-01", "STAFF-02"} <= set(got) and got["STAFF-01"].location == "field:record.interviewer"


@pytest.mark.parametrize(
    "broken,field",
    [
        ("witnesses:\n  - code: SC-C-611\n    age: 16", "witnesses[0].age"),
        ("record:\n  outline_id", "record.date"),
    ],
)
def test_interview_record_format_errors(roster, broken, field):
    if field == "witnesses[0].age":
        text = V4.replace("    age: 16\n", "    age: sixteen\n")
    else:
        text = V4.replace("  date: 2026-02-19\n", "")
    result = engine_for("2.0").check_text(text, roster)
    assert result.verdict.value == "format_error" and [e.field for e in result.errors] == [field]


def test_two_witnesses_in_a_record_are_a_format_error(roster):
    text = V4.replace("witnesses:\n", "witnesses:\n  - code: SC-C-612\n    age: 30\n    sgbc_survivor: false\n", 1)
    result = engine_for("2.0").check_text(text, roster)
    assert result.verdict.value == "format_error" and result.errors[0].field == "witnesses"


def test_lang_04_lists_a_quoted_passage_and_pack_1_ignores_it(roster):
    got = findings(V7, roster)
    assert got["LANG-04"].severity.value == "advisory" and got["LANG-04"].location.startswith("line:")
    assert "LANG-04" not in findings(V7, roster, pack="1.0")


def test_the_v2_trigger_text_reads_evidence_and_gaps(roster):
    # V7 narrates the births only in "Evidence and gaps": v2 fires SGBC-CHG-05, v1 reads only the facts.
    assert "SGBC-CHG-05" in findings(V7, roster) and "SGBC-CHG-05" not in findings(V7, roster, pack="1.0")


def _index(yaml_text):
    from rules.certs import RosterIndex
    from rules.roster import parse_roster_text

    return RosterIndex(parse_roster_text(yaml_text).roster)


REGISTER = """
teams: [{id: T-1, leader: L-1, focal_points: {sgbc: F-1, cac: null}, members: [I-1, P-1, F-2]}]
staff:
  - {id: L-1, roles: [team_leader]}
  - {id: F-1, roles: [investigator]}
  - {id: F-2, roles: [focal_point]}
  - {id: I-1, roles: [investigator], designations: [interviews_sgbc_survivors]}
  - {id: P-1, roles: [interpreter]}
certifications:
  - {staff_id: I-1, cert: SGBC_BASIC, issued: 2024-01-01, expires: 2027-01-01}
  - {staff_id: I-1, cert: CAC_BASIC, issued: 2024-01-01, expires: 2027-01-01}
  - {staff_id: F-2, cert: SGBC_BASIC, issued: 2024-01-01, expires: 2027-01-01}
  - {staff_id: F-2, cert: CAC_ADV, issued: 2024-01-01, expires: 2025-01-01}
briefings:
  - {staff_id: P-1, area: SGBC, date: 2025-06-01, expires: 2026-12-31}
  - {staff_id: P-1, area: CAC, date: 2025-06-01, expires: 2026-12-31}
"""


def test_required_certifications_of_roles_and_designations():
    import datetime as dt

    idx, day = _index(REGISTER), dt.date(2026, 3, 1)
    assert idx.required_unmet("I-1", day) == ["SGBC_ADV"]  # never held, required by the designation
    assert idx.required_unmet("P-1", day) == []  # an interpreter only: briefings meet the Basic level
    # a focal point by role: CAC_BASIC never held (the CAC_ADV lapsed), and neither ADV held
    assert idx.required_unmet("F-2", day) == ["CAC_BASIC", "SGBC_ADV or CAC_ADV"]
    assert idx.required_unmet("F-1", day) == ["SGBC_BASIC", "CAC_BASIC"]  # focal point by the team record only


def test_staff_04_names_the_investigator_never_certified(roster):
    ap = (FIX / "V8-AP-plover-2026.md").read_text()
    got = findings(ap, roster)
    assert "STAFF-04" in got and "PL-07" in got["STAFF-04"].message


def test_an_interview_record_as_docx_with_its_front_matter_is_checked_like_its_markdown(tmp_path, roster):
    import io

    import docx

    front, body = V4.split("\n---\n", 1)
    (tmp_path / "meta.yaml").write_text(front.removeprefix("---\n") + "\n")
    document = docx.Document()
    for line in body.strip().split("\n"):
        if line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            document.add_heading(line[2:], level=1)
        elif line.strip():
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    (tmp_path / "record.docx").write_bytes(buffer.getvalue())
    result = engine_for("2.0").check_file(tmp_path / "record.docx", roster, tmp_path / "meta.yaml")
    assert (result.product_id, result.verdict.value, result.findings) == ("IR-GANNET-2026-031", "clean", [])
    short = V4.split("## Conduct of the interview")[0]
    assert "VUL-IR-05" in findings(short, roster)  # the same record cut before its conduct section
