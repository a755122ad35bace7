"""KPI definitions and targets (requirements.md §7: "defaults [D] the GCU can configure").

Defaults follow §7; a YAML file (env KPI_CONFIG_FILE, or `--config` on the CLI) overrides any field:

    kpi10: {target: 1.0, decision_cutoff_days_after_period: 0}
    kpi11: {target: 0.8, include_underlying_conduct: false}
    kpi12: {target: 0.9}
    spu: {late_after_days: 14}

Every report carries the definition it used (`KpiConfig.model_dump()` of its section).
"""

import os
from pathlib import Path

from pydantic import BaseModel, Field


class Kpi10Config(BaseModel):
    title: str = "GCU engagement of Unified Teams"
    citation: str = "requirements.md §7.1 [D]; Annex 1 KPI 10"
    target: float | None = 1.0
    default_period: str = "quarter"
    # Reviewer decisions that count as engagement (§1.6 "reviewer decision"); an escalation is not one.
    engagement_decisions: list[str] = Field(default_factory=lambda: ["approve", "return"])
    # CH/CS relevant through an R_* trigger in the trigger text (§7.1), besides SGBC/CAC counts.
    trigger_text_makes_relevant: bool = True
    # None: a decision at any time counts for a product without an execution date (§7.1 as written);
    # N: it must come at the latest N days after the period's last day.
    decision_cutoff_days_after_period: int | None = None
    late_list_limit: int = 200


class Kpi11Config(BaseModel):
    title: str = "SGBC and CAC charges presented and granted"
    citation: str = "requirements.md §7.2 [D]; Annex 1 KPI 11"
    target: float | None = None  # a grant-rate target, when the GCU sets one
    default_period: str = "year"
    # sgbc_basis `underlying_conduct` (e.g. torture by rape) counts as SGBC (§7.2 re-run switch).
    include_underlying_conduct: bool = True


class Kpi12Config(BaseModel):
    title: str = "Certified staff"
    citation: str = "requirements.md §7.3, §6.3 role matrix [D]; Annex 1 KPI 12"
    target: float | None = 1.0
    default_period: str = "quarter"


class SpuConfig(BaseModel):
    """The SPU indicator (contract v2 §6.1 [D], every choice configurable)."""

    title: str = "Vulnerable witnesses interviewed with psychosocial support"
    citation: str = "contract v2 §6.1 [D]; OTP Strategic Plan ¶63 [V]"
    target: float | None = None  # the SPU sets one when it has a baseline
    default_period: str = "quarter"
    # An IR whose VUL-IR-04 finding the SPU reviewer dismissed with a reason counts in N.
    dismissed_support_finding_counts: bool = True
    late_after_days: int = 14  # filed late: product.submitted_on more than this after record.date
    list_limit: int = 200


class KpiConfig(BaseModel):
    kpi10: Kpi10Config = Field(default_factory=Kpi10Config)
    kpi11: Kpi11Config = Field(default_factory=Kpi11Config)
    kpi12: Kpi12Config = Field(default_factory=Kpi12Config)
    spu: SpuConfig = Field(default_factory=SpuConfig)


CONFIG_ENV = "KPI_CONFIG_FILE"


def load_kpi_config(path: Path | str | None = None) -> KpiConfig:
    path = path or os.environ.get(CONFIG_ENV)
    if not path:
        return KpiConfig()
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8")) or {}
    return KpiConfig.model_validate(data)
