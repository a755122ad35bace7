"""Comparing two rule packs and two judgements of one product (pure: `gcu-review rules impact`)."""

from __future__ import annotations

from models.findings import CheckResult
from models.impact import FindingChange, ProductImpact
from rules.loader import LoadedPack


def _definition(rule) -> dict:
    """What a rule decides and how it is cited; its examples and wording of the fix are left out."""
    return rule.rule.model_dump(exclude={"examples", "fix", "title"}, mode="json")


def changed_rules(active: LoadedPack, candidate: LoadedPack) -> dict[str, str]:
    """rule id -> "new" or "changed", for the candidate's rules that differ from the active pack's.
    A contract change (another definition of non-empty, valid reason, trigger text...) changes what
    every rule reads, so between contracts only a rule whose definition is identical is unchanged."""
    before = {r.rule.id: _definition(r) for r in active.rules}
    out = {}
    for rule in candidate.rules:
        rid = rule.rule.id
        if rid not in before:
            out[rid] = "new"
        elif before[rid] != _definition(rule):
            out[rid] = "changed"
    return out


def compare(
    *,
    product_id: str,
    product_type: str,
    team_id: str,
    version_no: int,
    judged_by: str | None,
    verdict_before: str | None,
    findings_before: list[tuple[str, str, str]],
    after: CheckResult,
    review_state: str | None = None,
) -> ProductImpact:
    """`findings_before`: (rule id, severity, state) of the stored version's findings."""
    before = {rid: (sev, state) for rid, sev, state in findings_before}
    now = {f.rule_id: str(f.severity) for f in after.findings}
    return ProductImpact(
        product_id=product_id,
        product_type=product_type,
        team_id=team_id,
        version_no=version_no,
        judged_by=judged_by,
        review_state=review_state,
        verdict_before=verdict_before,
        verdict_after=after.verdict,
        added=[FindingChange(rule_id=rid, severity=sev) for rid, sev in now.items() if rid not in before],
        removed=[
            FindingChange(rule_id=rid, severity=sev, state=state)
            for rid, (sev, state) in before.items()
            if rid not in now
        ],
        severity_changed=[
            f"{rid}: {before[rid][0]} -> {sev}" for rid, sev in now.items() if rid in before and before[rid][0] != sev
        ],
    )
