"""Property tests: the roster parser (format §9) reads anything without crashing.

Whatever the text, `parse_roster_text` returns a RosterLoad (malformed entries skipped and listed as
problems with their line) or raises RosterError naming the file, and the line for a YAML error.
Inputs: arbitrary text, roster-shaped YAML with values of any type, and the dev roster with lines
inserted or cut.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from models.enums import BriefingArea, CertType
from models.roster import RosterLoad
from rules import yaml12
from rules.roster import RosterError, parse_roster_text

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "domain" / "samples" / "roster.yaml"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "roster.yaml"
ROSTER_TEXT = (SAMPLE if SAMPLE.is_file() else DEMO).read_text(encoding="utf-8")
FILE = "teams/roster.yaml"
SETTINGS = settings(max_examples=200, deadline=None, database=None)


def _parse(text: str) -> RosterLoad | RosterError:
    """The parser's outcome; any other exception fails the test."""
    try:
        return parse_roster_text(text, FILE)
    except RosterError as exc:
        return exc


def _check(outcome: RosterLoad | RosterError, text: str) -> None:
    n_lines = len(text.splitlines()) + 1  # PyYAML also breaks lines at \r, NEL, LS, PS
    if isinstance(outcome, RosterError):
        assert outcome.message and outcome.file == FILE
        assert str(outcome).startswith(FILE)
        if outcome.line is not None:
            assert 1 <= outcome.line <= n_lines + 1
            assert str(outcome).startswith(f"{FILE}:{outcome.line}: ")
        return
    roster = outcome.roster
    for problem in outcome.problems:
        assert problem.file == FILE and problem.message
        assert problem.line is None or 1 <= problem.line <= n_lines
    for group in (roster.teams, roster.staff):
        ids = [item.id for item in group]
        assert all(isinstance(i, str) for i in ids) and len(ids) == len(set(ids))
    for item in [*roster.teams, *roster.staff, *roster.certifications, *roster.briefings]:
        assert item.line is None or 1 <= item.line <= n_lines
    for cert in roster.certifications:
        assert isinstance(cert.staff_id, str) and isinstance(cert.cert, str)
        assert cert.issued is None or isinstance(cert.issued, dt.date)
    for briefing in roster.briefings:
        assert isinstance(briefing.staff_id, str) and isinstance(briefing.area, str)


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text_gives_a_roster_or_a_roster_error(text):
    _check(_parse(text), text)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"%@`?,\t\n teamsidf0\ufeff\r")), max_size=200))
def test_yaml_punctuation_soup_gives_a_roster_or_an_error_with_its_line(text):
    outcome = _parse(text)
    _check(outcome, text)
    try:
        yaml12.load(text.removeprefix("\ufeff").replace("\r\n", "\n"))
    except yaml12.YamlSyntaxError as exc:
        assert isinstance(outcome, RosterError) and outcome.line == exc.line


SCALAR = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.dates().map(dt.date.isoformat)
    | st.sampled_from([c.value for c in CertType])
    | st.sampled_from([a.value for a in BriefingArea])
    | st.sampled_from(["female", "male", "HE-01"])
)
ANY = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
KEYS = [
    "id",
    "staff_id",
    "name",
    "gender",
    "team",
    "roles",
    "designations",
    "email",
    "cert",
    "issued",
    "expires",
    "area",
    "date",
    "briefed_by",
    "focal_points",
    "members",
    "leader",
    "situation",
]
ENTRY = st.dictionaries(st.sampled_from(KEYS), ANY, max_size=6) | ANY
SECTION = st.lists(ENTRY, max_size=4) | ANY
ROSTER = (
    st.dictionaries(st.sampled_from(["teams", "staff", "certifications", "briefings", "other"]), SECTION, max_size=5)
    | ANY
)


@SETTINGS
@given(ROSTER)
@example({"staff": [{"id": "S1", "gender": ["female"]}]})  # once crashed: a list is not hashable
def test_roster_shaped_yaml_with_values_of_any_type_never_crashes(value):
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    outcome = _parse(text)
    _check(outcome, text)
    if not isinstance(value, dict):
        assert isinstance(outcome, RosterError)


@SETTINGS
@given(st.data())
def test_the_dev_roster_with_lines_cut_or_inserted_never_crashes(data):
    lines = ROSTER_TEXT.split("\n")
    at = data.draw(st.integers(0, len(lines)), label="at")
    if data.draw(st.booleans(), label="cut"):
        n = data.draw(st.integers(1, 15), label="n")
        lines = [*lines[:at], *lines[at + n :]]
    else:
        noise = data.draw(st.text(alphabet=st.sampled_from(list(":-[]{}#&*|>'\" \tabc12")), max_size=30))
        lines = [*lines[:at], noise, *lines[at:]]
    text = "\n".join(lines)
    _check(_parse(text), text)


@settings(max_examples=60, deadline=None, database=None)
@given(st.data())
def test_a_bom_and_crlf_line_ends_do_not_change_the_result(data):
    lines = ROSTER_TEXT.split("\n")
    at = data.draw(st.integers(0, len(lines)), label="at")
    lines = [*lines[:at], *lines[at + data.draw(st.integers(0, 10), label="n") :]]
    lf = "\n".join(lines)
    plain, variant = _parse(lf), _parse("\ufeff" + lf.replace("\n", "\r\n"))
    if isinstance(plain, RosterError):
        assert isinstance(variant, RosterError) and (variant.message, variant.line) == (plain.message, plain.line)
    else:
        assert isinstance(variant, RosterLoad) and variant == plain
