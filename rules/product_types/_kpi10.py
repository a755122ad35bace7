"""KPI 10 relevance tests shared by several types (requirements.md §7.1 as changed by contract v2
§6.2; read from the front matter as stored, so `gcu-review kpi backfill-facts --recompute` applies a
definition change to the versions stored before it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rules.facts import CAC_TAGS, SGBC_TAGS
from rules.vulnerability import is_vulnerable

SGBC_CAC_TAGS = frozenset(SGBC_TAGS) | frozenset(CAC_TAGS)


def _map(value: Any) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def witnesses(front_matter: Mapping[Any, Any]) -> list[Any]:
    value = front_matter.get("witnesses")
    return value if isinstance(value, list) else []


def sgbc_cac_counts(front_matter: Mapping[Any, Any]) -> bool:
    counts = front_matter.get("counts")
    for count in counts if isinstance(counts, list) else []:
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
    """v2 §6.2: an IO whose witness is vulnerable (v1: sensitive)."""
    ws = witnesses(front_matter)
    vulnerable = bool(ws) and is_vulnerable(ws[0])
    return vulnerable, "vulnerable witness" if vulnerable else "witness not vulnerable"


def planned_witnesses(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
    """v2 §6.2: an MP with at least one vulnerable planned witness (v1: sensitive)."""
    vulnerable = any(is_vulnerable(w) for w in witnesses(front_matter))
    return vulnerable, "vulnerable planned witness" if vulnerable else "no vulnerable planned witness"


def charges(front_matter: Mapping[Any, Any], triggered: Callable[[], bool]) -> tuple[bool, str]:
    if sgbc_cac_counts(front_matter):
        return True, "SGBC or CAC count"
    if triggered():
        return True, "R_* trigger in the trigger text"
    return False, "no SGBC/CAC count or trigger"
