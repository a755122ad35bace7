"""IP: investigation plan (format §2.13, §2.16)."""

from models.enums import ProductType
from rules import facts_plan
from rules.product_types import (
    Kpi10Rule,
    ProductTypeSpec,
    ReviewUnit,
    ScannedField,
    no_further_structure,
    nobody_else,
)
from rules.product_types._kpi10 import always

SPEC = ProductTypeSpec(
    code=ProductType.IP,
    label="Investigation plan",
    plural="Investigation plans",
    template=(
        "summary",
        "context_and_scope",
        "gender_analysis",
        "children_analysis",
        "lines_of_inquiry",
        "evidence_strategy",
        "witness_vulnerability_and_protection",
        "prior_accounts_check",
        "team_and_gcu_consultation",
    ),
    structure=no_further_structure,
    facts=(facts_plan.inquiry, facts_plan.factors),
    fact_defaults=(),
    scanned_fields=(ScannedField.EXCLUSIONS,),
    kpi10=Kpi10Rule(relevance=always("IP")),
    kpi11_charges=False,
    review_unit=ReviewUnit.GCU,
    conflicted_staff=nobody_else,
)
