"""IR: interview record (contract v2 §5): filed after an interview, reviewed by the Security and
Protection Unit (v2 §5.3), never relevant for KPI 10 (v2 §6.2), and the source of the SPU indicator
(v2 §6.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from models.enums import ProductType
from rules import facts_ir
from rules.product_types import Kpi10Rule, ProductTypeSpec, ReviewUnit
from rules.product_types._kpi10 import never

if TYPE_CHECKING:
    from rules.product import _Checker

# The staff-id fields of the record (v2 §1.5): nobody named here reviews it (v2 §5.3).
RECORD_SLOTS = ("interviewer", "interpreter", "intermediary", "note_taker")


def structure(c: _Checker) -> None:
    """v2 §1.8: exactly one witness entry (integer age, boolean sgbc_survivor); `record` a mapping with a date."""
    c.witnesses(exactly_one_for="an interview record")
    record = c.mapping(("record",))
    if record is not None:
        c.date(record, ("record", "date"))


def appears_in_record(front_matter: Mapping[Any, Any]) -> frozenset[str]:
    """v2 §5.3: `product.author`, a `record` slot, `psychosocial_assessment.assessor`,
    `psychosocial_support.expert` (string values as written)."""

    def group(name: str) -> Mapping[Any, Any]:
        value = front_matter.get(name)
        return value if isinstance(value, Mapping) else {}

    named = [
        group("product").get("author"),
        *(group("record").get(slot) for slot in RECORD_SLOTS),
        group("psychosocial_assessment").get("assessor"),
        group("psychosocial_support").get("expert"),
    ]
    return frozenset(v.strip() for v in named if isinstance(v, str) and v.strip())


SPEC = ProductTypeSpec(
    code=ProductType.IR,
    label="Interview record",
    plural="Interview records",
    template=("summary", "conduct_of_interview", "witness_needs_and_support", "deviations", "follow_up"),
    structure=structure,
    facts=(facts_ir.build,),
    fact_defaults=(facts_ir.defaults,),
    scanned_fields=(),
    kpi10=Kpi10Rule(relevance=never("IR", "reviewed by the SPU, after the event")),
    kpi11_charges=False,
    review_unit=ReviewUnit.SPU,
    conflicted_staff=appears_in_record,
)
