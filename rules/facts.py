"""The per-product context the CEL conditions read: a flat dict of qualified names
(`witness.is_child`, `sec.consent.present`) computed in Python from the product and the roster.

Every name exists for every product (neutral default when the type does not read it), so the CEL
environment can declare them all and reject an undeclared name when a pack is loaded.
Absent values are None (CEL null): `x == true` is then false, as the contract's comparisons say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rules import facts_plan
from rules.certs import RosterIndex
from rules.product import Product
from rules.product_types import all_specs, spec_for
from rules.scan import Unit, scanned_units
from rules.sections import SECTION_HEADINGS
from rules.text import (
    as_map,
    invokes_corroboration,
    is_non_empty,
    is_non_empty_v2,
    is_valid_reason,
    is_valid_reason_v2,
)

SV = [
    "rape",
    "sexual_slavery",
    "enforced_prostitution",
    "forced_pregnancy",
    "enforced_sterilization",
    "other_sexual_violence",
]
SGBC_TAGS = SV + ["forced_marriage", "gender_persecution"]
CAC_TAGS = [
    "child_recruitment",
    "forcible_transfer_children",
    "deportation_children",
    "child_trafficking",
    "attacks_on_education",
    "attacks_on_health_care",
]
OTHER_TAGS = [
    "enslavement",
    "murder",
    "extermination",
    "torture",
    "cruel_treatment",
    "mutilation",
    "imprisonment",
    "deportation_transfer",
    "persecution_other",
    "other_inhumane_acts",
    "outrages_on_dignity",
    "attacks_on_civilians",
    "pillage",
    "destruction_of_property",
]
CRIME_TAGS = SGBC_TAGS + CAC_TAGS + OTHER_TAGS
EXCLUSION_KEYS = [
    "sgbc",
    "cac",
    "sexual_violence",
    "gender_persecution",
    "forced_marriage",
    "enslavement",
    "forced_pregnancy",
    "child_recruitment",
]
MIN_WORDS = 40


class _AllNames(frozenset):
    def __contains__(self, item: object) -> bool:
        return True


@dataclass
class Regexes:
    """The pack's named regexes (requirements.md §3), compiled with IGNORECASE."""

    named: dict[str, re.Pattern[str]]
    conduct: list[re.Pattern[str]]  # P_SGBC_CONDUCT, which also disqualifies a valid reason
    used: frozenset[str] = frozenset()  # context names some expression reads (None = all)
    v2: bool = False  # the pack implements contract v2: its definitions of non-empty, valid reason...

    def __post_init__(self) -> None:
        if not self.used:
            self.used = _AllNames()

    def valid_reason(self, value: Any) -> bool:
        if self.v2:
            return is_valid_reason_v2(
                value, self.named["R_CORROBORATION"], self.named["R_CORROBORATION_DISCLAIMER"], self.conduct
            )
        return is_valid_reason(value, [self.named["R_CORROBORATION"], *self.conduct])

    def non_empty(self, value: Any) -> bool:
        return is_non_empty_v2(value) if self.v2 else is_non_empty(value)

    def invokes_corroboration(self, text: str) -> bool:
        """v1: R_CORROBORATION matches; v2 §3.4: a match that no disclaimer overlaps."""
        if self.v2:
            return invokes_corroboration(text, self.named["R_CORROBORATION"], self.named["R_CORROBORATION_DISCLAIMER"])
        return bool(self.named["R_CORROBORATION"].search(text))


@dataclass
class Inputs:
    product: Product
    roster: RosterIndex
    rx: Regexes
    _units: list[Unit] | None = None

    def units(self) -> list[Unit]:
        """The scanned text (format §5.2), computed once per product."""
        if self._units is None:
            self._units = scanned_units(self.product)
        return self._units


def pattern_var(rule_id: str) -> str:
    return "patterns." + rule_id.replace("-", "_")


def default_context(regex_names: list[str], pattern_rules: list[str]) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "product.type": "",
        "product.audience": "",
        "product.team": "",
        "product.submitted_on": None,
        "tags.sv": SV,
        "tags.sgbc": SGBC_TAGS,
        "tags.cac": CAC_TAGS,
    }
    for key in SECTION_HEADINGS:
        ctx.update({f"sec.{key}.exists": False, f"sec.{key}.words": 0, f"sec.{key}.present": False})
    for key in EXCLUSION_KEYS:
        ctx[f"exclusions.{key}.valid"] = False
    for name in regex_names:
        if name.startswith("R_"):
            ctx[f"trigger.{name}"] = False
        if name.startswith("F_"):
            ctx[f"factors.body.{name}"] = False
            ctx[f"factors.scanned.{name}"] = False
    for rule_id in pattern_rules:
        ctx[f"{pattern_var(rule_id)}.hits"] = 0
        ctx[f"{pattern_var(rule_id)}.location"] = ""
        ctx[f"{pattern_var(rule_id)}.matches"] = []
    ctx.update(facts_plan.defaults())
    for defaults in dict.fromkeys(d for spec in all_specs() for d in spec.fact_defaults):
        ctx.update(defaults())
    ctx.update({"quoted.hits": 0, "quoted.location": ""})  # LANG-04 (contract v2 §1.7, §4.2)
    return ctx


def build_context(inp: Inputs, base: dict[str, Any]) -> dict[str, Any]:
    p = inp.product
    ctx = dict(base)
    product = p.group("product")
    ctx.update(
        {
            "product.type": p.type.value,
            "product.audience": p.audience.value,
            "product.team": product.get("team"),
            "product.submitted_on": product.get("submitted_on"),
        }
    )
    for key, section in p.body.sections.items():
        ctx[f"sec.{key}.exists"] = True
        ctx[f"sec.{key}.words"] = section.words
        ctx[f"sec.{key}.present"] = section.words >= MIN_WORDS
    spec = spec_for(p.type)
    if spec.reads_exclusions:
        exclusions = as_map(p.fm.get("exclusions"))
        for key in EXCLUSION_KEYS:
            ctx[f"exclusions.{key}.valid"] = inp.rx.valid_reason(exclusions.get(key))
    facts_plan.build(inp, ctx)
    for builder in spec.facts:
        builder(inp, ctx)
    return ctx


# The keys of the maps inside list facts (what `c.`, `w.`, `m.`, `f.` can read in CEL), with
# neutral defaults; rule examples may give only the keys that matter to them.
ITEM_DEFAULTS: dict[str, dict[str, Any]] = {
    "counts": {
        "index": 0,
        "label": "",
        "crime": None,
        "status": None,
        "active": False,
        "is_sgbc": None,
        "is_cac": None,
        "sgbc": False,
        "reason_valid": False,
        "reason_corroboration": False,
    },
    "mp.witnesses": {
        "index": 0,
        "label": "",
        "is_child": False,
        "is_sgbc": False,
        "is_sensitive": False,
        "interviewer_present": False,
        "interviewer_cac_adv": False,
        "interviewer_sgbc_adv": False,
        "is_vulnerable": False,
        "interpreter_present": False,
        "interpreter_sgbc_basic": False,
        "interpreter_cac_basic": False,
        "interpreter_sgbc_briefing": False,
        "interpreter_cac_briefing": False,
    },
    "mp.witness_id_defects": {"index": 0, "label": "", "location": "", "vulnerable": False},
    "team.required_unmet": {"staff": "", "cert": "", "label": ""},
    "record.bad_deviations": {"index": 0, "label": ""},
    "witness.needs_without_accommodation": {"index": 0, "label": ""},
    "witness.needs_unmet_unexplained": {"index": 0, "label": ""},
    "mission.team": {
        "index": 0,
        "label": "",
        "staff_present": False,
        "role": None,
        "sgbc_basic": False,
        "cac_basic": False,
        "sgbc_briefing": False,
        "cac_briefing": False,
    },
    "team.focal_points": {"id": "", "label": "", "sgbc_basic": False, "cac_basic": False},
    "team.staff_certs": {
        "staff": "",
        "cert": "",
        "label": "",
        "lapsed": False,
        "undated": False,
        "leader_or_focal_basic": False,
    },
}


def with_item_defaults(facts: dict[str, Any]) -> dict[str, Any]:
    out = dict(facts)
    for name, defaults in ITEM_DEFAULTS.items():
        if isinstance(out.get(name), list):
            out[name] = [{**defaults, **item} if isinstance(item, dict) else item for item in out[name]]
    return out
