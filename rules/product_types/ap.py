"""AP: annual plan (format §2.16)."""

from models.enums import ProductType
from rules import facts_plan
from rules.product_types import (
    Kpi10Rule,
    ProductTypeSpec,
    ReviewUnit,
    no_further_structure,
    nobody_else,
)
from rules.product_types._kpi10 import always

SPEC = ProductTypeSpec(
    code=ProductType.AP,
    label="Annual plan",
    plural="Annual plans",
    template=(
        "summary",
        "objectives",
        "resources",
        "training_and_certification",
        "gcu_review",
        "cso_survivor_engagement",
    ),
    structure=no_further_structure,
    facts=(facts_plan.annual,),
    fact_defaults=(),
    scanned_fields=(),
    kpi10=Kpi10Rule(relevance=always("AP")),
    kpi11_charges=False,
    review_unit=ReviewUnit.GCU,
    conflicted_staff=nobody_else,
)
