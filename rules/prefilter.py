"""A cheap test that a regex cannot match a text, run before the regex itself.

Most of a long product's check time is regexes that find nothing (the F_ factors, the pattern
rules' screens): `re` tries every position of the text, since a pattern starting with `\\b(` or an
alternation under IGNORECASE gives it no literal prefix to jump to. Every match of such a pattern
contains one of a few literal strings ("disab", "elderly", ...), read off the parsed pattern once;
`str.__contains__` looks for those far faster than `re` tries positions. When none is in the text,
the regex cannot match and is not run; otherwise it runs as before, so answers never change.

The text is compared in a lower-cased form that also maps the four non-ASCII characters `re`
matches to an ASCII letter under IGNORECASE (tests/rules/test_prefilter.py re-derives them), and
only ASCII characters of a pattern's literals are used: a match, case-insensitive or not, then
always leaves one of the literals in the lower-cased text.
"""

from __future__ import annotations

import importlib
import re

# The standard library's own regex parser (typeshed has no stubs for these private modules).
_parser = importlib.import_module("re._parser")
C = importlib.import_module("re._constants")  # the parser's opcodes

# Characters outside ASCII that `re` (IGNORECASE) matches to an ASCII letter: İ ı ſ K.
CASE_EQUIVALENTS = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_FOLD = {**{ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, **CASE_EQUIVALENTS}

Literals = frozenset[str]
_REQUIRED: dict[tuple[str, int], Literals | None] = {}


def folded(text: str) -> str:
    """The form of `text` that required literals are looked for in."""
    return text.translate(_FOLD)


def _best(candidates: list[Literals]) -> Literals | None:
    """The most selective of several sets each of which a match must contain one of."""
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def _required(items) -> Literals | None:
    candidates: list[Literals] = []
    run = ""
    for op, av in items:
        if op is C.LITERAL and av < 128:
            run += chr(av).lower()
            continue
        if run:
            candidates.append(frozenset([run]))
            run = ""
        found: Literals | None = None
        if op is C.SUBPATTERN:
            found = _required(av[-1])
        elif op is C.ATOMIC_GROUP:
            found = _required(av)
        elif op is C.BRANCH:
            branches = [_required(branch) for branch in av[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            found = _required(av[2])
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset([run]))
    return _best(candidates)


def required_literals(rx: re.Pattern[str]) -> Literals | None:
    """Strings one of which every match of `rx` contains (lower-cased), or None when unknown."""
    key = (rx.pattern, rx.flags)
    if key not in _REQUIRED:
        try:
            found = _required(_parser.parse(rx.pattern, rx.flags))
        except Exception:  # a construct this reader does not know: no prefilter, never a wrong answer
            found = None
        _REQUIRED[key] = found if found and all(found) else None
    return _REQUIRED[key]


def may_match(rx: re.Pattern[str], folded_text: str) -> bool:
    """False only when `rx` certainly finds nothing in the text whose `folded()` form is given."""
    literals = required_literals(rx)
    return literals is None or any(literal in folded_text for literal in literals)
