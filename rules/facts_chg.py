"""Facts of case hypotheses and charging strategies: counts and the trigger text (format §2.14, §5.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules.text import as_bool, as_enum, as_map, normalise

if TYPE_CHECKING:
    from rules.facts import Inputs

STATUSES = ["proposed", "charged", "dropped", "downgraded"]


def defaults() -> dict[str, Any]:
    return {"counts": []}


def build(inp: Inputs, ctx: dict[str, Any]) -> None:
    from rules.facts import CRIME_TAGS, SGBC_TAGS

    corroboration = inp.rx.named["R_CORROBORATION"]
    counts = []
    for i, raw in enumerate(inp.product.fm.get("counts") or []):
        count = as_map(raw)
        crime = as_enum(count.get("crime"), CRIME_TAGS)
        status = as_enum(count.get("status"), STATUSES)
        is_sgbc = as_bool(count.get("is_sgbc"))
        reason = count.get("reason")
        counts.append({
            "index": i, "label": f"counts[{i}]", "crime": crime, "status": status,
            "active": status in ("proposed", "charged"), "is_sgbc": is_sgbc, "is_cac": as_bool(count.get("is_cac")),
            "sgbc": is_sgbc is True or crime in SGBC_TAGS,
            "reason_valid": inp.rx.valid_reason(reason),
            "reason_corroboration": isinstance(reason, str) and bool(corroboration.search(normalise(reason))),
        })
    ctx["counts"] = counts
    trigger = inp.product.body.trigger_text()
    for name, rx in inp.rx.named.items():
        if name.startswith("R_") and name != "R_CORROBORATION":
            ctx[f"trigger.{name}"] = bool(rx.search(trigger))
