"""Facts of interview records (contract v2 §5): the record of an interview that took place, its one
witness, the support and assessment around it, and the people in its slots on `record.date`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rules.facts_io import assessment_facts, iso, slot_facts, witness_v2
from rules.text import as_bool, as_date, as_enum, as_int, as_map, enum_list
from rules.witness import need_entries

if TYPE_CHECKING:
    from rules.facts import Inputs

OUTLINE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # fullmatch on the value as written (v2 §1.11)
DEVIATION_AREAS = (
    "staff",
    "date_or_location",
    "phases",
    "questions",
    "duration_and_breaks",
    "support",
    "recording",
    "other",
)
PROVIDER_ROLES = ("psychologist", "psychosocial_expert", "support_person", "other")
NOT_A_STRING = "<not a string>"


def defaults() -> dict[str, Any]:
    return {
        "record.date": None,
        "record.outline_ok": False,
        "record.deviations_is_list": False,
        "record.bad_deviations": [],
        "record.phases": [],
        "record.detail_limited_to": [],
        "record.right_to_stop_explained": None,
        "record.duration_minutes": None,
        "record.longest_block_minutes": None,
        "record.breaks_taken": None,
        "record.block_cap": None,
        "psychosocial_support.provider_role": None,
        "witness.needs_unmet_unexplained": [],
    }


def _deviations(inp: Inputs, raw: Any, ctx: dict[str, Any]) -> None:
    ctx["record.deviations_is_list"] = isinstance(raw, list)
    bad = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        ok = (
            isinstance(entry, dict)
            and as_enum(entry.get("area"), DEVIATION_AREAS) is not None
            and inp.rx.valid_reason(entry.get("reason"))
        )
        if not ok:
            bad.append({"index": i, "label": f"deviations[{i}]"})
    ctx["record.bad_deviations"] = bad


def _needs_met(inp: Inputs, w: dict[Any, Any], ctx: dict[str, Any]) -> None:
    """VUL-IR-07(b): each need entry says whether it was met, and why not when not fully."""
    failing = []
    for i, entry in need_entries(w):
        met = as_enum(entry.get("met"), ["yes", "partly", "no"])
        if met is None or (met != "yes" and not inp.rx.valid_reason(entry.get("reason"))):
            failing.append({"index": i, "label": f"stated_needs[{i}]"})
    ctx["witness.needs_unmet_unexplained"] = failing


def build(inp: Inputs, ctx: dict[str, Any]) -> None:
    fm = inp.product.fm
    w = as_map((fm.get("witnesses") or [{}])[0])
    age = as_int(w.get("age"))  # the age on record.date (v2 §1.3)
    ctx["witness.age"] = age
    ctx["witness.is_child"] = age is not None and age < 18
    ctx["witness.is_sgbc"] = w.get("sgbc_survivor") is True
    ctx["witness.is_sensitive"] = ctx["witness.is_child"] or ctx["witness.is_sgbc"]
    ctx["witness.caafag"] = w.get("caafag") is True
    ctx["witness.disability"] = w.get("disability") is True
    witness_v2(inp, w, ctx)
    _needs_met(inp, w, ctx)
    record = as_map(fm.get("record"))
    day = as_date(record.get("date"))
    ctx["record.date"] = iso(day)
    outline = record.get("outline_id")
    pid = inp.product.group("product").get("id")
    ctx["record.outline_ok"] = isinstance(outline, str) and OUTLINE_ID.fullmatch(outline) is not None and outline != pid
    _deviations(inp, record.get("deviations"), ctx)
    phases = record.get("phases")
    ctx["record.phases"] = (
        [v if isinstance(v, str) else NOT_A_STRING for v in phases] if isinstance(phases, list) else []
    )
    from rules.facts import CRIME_TAGS

    ctx["record.detail_limited_to"] = enum_list(record.get("detail_limited_to"), CRIME_TAGS)
    ctx["record.right_to_stop_explained"] = as_bool(record.get("right_to_stop_explained"))
    for key in ("duration_minutes", "longest_block_minutes", "breaks_taken"):
        ctx[f"record.{key}"] = as_int(record.get(key))
    assessment_facts(inp, ctx)
    max_block = ctx["psa.max_block_minutes"]
    if ctx["witness.is_child"]:
        cap = 40 if age is not None and age < 12 else 60
        ctx["record.block_cap"] = min(cap, max_block) if max_block is not None else cap
    else:
        ctx["record.block_cap"] = max_block
    support = as_map(fm.get("psychosocial_support"))
    ctx["psychosocial_support.during"] = as_enum(support.get("during"), ["present", "on_call", "none"])
    ctx["psychosocial_support.provider_role"] = as_enum(support.get("provider_role"), PROVIDER_ROLES)
    ctx["slot.group"] = "record"
    slot_facts(inp, record, day, ctx)
