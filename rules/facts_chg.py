"""Facts of case hypotheses and charging strategies: counts and the trigger text (format §2.14, §5.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rules.text import as_bool, as_enum, as_map, normalise

if TYPE_CHECKING:
    from rules.facts import Inputs
    from rules.product import Product

STATUSES = ["proposed", "charged", "dropped", "downgraded"]


def defaults() -> dict[str, Any]:
    return {"counts": []}


def build(inp: Inputs, ctx: dict[str, Any]) -> None:
    from rules.facts import CRIME_TAGS, SGBC_TAGS

    counts = []
    for i, raw in enumerate(inp.product.fm.get("counts") or []):
        count = as_map(raw)
        crime = as_enum(count.get("crime"), CRIME_TAGS)
        status = as_enum(count.get("status"), STATUSES)
        is_sgbc = as_bool(count.get("is_sgbc"))
        reason = count.get("reason")
        counts.append(
            {
                "index": i,
                "label": f"counts[{i}]",
                "crime": crime,
                "status": status,
                "active": status in ("proposed", "charged"),
                "is_sgbc": is_sgbc,
                "is_cac": as_bool(count.get("is_cac")),
                "sgbc": is_sgbc is True or crime in SGBC_TAGS,
                "reason_valid": inp.rx.valid_reason(reason),
                "reason_corroboration": isinstance(reason, str) and inp.rx.invokes_corroboration(normalise(reason)),
            }
        )
    ctx["counts"] = counts
    units = trigger_units_v2(inp) if inp.rx.v2 else [inp.product.body.trigger_text()]
    for name, rx in inp.rx.named.items():
        if name.startswith("R_") and name not in REASON_REGEXES:
            ctx[f"trigger.{name}"] = any(rx.search(unit) for unit in units)


REASON_REGEXES = ("R_CORROBORATION", "R_CORROBORATION_DISCLAIMER")  # read in reasons, never as triggers


def trigger_units_v2(inp: Inputs) -> list[str]:
    return trigger_units_of(inp.product)


def trigger_units_of(product: Product) -> list[str]:
    """Contract v2 §1.7: `facts` (or the whole body), `suspects`, `evidence_and_gaps`, count labels;
    a match never spans two units. (Also KPI 10's CH/CS relevance, v2 §6.2.)"""
    body = product.body
    units = [body.trigger_text()]
    for key in ("suspects", "evidence_and_gaps"):
        lines = body.own_lines(key)
        if lines is not None:
            units.append(normalise("\n".join(lines)))
    counts = product.fm.get("counts")
    for count in counts if isinstance(counts, list) else []:
        if isinstance(count, dict) and isinstance(count.get("label"), str):
            units.append(normalise(count["label"]))
    return units
