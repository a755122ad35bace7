"""The rule engine's output (requirements.md §1.2, §1.7) as pydantic models."""

from pydantic import BaseModel, Field

from models.enums import Severity, Verdict


class Finding(BaseModel):
    rule_id: str
    severity: Severity
    message: str
    citation: str
    location: str
    fix: str = ""
    title: str = ""
    pack_version: str = ""


class FormatErrorEntry(BaseModel):
    line: int | None = None
    field: str | None = None
    message: str


class CheckResult(BaseModel):
    """One checked file; `model_dump(include=JSON_FIELDS)` is the object of requirements.md §1.7."""

    file: str
    product_id: str | None = None
    verdict: Verdict
    findings: list[Finding] = Field(default_factory=list)
    errors: list[FormatErrorEntry] = Field(default_factory=list)
    pack_version: str = ""


JSON_FINDING_FIELDS = {"rule_id", "severity", "message", "citation", "location"}


def verdict_for(findings: list[Finding], dismissed_rule_ids: frozenset[str] = frozenset()) -> Verdict:
    """requirements.md §1.5: the verdict counts every finding that is not dismissed."""
    return verdict_from_severities({f.severity for f in findings if f.rule_id not in dismissed_rule_ids})


def verdict_from_severities(severities: set[Severity]) -> Verdict:
    """requirements.md §1.5, from the severities of the findings that count."""
    if Severity.BLOCKING in severities:
        return Verdict.BLOCKED
    if Severity.MAJOR in severities:
        return Verdict.REVISE
    if Severity.MINOR in severities:
        return Verdict.APPROVABLE_WITH_NOTES
    return Verdict.CLEAN
