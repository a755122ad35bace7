"""rules.prefilter never rules out a text that a pack's regex matches: the literals it reads off each
pattern, the case equivalences of `re`, and the same findings with and without it."""

import re
import string
from pathlib import Path

import pytest

from rules import patterns as patterns_module
from rules.library import engine_for
from rules.prefilter import CASE_EQUIVALENTS, folded, may_match, required_literals
from rules.product import parse_product
from rules.scan import scanned_units

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIRS = [ROOT.parent / "shared" / "domain" / "samples", ROOT.parent / "shared" / "domain" / "v2" / "samples"]
SAMPLE_DIRS = [d for d in SAMPLE_DIRS if d.is_dir()] or [ROOT / "tests" / "fixtures" / "samples"]


def pack_regexes() -> list[re.Pattern[str]]:
    found = []
    for spec in ("1.0", "2.0"):
        pack = engine_for(spec).pack
        found += list(pack.regexes.named.values())
        found += [p for rule in pack.rules for p in rule.patterns]
    return found


def test_the_case_equivalences_are_those_of_re():
    # Every character `re` matches to an ASCII letter under IGNORECASE has a non-trivial case mapping.
    letters = {c: re.compile(c, re.IGNORECASE) for c in string.ascii_lowercase}
    found = {}
    for code in range(0x80, 0x110000):
        ch = chr(code)
        if ch.lower() == ch and ch.upper() == ch and ch.casefold() == ch:
            continue
        for letter, rx in letters.items():
            if rx.fullmatch(ch):
                found[code] = letter
    assert found == CASE_EQUIVALENTS


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\b(disabilit(y|ies)|disabled)\b", {"disab"}),
        (r"\b(age[sd]?|elderly|older (persons?|people))\b", {"age", "elderly", "older "}),
        (r"\bLGBT\w*", {"lgbt"}),
        (r"\b\w+\b", None),
        (r"(a|)", None),
        (r"x{0,3}", None),
        (r"(?:é|è)t", {"t"}),
    ],
)
def test_the_literals_every_match_contains(pattern, literals):
    found = required_literals(re.compile(pattern, re.IGNORECASE))
    assert (set(found) if found is not None else None) == literals


def texts() -> list[str]:
    out = ["ſexual violence", "dİsabled", "KLAN", "ıdps", "The Elderly", "child-soldiers", "under 18", "LGBTQI+"]
    for folder in SAMPLE_DIRS:
        for path in sorted(folder.glob("*.md")):
            product = parse_product(path.read_text(encoding="utf-8")).product
            if product is not None:
                out += [unit.text for unit in scanned_units(product)]
    return out


def test_no_text_a_regex_matches_is_ruled_out():
    corpus = texts()
    regexes = pack_regexes()
    assert len(regexes) > 50 and len(corpus) > 100
    for rx in regexes:
        for text in corpus:
            if rx.search(text):
                assert may_match(rx, folded(text)), (rx.pattern, text)


def test_the_prefilter_changes_no_finding(monkeypatch):
    engine = engine_for("2.0")
    roster_path = SAMPLE_DIRS[-1] / "roster.yaml"
    from rules.roster import load_roster

    roster = load_roster(roster_path).roster
    paths = [p for folder in SAMPLE_DIRS for p in sorted(folder.glob("*.md"))]
    with_prefilter = [engine.check_text(p.read_text(encoding="utf-8"), roster).model_dump() for p in paths]
    monkeypatch.setattr(patterns_module, "may_match", lambda rx, text: True)
    monkeypatch.setattr("rules.facts_plan.may_match", lambda rx, text: True)
    without = [engine.check_text(p.read_text(encoding="utf-8"), roster).model_dump() for p in paths]
    assert with_prefilter == without
    assert any(r["findings"] for r in without)
