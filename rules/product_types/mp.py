"""MP: mission plan (format §2.2, §2.15)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.enums import ProductType
from rules import facts_mp
from rules.product_types import Kpi10Rule, ProductTypeSpec, ReviewUnit, nobody_else
from rules.product_types._kpi10 import planned_witnesses
from rules.text import as_date

if TYPE_CHECKING:
    from rules.product import _Checker


def structure(c: _Checker) -> None:
    c.witnesses()
    mission = c.mapping(("mission",))
    if mission is not None:
        c.date(mission, ("mission", "start"))
        c.date(mission, ("mission", "end"))
        start, end = as_date(mission.get("start")), as_date(mission.get("end"))
        if start and end and end < start:
            c.error(("mission", "end"), "mission.end is before mission.start")


SPEC = ProductTypeSpec(
    code=ProductType.MP,
    label="Mission plan",
    plural="Mission plans",
    template=(
        "summary",
        "objectives",
        "witness_profiles",
        "team_composition",
        "schedule_and_pacing",
        "witness_safety",
        "staff_security",
        "support_and_referrals",
        "data_handling",
        "staff_welfare",
    ),
    structure=structure,
    facts=(facts_mp.build,),
    fact_defaults=(facts_mp.defaults,),
    scanned_fields=(),
    kpi10=Kpi10Rule(relevance=planned_witnesses, execution_date=("mission", "start")),
    kpi11_charges=False,
    review_unit=ReviewUnit.GCU,
    conflicted_staff=nobody_else,
)
