"""The shape every KPI reports: numerator, denominator, value, target, status, breakdowns, and the
definition it used (requirements.md §7: "the report always states which definition it used")."""

from typing import Any

from pydantic import BaseModel, Field

from store.kpi.periods import Period


class BreakdownRow(BaseModel):
    key: str  # team id, situation, certification, role, stage...
    numerator: int
    denominator: int
    value: float | None
    extra: dict[str, Any] = Field(default_factory=dict)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def status_of(value: float | None, target: float | None) -> str:
    if value is None:
        return "no data"
    if target is None:
        return "no target"
    return "met" if value >= target - 1e-12 else "not met"


class KpiResult(BaseModel):
    kpi: str  # "10" | "11" | "12" | "SPU"
    title: str
    citation: str
    period: Period
    scope: str = "all"  # all | team:<id> | situation:<name> | team:<id>,situation:<name>
    numerator: int
    denominator: int
    value: float | None
    target: float | None
    status: str
    measure: str  # what numerator/denominator count, in words
    definition: dict[str, Any] = Field(default_factory=dict)
    breakdowns: dict[str, list[BreakdownRow]] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)


KPI_NAMES = {"SPU": "SPU indicator"}  # contract v2 §6.1: an indicator of the SPU, not a numbered KPI


def kpi_name(kpi: str) -> str:
    """How people call a result: "KPI 10", "SPU indicator"."""
    return KPI_NAMES.get(kpi, f"KPI {kpi}")


def scope_of(team_id: str | None, situation: str | None) -> str:
    parts = ([f"team:{team_id}"] if team_id else []) + ([f"situation:{situation}"] if situation else [])
    return ",".join(parts) or "all"
