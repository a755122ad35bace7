"""Text helpers of the contract: normalisation (format §5.1), word counts, placeholders, staff-id
fields, typed field reading (§1.1: absent = missing, null or wrong type)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        **{chr(c): "-" for c in range(0x2010, 0x2016)},
        "\u2212": "-",
        "\u00a0": " ",
        "*": None,
        "_": None,
        "`": None,
    }
)
_WS_RUN = re.compile(r"\s+")

PLACEHOLDER = re.compile(
    r"^(tbd|tbc|todo|n/?a|none|nil|null|unknown|pending|not needed|not applicable|not required|-+|\?+"
    r"|to be (identified|confirmed|determined|decided|completed|mapped|added)\b.*)$",
    re.IGNORECASE,
)
# Contract v2 §1.2: the wider placeholder pattern (fullmatch, IGNORECASE, on the normalised string).
PLACEHOLDER_V2 = re.compile(
    r"^(tbd|tbc|tba|todo|to do|n/?a|n\.\s?a\.?|none|nil|null|unknown|not known|pending|not needed|not applicable"
    r"|not required|-+|\?+|see (annex|appendix|attachment|attached|above|below|file)\b.*"
    r"|to be (identified|confirmed|determined|decided|completed|mapped|added|arranged|provided|announced)\b.*)$",
    re.IGNORECASE,
)
NOBODY = re.compile(r"^(none|nil|null|n/?a|-+|not (needed|applicable|required))$", re.IGNORECASE)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def chars(text: str) -> str:
    """§5.1 steps 1-2: quotes, dashes, NBSP; delete emphasis and code markers."""
    return text.translate(_CHAR_MAP)


def normalise(text: str) -> str:
    """§5.1 steps 1-3. `\\s` of Python `re` is Unicode whitespace, as `str.isspace` (U+001C..1F too)."""
    return _WS_RUN.sub(" ", chars(text)).strip()


def word_count(text: str) -> int:
    """Tokens split on whitespace that contain at least one letter or digit (format §1.1)."""
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def word_count_of_lines(lines: Iterable[str]) -> int:
    """word_count of the lines joined by line breaks, one line at a time: a section of a 24 MiB
    product split whole made a list of every word (about 9 times the text)."""
    return sum(word_count(line) for line in lines)


def is_non_empty(value: Any) -> bool:
    """A string that, normalised, is not empty and not a placeholder (format §1.1)."""
    if not isinstance(value, str):
        return False
    text = normalise(value)
    return bool(text) and not PLACEHOLDER.match(text)


def is_non_empty_v2(value: Any) -> bool:
    """Contract v2 §1.2: at least one word, and not the v2 placeholder pattern (a full match)."""
    if not isinstance(value, str):
        return False
    text = normalise(value)
    return word_count(text) >= 1 and not PLACEHOLDER_V2.fullmatch(text)


def invokes_corroboration(text: str, corroboration: re.Pattern[str], disclaimer: re.Pattern[str]) -> bool:
    """Contract v2 §3.4: some R_CORROBORATION match overlaps no R_CORROBORATION_DISCLAIMER match."""
    disclaimers = [(m.start(), m.end()) for m in disclaimer.finditer(text)]
    return any(not any(s < m.end() and m.start() < e for s, e in disclaimers) for m in corroboration.finditer(text))


def is_valid_reason_v2(
    value: Any, corroboration: re.Pattern[str], disclaimer: re.Pattern[str], conduct: Iterable[re.Pattern[str]]
) -> bool:
    """Contract v2 §3.4: non-empty (v2), >= 10 words, not invoking corroboration, no P_SGBC_CONDUCT."""
    if not is_non_empty_v2(value):
        return False
    text = normalise(value)
    if word_count(text) < 10 or invokes_corroboration(text, corroboration, disclaimer):
        return False
    return not any(p.search(text) for p in conduct)


def is_valid_reason(value: Any, forbidden: Iterable[re.Pattern[str]]) -> bool:
    """Non-empty, >= 10 words, and matching none of `forbidden` (R_CORROBORATION, P_SGBC_CONDUCT)."""
    if not is_non_empty(value):
        return False
    text = normalise(value)
    if word_count(text) < 10:
        return False
    return not any(p.search(text) for p in forbidden)


def staff_id(value: Any) -> str | None:
    """A staff-id field (format §1.1): None when it names nobody, else the value as written."""
    if not isinstance(value, str):
        return None
    text = normalise(value)
    if not text or NOBODY.match(text):
        return None
    return value


def as_date(value: Any) -> dt.date | None:
    """A strict YYYY-MM-DD string naming a real date; anything else is absent."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_enum(value: Any, allowed: Iterable[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def as_list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def as_map(value: Any) -> dict[Any, Any]:
    """A mapping, or an empty one when absent / wrong type (its fields are then absent)."""
    return value if isinstance(value, dict) else {}


def enum_list(value: Any, allowed: Iterable[str]) -> list[str]:
    """A list of enum values with elements outside the list ignored; absent/non-list -> []."""
    allowed = set(allowed)
    return [v for v in value if isinstance(v, str) and v in allowed] if isinstance(value, list) else []


def version_string(value: Any) -> str | None:
    """product.version: a string, or a number converted as format §2.1 says; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None
