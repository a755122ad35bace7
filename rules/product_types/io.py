"""IO: interview outline (format §2.2-§2.11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.enums import ProductType
from rules import facts_io
from rules.product_types import Kpi10Rule, ProductTypeSpec, ReviewUnit, nobody_else
from rules.product_types._kpi10 import interview_witness

if TYPE_CHECKING:
    from rules.product import _Checker


def structure(c: _Checker) -> None:
    c.witnesses(exactly_one_for="an interview outline")
    interview = c.mapping(("interview",))
    if interview is not None:
        c.date(interview, ("interview", "date"))


SPEC = ProductTypeSpec(
    code=ProductType.IO,
    label="Interview outline",
    plural="Interview outlines",
    template=(
        "summary",
        "interview_purpose",
        "prior_accounts_check",
        "necessity_best_interests",
        "consent",
        "child_approach",
        "caafag_safeguards",
        "interview_plan",
        "question_areas",
        "support_and_referrals",
        "follow_up",
        "risk_and_security",
        "recording_and_storage",
    ),
    structure=structure,
    facts=(facts_io.build,),
    fact_defaults=(facts_io.defaults,),
    scanned_fields=(),
    kpi10=Kpi10Rule(relevance=interview_witness, execution_date=("interview", "date")),
    kpi11_charges=False,
    review_unit=ReviewUnit.GCU,
    conflicted_staff=nobody_else,
)
