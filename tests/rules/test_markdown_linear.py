"""Headings and table delimiters are parsed in linear time, exactly as the contract's regexes say
(format §3.1, §3.5), and a product line longer than the cap is a format error naming the line.

The contract's heading regex took 21 s on `# a`, 3,000 spaces, `b` (issue 17): the parsers are
compared with the regexes on short lines, where backtracking is cheap, and checked on long
adversarial lines against the answer the regex gives by construction."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Verdict
from models.roster import Roster
from rules.engine import default_engine
from rules.markdown import MAX_LINE_CHARS, is_table_delimiter, match_heading, parse_body
from rules.product import parse_product

CONTRACT_HEADING = re.compile(r"^ {0,3}(#{1,3})[ \t]+(.+?)[ \t]*#*[ \t]*$")
CONTRACT_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")

HEADING_ALPHABET = st.sampled_from([" ", "\t", "#", "a", "b", "\r", "\u00a0", "-", "|"])
DELIMITER_ALPHABET = st.sampled_from([" ", "\t", "|", ":", "-", "x", "\u00a0", "\x1c"])

FM = """---
product:
  id: GA-T-1
  type: GA
  title: "Analysis"
  team: T-X
  situation: S
  version: "1.0"
  author: A-1
  submitted_on: 2025-01-02
  audience: internal
---
"""


def contract_heading(line):
    m = CONTRACT_HEADING.match(line)
    return (len(m.group(1)), m.group(2)) if m else None


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=HEADING_ALPHABET, max_size=14))
def test_heading_parser_agrees_with_the_contract_regex(line):
    assert match_heading(line) == contract_heading(line)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=DELIMITER_ALPHABET, max_size=16))
def test_table_delimiter_agrees_with_the_contract_regex(line):
    assert is_table_delimiter(line) == bool(CONTRACT_DELIMITER.match(line))


@settings(max_examples=40, deadline=None)
@given(
    level=st.integers(1, 3),
    word=st.text(alphabet="ab#", min_size=1, max_size=3).filter(lambda w: w[0] != "#"),
    blanks=st.text(alphabet=" \t", min_size=1_000, max_size=MAX_LINE_CHARS - 20),
    last=st.sampled_from(["b", "#", " ", "c#"]),
)
def test_long_adversarial_heading_lines_parse_exactly(level, word, blanks, last):
    # `# a`, thousands of blanks, then one character: the regex's worst case.
    line = "#" * level + " " + word + blanks + last
    expected_text = (word + blanks + last).rstrip(" \t").rstrip("#").rstrip(" \t") or word[:1]
    assert match_heading(line) == (level, expected_text)


@settings(max_examples=20, deadline=None)
@given(filler=st.text(alphabet=" \t|-:", min_size=5_000, max_size=MAX_LINE_CHARS - 10))
def test_long_lines_after_a_table_row_parse(filler):
    body = parse_body("## Data\n| a | b |\n" + filler + "x\n| c | d |\n", 1)
    assert body.tables("data") == []


def test_one_long_heading_line_in_a_valid_product_is_checked_normally():
    line = "# a" + " " * 3000 + "b"
    result = default_engine().check_text(FM + "# Summary\ntext\n" + line + "\n", Roster())
    assert result.verdict != Verdict.FORMAT_ERROR
    assert parse_product(FM + line + "\n").product.body.headings[0].text == "a" + " " * 3000 + "b"


def test_a_line_over_the_cap_is_a_format_error_naming_the_line():
    long_line = "# a" + " " * MAX_LINE_CHARS + "b"
    outcome = parse_product(FM + "# Summary\n" + long_line + "\n")
    assert outcome.product is None
    [error] = outcome.errors
    assert error.line == 14
    assert f"at most {MAX_LINE_CHARS:,}" in error.message and "line 14" in error.message


def test_a_line_at_the_cap_is_accepted():
    outcome = parse_product(FM + "x" * MAX_LINE_CHARS + "\n")
    assert outcome.errors == [] and outcome.product is not None
