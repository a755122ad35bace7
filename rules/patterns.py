"""Pattern rules over the scanned text with the precedence and suppression of requirements.md §1.4."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rules.prefilter import folded, may_match
from rules.scan import Unit

_SCREENS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _screen(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    key = tuple(p.pattern for p in patterns)
    if key not in _SCREENS:
        _SCREENS[key] = re.compile("|".join(f"(?:{p})" for p in key) or "(?!)", re.IGNORECASE)
    return _SCREENS[key]


@dataclass
class PatternResult:
    hits: int = 0
    location: str = ""
    matches: list[str] = field(default_factory=list)


def run_patterns(units: list[Unit], rules: list[tuple[str, list[re.Pattern[str]]]]) -> dict[str, PatternResult]:
    """`rules` are the applicable pattern rules in precedence order (earliest suppresses later).

    An occurrence is suppressed when it overlaps, in the same unit, any occurrence (suppressed or
    not) of an earlier rule; occurrences of one rule never suppress each other."""
    results = {rule_id: PatternResult() for rule_id, _ in rules}
    # An alternation of a rule's patterns finds a match iff one of them does: a cheap pre-test,
    # after which every pattern still runs on its own (its occurrences' ranges matter, §1.4).
    screens = [_screen(patterns) for _, patterns in rules]
    # A rule whose patterns cannot match anywhere (rules.prefilter) is not screened unit by unit.
    all_text = folded("\n".join(unit.text for unit in units))
    possible = [any(may_match(p, all_text) for p in patterns) for _, patterns in rules]
    for unit in units:
        earlier: list[tuple[int, int]] = []
        for (rule_id, patterns), screen, maybe in zip(rules, screens, possible, strict=True):
            if not maybe or not screen.search(unit.text):
                continue
            mine = [(m.start(), m.end(), m.group(0)) for p in patterns for m in p.finditer(unit.text)]
            mine.sort()
            result = results[rule_id]
            for start, end, text in mine:
                if any(s < end and start < e for s, e in earlier):
                    continue
                if result.hits == 0:
                    result.location = unit.location(start)
                result.hits += 1
                if len(result.matches) < 20:
                    result.matches.append(text)
            earlier.extend((s, e) for s, e, _ in mine)
    return results
