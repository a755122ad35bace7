"""GA: gender / children / vulnerable-persons analysis report."""

from models.enums import ProductType
from rules import facts_plan
from rules.product_types import (
    Kpi10Rule,
    ProductTypeSpec,
    ReviewUnit,
    no_further_structure,
    nobody_else,
)
from rules.product_types._kpi10 import never

SPEC = ProductTypeSpec(
    code=ProductType.GA,
    label="Gender and children analysis report",
    plural="Gender and children analysis reports",
    template=(
        "summary",
        "scope_and_sources",
        "disaggregated_data",
        "data_gaps",
        "gender_norms_analysis",
        "vulnerable_groups",
        "recommendations",
    ),
    structure=no_further_structure,
    facts=(facts_plan.factors, facts_plan.analysis_table),
    fact_defaults=(),
    scanned_fields=(),
    kpi10=Kpi10Rule(relevance=never("GA")),
    kpi11_charges=False,
    review_unit=ReviewUnit.GCU,
    conflicted_staff=nobody_else,
)
