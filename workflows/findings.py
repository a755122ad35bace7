"""Findings as the workflow keeps them (FindingView): verdict and approval blockers, requirements.md §1.5."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.enums import FindingState, Severity, Verdict
    from models.findings import verdict_from_severities
    from models.messages import FindingView

# requirements.md §1.5: "A reviewer cannot approve a product with an undismissed blocking or major finding."
APPROVAL_BLOCKING_SEVERITIES = frozenset({Severity.BLOCKING, Severity.MAJOR})


def counted(findings: list[FindingView]) -> list[FindingView]:
    """Findings that count towards the verdict: dismissed (false positive) and resolved ones do not."""
    return [f for f in findings if f.state == FindingState.OPEN]


def verdict_for_views(findings: list[FindingView], current: Verdict | None = None) -> Verdict:
    """models.findings.verdict_for over FindingView; a format error stays a format error."""
    if current == Verdict.FORMAT_ERROR:
        return current
    return verdict_from_severities({f.severity for f in counted(findings)})


def approval_blockers(findings: list[FindingView]) -> list[FindingView]:
    return [f for f in counted(findings) if f.severity in APPROVAL_BLOCKING_SEVERITIES]


def open_findings_for_rule(findings: list[FindingView], rule_id: str) -> list[FindingView]:
    return [f for f in findings if f.rule_id == rule_id and f.state == FindingState.OPEN]
