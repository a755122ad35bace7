"""CH: case hypothesis (format §2.13, §2.14; trigger text format §5.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.enums import ProductType
from rules import facts_chg
from rules.product_types import (
    Kpi10Rule,
    ProductTypeSpec,
    ReviewUnit,
    ScannedField,
    nobody_else,
)
from rules.product_types._kpi10 import charges

if TYPE_CHECKING:
    from rules.product import _Checker


def structure(c: _Checker) -> None:
    """CH and CS: `counts` is a list (format §7)."""
    if not isinstance(c.fm.get("counts"), list):
        c.error(("counts",), "missing or not a list")


TEMPLATE = ("summary", "facts", "suspects", "legal_characterisation", "sgbc_liability", "evidence_and_gaps")

SPEC = ProductTypeSpec(
    code=ProductType.CH,
    label="Case hypothesis",
    plural="Case hypotheses",
    template=TEMPLATE,
    structure=structure,
    facts=(facts_chg.build,),
    fact_defaults=(facts_chg.defaults,),
    scanned_fields=(ScannedField.COUNTS, ScannedField.EXCLUSIONS),
    kpi10=Kpi10Rule(relevance=charges),
    kpi11_charges=False,
    review_unit=ReviewUnit.GCU,
    conflicted_staff=nobody_else,
)
