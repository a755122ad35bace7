"""What the pages and the API read about a product, from the data layer (never from Temporal, so
reading works while the review service is down): versions, findings grouped by severity, the diff
between versions and which findings a new version resolved, the audit history."""

import difflib
from dataclasses import dataclass, field

from sqlmodel import Session, select

from models import review_policy
from models.enums import SEVERITY_ORDER, ReviewAction
from models.tables import Finding, Product, ProductVersion, Review, Staff, Team, TeamMember
from store import audit as audit_store
from store import findings as finding_store
from store import products as product_store
from store import reviews as review_store
from web.access import Principal, case_of

SEVERITY_LABELS = {"blocking": "Blocking", "major": "Major", "minor": "Minor", "advisory": "Advisory"}


@dataclass
class FindingGroup:
    severity: str
    label: str
    findings: list[Finding]


@dataclass
class VersionDiff:
    old: ProductVersion
    new: ProductVersion
    lines: list[tuple[str, str]]  # (kind: add | del | hunk | ctx | meta, text)
    resolved: list[Finding] = field(default_factory=list)  # fired on old, not on new
    new_findings: list[Finding] = field(default_factory=list)  # fired on new, not on old
    still_open: list[Finding] = field(default_factory=list)


def document_text(version: ProductVersion) -> str:
    from store.retention import is_purged

    if is_purged(version):
        return f"(This document was removed under the data-retention policy; its SHA-256 was {version.sha256}.)"
    if version.check_text:
        return version.check_text
    return version.content.decode("utf-8", errors="replace")


def versions(session: Session, product_id: str) -> list[ProductVersion]:
    return product_store.list_versions(session=session, product_id=product_id)


def version(session: Session, product_id: str, version_no: int | None) -> ProductVersion | None:
    product = session.get(Product, product_id)
    if product is None:
        return None
    no = version_no if version_no is not None else product.current_version_no
    return product_store.get_version_by_no(session=session, product_id=product_id, version_no=no)


def grouped_findings(findings: list[Finding]) -> list[FindingGroup]:
    groups = []
    for severity in SEVERITY_ORDER:
        members = [f for f in findings if f.severity == severity]
        if members:
            groups.append(FindingGroup(str(severity), SEVERITY_LABELS[str(severity)], members))
    return groups


def findings_of(session: Session, version: ProductVersion) -> list[Finding]:
    return finding_store.list_for_version(session=session, version_id=version.id)


def current_findings(session: Session, product_id: str) -> list[Finding]:
    current = version(session, product_id, None)
    return findings_of(session, current) if current is not None else []


def reviewers_for(session: Session, product: Product) -> list[Staff]:
    """Whom the GCU head may assign this product to, as the review policy says: GCU reviewers outside its team."""
    staff_of_team = set(session.exec(select(TeamMember.staff_id).where(TeamMember.team_id == product.team_id)))
    team = session.get(Team, product.team_id)
    if team is not None:
        staff_of_team |= {team.leader_id, team.sgbc_focal_point_id, team.cac_focal_point_id} - {None}
    case = case_of(product)
    people = session.exec(select(Staff).where(Staff.active).order_by(Staff.id)).all()
    return [s for s in people if review_policy.assignable(
        review_policy.Person.of(s.id, s.roles or (), [product.team_id] if s.id in staff_of_team else ()), case).allowed]


def review_of(session: Session, product_id: str) -> Review | None:
    return review_store.get_review(session=session, product_id=product_id)


def diff_versions(session: Session, old: ProductVersion, new: ProductVersion) -> VersionDiff:
    raw = difflib.unified_diff(
        document_text(old).split("\n"), document_text(new).split("\n"),
        fromfile=f"version {old.version_no} ({old.version_label})", tofile=f"version {new.version_no} ({new.version_label})",
        lineterm="", n=3,
    )
    lines: list[tuple[str, str]] = []
    for line in raw:
        if line.startswith(("---", "+++")):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append((kind, line))
    old_f = {f.rule_id: f for f in findings_of(session, old)}
    new_f = {f.rule_id: f for f in findings_of(session, new)}
    return VersionDiff(
        old=old, new=new, lines=lines,
        resolved=[f for rid, f in old_f.items() if rid not in new_f],
        new_findings=[f for rid, f in new_f.items() if rid not in old_f],
        still_open=[f for rid, f in new_f.items() if rid in old_f],
    )


def audit_history(session: Session, product_id: str):
    return audit_store.list_events(session=session, product_id=product_id)


def products_for(session: Session, principal: Principal, *, team_ids: frozenset[str] | None = None) -> list[tuple[Product, Review | None]]:
    """Products this person may see (optionally only some teams), newest first."""
    query = select(Product, Review).join(Review, Review.product_id == Product.id, isouter=True)
    visible = principal.visible_team_ids()
    if visible is not None:
        query = query.where(Product.team_id.in_(sorted(visible)))
    if team_ids is not None:
        query = query.where(Product.team_id.in_(sorted(team_ids)))
    query = query.order_by(Product.created_at.desc(), Product.id)
    return [(p, r) for p, r in session.exec(query)]


def actions_for(principal: Principal, product: Product, review: Review | None, findings=None) -> set[ReviewAction]:
    """The buttons to show: what the review policy allows this person now. `findings`: the current
    version's (approving and dismissing depend on them). The workflow judges again when one is pressed."""
    if review is None:
        return set()
    return review_policy.allowed_actions(principal.person(), case_of(product, review, findings))


def refusal_of(principal: Principal, action: ReviewAction, product: Product, review: Review | None, findings=None) -> str:
    """Why the review policy does not let this person take `action` now ('' when it does): shown
    beside the actions that are offered, e.g. why approval is not among them yet."""
    if review is None:
        return ""
    return review_policy.decide(action, principal.person(), case_of(product, review, findings)).reason


def comments_of(session: Session, product_id: str):
    """The comments on a product's review, oldest first: COMMENT events of its audit trail (the
    workflow's history as recorded), the text in `reason`."""
    return [e for e in audit_history(session, product_id) if e.action == ReviewAction.COMMENT]
