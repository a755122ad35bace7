"""Findings of the pre-check, one row per rule per version (requirements.md §1.2: at most one finding
per rule per product), keyed by the stable id f"{product_id}:v{version_no}:{rule_id}"."""

from datetime import datetime

from sqlmodel import Session, col, select

from models.enums import FindingState
from models.findings import Finding as EngineFinding
from models.messages import FindingView
from models.tables import Finding, ProductVersion, stored_id
from store.errors import NotFound


def finding_key(product_id: str, version_no: int, rule_id: str) -> str:
    return f"{product_id}:v{version_no}:{rule_id}"


def to_view(row: Finding) -> FindingView:
    return FindingView.model_validate(row, from_attributes=True)


def list_for_version(*, session: Session, version_id: int) -> list[Finding]:
    return list(session.exec(select(Finding).where(col(Finding.version_id) == version_id).order_by(col(Finding.id))))


def record_findings(
    *, session: Session, version: ProductVersion, findings: list[EngineFinding], at: datetime
) -> list[Finding]:
    """Store the engine's findings for `version`; a rerun (an activity retry) writes nothing twice and
    keeps any dismissal. Open findings of earlier versions whose rule no longer fires are resolved."""
    existing = {f.finding_id: f for f in list_for_version(session=session, version_id=stored_id(version))}
    for finding in findings:
        key = finding_key(version.product_id, version.version_no, finding.rule_id)
        if key in existing:
            continue
        row = Finding(
            finding_id=key,
            product_id=version.product_id,
            version_id=stored_id(version),
            rule_id=finding.rule_id,
            severity=str(finding.severity),
            message=finding.message,
            citation=finding.citation,
            location=finding.location,
            fix=finding.fix,
            title=finding.title,
            pack_version=finding.pack_version,
        )
        session.add(row)
        existing[key] = row
    if version.version_no > 1:  # a first version has no earlier findings to resolve
        fired = {f.rule_id for f in findings}
        earlier = session.exec(
            select(Finding)
            .join(ProductVersion, col(ProductVersion.id) == col(Finding.version_id))
            .where(
                Finding.product_id == version.product_id,
                ProductVersion.version_no < version.version_no,
                Finding.state == FindingState.OPEN,
            )
        )
        for row in earlier:
            if row.rule_id not in fired:
                row.state = FindingState.RESOLVED
                row.resolved_at = at
    session.flush()
    # The version's rows, as list_for_version orders them: those read above and those just
    # written (the flush gave them their ids), without reading them back.
    return sorted(existing.values(), key=lambda row: stored_id(row))


def dismiss(
    *, session: Session, finding_id: str, dismissed_by: str | None, reason: str | None, at: datetime
) -> Finding:
    """Mark a finding as a false positive. Dismissing it again (a retry) changes nothing."""
    row = session.exec(select(Finding).where(Finding.finding_id == finding_id)).one_or_none()
    if row is None:
        raise NotFound(f"no finding {finding_id}")
    if row.state != FindingState.DISMISSED:
        row.state = FindingState.DISMISSED
        row.dismissed_by = dismissed_by
        row.dismissal_reason = reason
        row.dismissed_at = at
        session.flush()
    return row
