"""KPI 10 relevance tests shared by several types (requirements.md §7.1; read from the front matter
as stored, so they also run over versions stored before a definition change)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rules.facts import CAC_TAGS, SGBC_TAGS

SGBC_CAC_TAGS = frozenset(SGBC_TAGS) | frozenset(CAC_TAGS)


def _map(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def witnesses(front_matter: Mapping[Any, Any]) -> list[Any]:
    value = front_matter.get("witnesses")
    return value if isinstance(value, list) else []


def is_sensitive(witness: Any) -> bool:
    """Child or SGBC survivor (format §2.2)."""
    witness = _map(witness)
    age = witness.get("age")
    child = isinstance(age, int) and not isinstance(age, bool) and age < 18
    return child or witness.get("sgbc_survivor") is True


def sgbc_cac_counts(front_matter: Mapping[Any, Any]) -> bool:
    for count in front_matter.get("counts") if isinstance(front_matter.get("counts"), list) else []:
        count = _map(count)
        if count.get("is_sgbc") is True or count.get("is_cac") is True or count.get("crime") in SGBC_CAC_TAGS:
            return True
    return False


def always(label: str) -> Callable[[Mapping[Any, Any], Callable[[], bool]], tuple[bool, str]]:
    def relevance(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
        return True, f"{label} is always relevant"

    return relevance


def never(label: str, why: str = "") -> Callable[[Mapping[Any, Any], Callable[[], bool]], tuple[bool, str]]:
    def relevance(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
        return False, f"{label} is not a relevant type" + (f" ({why})" if why else "")

    return relevance


def interview_witness(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
    ws = witnesses(front_matter)
    sensitive = bool(ws) and is_sensitive(ws[0])
    return sensitive, "sensitive witness" if sensitive else "witness not sensitive"


def planned_witnesses(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
    sensitive = any(is_sensitive(w) for w in witnesses(front_matter))
    return sensitive, "sensitive planned witness" if sensitive else "no sensitive planned witness"


def charges(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
    if sgbc_cac_counts(front_matter):
        return True, "SGBC or CAC count"
    if triggered():
        return True, "R_* trigger in the trigger text"
    return False, "no SGBC/CAC count or trigger"
