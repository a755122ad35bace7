"""Pack 2.0.0 never fails to judge: any front-matter value of the v2 dev samples replaced by a value
of another type or a placeholder gives findings or a format error, never an engine error."""

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.library import engine_for
from rules.roster import load_roster

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "samples_v2"
SAMPLES = {p.name: p.read_text() for p in sorted(FIX.glob("V*.md"))}
ROSTER = load_roster(FIX / "roster.yaml").roster
FIELD = re.compile(r"^(\s*(?:- )?[A-Za-z_][\w ]*): (.+)$")
VALUES = [
    "null",
    "[]",
    "{}",
    '"n.a."',
    "TBA",
    "0",
    "-1",
    "true",
    "false",
    '"x\\n"',
    "[1, {a: b}]",
    "2026-13-45",
    '"See annex 3"',
    "no",
    "yes",
    "non_binary",
    "{need: other, name: X}",
]


def _fields(text: str) -> list[int]:
    lines = text.split("\n")
    close = lines.index("---", 1)
    return [i for i in range(1, close) if FIELD.match(lines[i])]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    pick=st.integers(min_value=0, max_value=10_000),
    value=st.sampled_from(VALUES),
)
def test_any_changed_value_is_judged(name, pick, value):
    text = SAMPLES[name]
    lines = text.split("\n")
    fields = _fields(text)
    i = fields[pick % len(fields)]
    lines[i] = FIELD.sub(lambda m: f"{m.group(1)}: {value}", lines[i])
    result = engine_for("2.0").check_text("\n".join(lines), ROSTER)
    assert result.verdict.value == "format_error" or not result.errors
    assert all(f.pack_version == "2.0.0" and f.location for f in result.findings)
