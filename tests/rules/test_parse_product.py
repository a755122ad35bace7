"""Product files: format errors (§7), line splitting, comments, fences, headings, tables, views."""

from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Verdict
from models.roster import Roster
from rules.library import engine_for
from rules.markdown import heading_key_text, parse_body, strip_comments
from rules.product import parse_product
from rules.scan import scanned_units

FM = """---
product:
  id: GA-T-1
  type: GA
  title: "Analysis"
  team: T-X
  situation: S
  version: {version}
  author: A-1
  submitted_on: {date}
  audience: {audience}
---
"""


def product(body="", version='"1.0"', date="2025-01-02", audience="internal"):
    return FM.format(version=version, date=date, audience=audience) + body


def errors_of(text):
    return parse_product(text).errors


def test_well_formed_product_parses():
    outcome = parse_product(product("# T\n"))
    assert outcome.product is not None and outcome.product.version == "1.0"


def test_numeric_version_is_converted():
    assert parse_product(product(version="1.10")).product.version == "1.1"
    assert parse_product(product(version="0x10")).product.version == "16"
    assert errors_of(product(version="true"))[0].field == "product.version"
    assert errors_of(product(version=".inf"))[0].field == "product.version"


def test_structural_errors_name_field_and_line():
    errs = errors_of(product(audience="public"))
    assert [(e.field, e.line) for e in errs] == [("product.audience", 11)]
    assert errors_of(product(date="2025-02-30"))[0].field == "product.submitted_on"
    assert errors_of(product(date="2025-03-05 10:00:00"))[0].field == "product.submitted_on"


def test_front_matter_must_open_and_close():
    assert errors_of("# no front matter\n")[0].line == 1
    assert errors_of("---\nproduct: {}\n")[0].message.startswith("front matter is not closed")
    assert errors_of("---\n- a\n---\n")[0].message == "front matter is not a YAML mapping"
    yaml_error = errors_of("---\nproduct: [\n---\n")[0]
    assert yaml_error.line is not None and yaml_error.line >= 2


def test_io_needs_exactly_one_mapping_witness():
    text = product().replace("type: GA", "type: IO").replace("---\n", "---\n", 1)
    text = text.replace(
        "audience: internal\n", "audience: internal\nwitnesses: [x, y]\ninterview: {date: 2025-01-05}\n"
    )
    fields = {e.field for e in errors_of(text)}
    assert {"witnesses", "witnesses[0]", "witnesses[1]"} <= fields


def test_crlf_and_bom_are_accepted_and_lone_cr_is_not_a_line_break():
    text = "\ufeff" + product("## Summary\nline\0still line\n").replace("\n", "\r\n").replace("\0", "\r")
    p = parse_product(text).product
    assert p is not None
    assert "line\rstill line" in p.body.lines


def test_html_comments_keep_line_numbers_and_unclosed_is_text():
    assert strip_comments("a<!-- x\ny -->b") == "a\nb"
    assert strip_comments("a<!-->b-->c") == "ac"
    assert strip_comments("a <!-- never closed") == "a <!-- never closed"


def test_headings_follow_the_authoritative_regex():
    body = parse_body("## C#\n#### Four\n```\n# in fence\n```\n> # quoted\n## 3.2 Data gaps:\n", 10)
    assert [h.text for h in body.headings] == ["C", "3.2 Data gaps:"]
    assert body.sections["data_gaps"].heading.index == 6
    assert heading_key_text("4) *Informed consent:*") == "informed consent"


def test_fence_closes_on_any_line_starting_with_the_fence():
    body = parse_body("```python\n# not heading\n   ```` trailing\n## Summary\nword\n", 1)
    assert [h.text for h in body.headings] == ["Summary"]
    assert body.in_fence[:3] == [True, True, True]


def test_section_word_counts_exclude_heading_lines_and_include_fences_and_quotes():
    body = parse_body("## Summary\none two\n### Sub\n> three\n```\nfour\n```\n## Next\nfive\n", 1)
    # `###` line excluded; "```" has no letter or digit; ">" alone is not a word: one two three four
    assert body.sections["summary"].words == 4


def test_tables_in_a_section():
    body = parse_body("## Disaggregated data\n| Sex | Age |\n|---|---|\n| women | 18+ |\n\ntext\n", 1)
    assert body.tables("disaggregated_data") == ["| Sex | Age | |---|---| | women | 18+ |"]


def test_scanned_text_excludes_quotes_fences_and_comments_and_locates_lines():
    p = parse_product(
        product(
            "## Summary\nfirst\n> quoted child soldiers\n<!-- child soldiers -->\n"
            "```\nchild soldiers\n```\nthe child\nsoldiers here\n"
        )
    ).product
    units = scanned_units(p)
    assert units[0].field == "product.title"
    body_text = [u.text for u in units if u.is_body]
    assert body_text == ["## Summary", "first", "the child soldiers here"]
    unit = units[-1]
    assert unit.location(unit.text.index("soldiers")) == "line:21"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_arbitrary_body_text_never_crashes_the_engine(body):
    result = engine_for("1.0").check_text(product(body), Roster())
    assert result.verdict in set(Verdict)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_file_text_gives_a_result_or_a_format_error(text):
    result = engine_for("1.0").check_text(text, Roster())
    assert (result.verdict == Verdict.FORMAT_ERROR) == bool(result.errors)
