"""What the pages and the API read about a product, from the data layer (never from Temporal, so
reading works while the review service is down): versions, findings grouped by severity, the diff
between versions and which findings a new version resolved, the audit history."""

import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import review_policy
from models.enums import SEVERITY_ORDER, FindingState, ReviewAction, ReviewState, Verdict
from models.tables import Decision, Finding, Product, ProductVersion, Review, Staff, Team, TeamMember, stored_id
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
    return finding_store.list_for_version(session=session, version_id=stored_id(version))


def current_findings(session: Session, product_id: str) -> list[Finding]:
    current = version(session, product_id, None)
    return findings_of(session, current) if current is not None else []


def reviewers_for(session: Session, product: Product) -> list[Staff]:
    """Whom the GCU head may assign this product to, as the review policy says: GCU reviewers outside its team."""
    staff_of_team = set(session.exec(select(TeamMember.staff_id).where(TeamMember.team_id == product.team_id)))
    team = session.get(Team, product.team_id)
    if team is not None:
        staff_of_team |= {s for s in (team.leader_id, team.sgbc_focal_point_id, team.cac_focal_point_id) if s}
    case = case_of(product)
    people = session.exec(select(Staff).where(Staff.active).order_by(Staff.id)).all()
    return [
        s
        for s in people
        if review_policy.assignable(
            review_policy.Person.of(s.id, s.roles or (), [product.team_id] if s.id in staff_of_team else ()), case
        ).allowed
    ]


def review_of(session: Session, product_id: str) -> Review | None:
    return review_store.get_review(session=session, product_id=product_id)


def diff_versions(session: Session, old: ProductVersion, new: ProductVersion) -> VersionDiff:
    raw = difflib.unified_diff(
        document_text(old).split("\n"),
        document_text(new).split("\n"),
        fromfile=f"version {old.version_no} ({old.version_label})",
        tofile=f"version {new.version_no} ({new.version_label})",
        lineterm="",
        n=3,
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
        old=old,
        new=new,
        lines=lines,
        resolved=[f for rid, f in old_f.items() if rid not in new_f],
        new_findings=[f for rid, f in new_f.items() if rid not in old_f],
        still_open=[f for rid, f in new_f.items() if rid in old_f],
    )


def audit_history(session: Session, product_id: str):
    return audit_store.list_events(session=session, product_id=product_id)


def _products_query(
    principal: Principal,
    *,
    team_ids: frozenset[str] | None,
    states: list[str] | None,
    overdue: bool,
    escalated: bool,
    since,
    until,
):
    query = select(Product, Review).join(Review, col(Review.product_id) == col(Product.id), isouter=True)
    visible = principal.visible_team_ids()
    if visible is not None:
        query = query.where(col(Product.team_id).in_(sorted(visible)))
    if team_ids is not None:
        query = query.where(col(Product.team_id).in_(sorted(team_ids)))
    if states is not None:
        query = query.where(col(Review.state).in_(states))
    if overdue:
        query = query.where(review_store._overdue_clause(datetime.now(UTC)))
    if escalated:
        query = query.where(review_store.escalated_clause())
    if since is not None:
        query = query.where(Product.created_at >= since)
    if until is not None:
        query = query.where(Product.created_at < until)
    return query


def products_for(
    session: Session,
    principal: Principal,
    *,
    team_ids: frozenset[str] | None = None,
    states: list[str] | None = None,
    overdue: bool = False,
    escalated: bool = False,
    since=None,
    until=None,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[Product, Review | None]]:
    """Products this person may see (optionally only some teams, review states, overdue or escalated
    ones, or submitted within [since, until)), newest first; `limit` of them from `offset`."""
    query = _products_query(
        principal,
        team_ids=team_ids,
        states=states,
        overdue=overdue,
        escalated=escalated,
        since=since,
        until=until,
    ).order_by(col(Product.created_at).desc(), col(Product.id))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(p, r) for p, r in session.exec(query)]


def count_products_for(
    session: Session,
    principal: Principal,
    *,
    team_ids: frozenset[str] | None = None,
    states: list[str] | None = None,
    overdue: bool = False,
    escalated: bool = False,
    since=None,
    until=None,
) -> int:
    """How many products products_for would list without a limit."""
    query = _products_query(
        principal,
        team_ids=team_ids,
        states=states,
        overdue=overdue,
        escalated=escalated,
        since=since,
        until=until,
    )
    return session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()


def actions_for(principal: Principal, product: Product, review: Review | None, findings=None) -> set[ReviewAction]:
    """The buttons to show: what the review policy allows this person now. `findings`: the current
    version's (approving and dismissing depend on them). The workflow judges again when one is pressed."""
    if review is None or review.workflow_ended:
        return set()  # a stopped workflow takes no action until an operator restarts it
    return review_policy.allowed_actions(principal.person(), case_of(product, review, findings))


def refusal_of(
    principal: Principal, action: ReviewAction, product: Product, review: Review | None, findings=None
) -> str:
    """Why the review policy does not let this person take `action` now ('' when it does): shown
    beside the actions that are offered, e.g. why approval is not among them yet."""
    if review is None:
        return ""
    return review_policy.decide(action, principal.person(), case_of(product, review, findings)).reason


def comments_of(session: Session, product_id: str):
    """The comments on a product's review, oldest first: COMMENT events of its audit trail (the
    workflow's history as recorded), the text in `reason`."""
    return [e for e in audit_history(session, product_id) if e.action == ReviewAction.COMMENT]


# ---------------------------------------------------------------- reasons and readiness (issue 13)


@dataclass
class DecisionReason:
    """The last return or escalation of a product, shown where the next person acts."""

    kind: str  # return | escalate
    reason: str
    reviewer_id: str | None
    reviewer_name: str
    decided_at: object
    version_no: int


def last_decision_reason(
    session: Session, product_id: str, kind: str, *, before_version_no: int | None = None
) -> DecisionReason | None:
    """The newest `kind` decision of the product (optionally only on versions before a number)."""
    query = (
        select(Decision, col(ProductVersion.version_no))
        .join(ProductVersion, col(ProductVersion.id) == col(Decision.version_id))
        .where(Decision.product_id == product_id, Decision.decision == kind)
    )
    if before_version_no is not None:
        query = query.where(ProductVersion.version_no < before_version_no)
    row = session.exec(query.order_by(col(Decision.decided_at).desc(), col(Decision.id).desc()).limit(1)).first()
    if row is None:
        return None
    decision, version_no = row
    names = staff_names(session, [decision.reviewer_id])
    return DecisionReason(
        kind,
        decision.reason or "",
        decision.reviewer_id,
        names.get(decision.reviewer_id or "", decision.reviewer_id or "the GCU"),
        decision.decided_at,
        version_no,
    )


# Built once: every queue page names its reviewers.
_STAFF_NAMES = select(col(Staff.id), col(Staff.name)).where(col(Staff.id).in_(sa.bindparam("ids", expanding=True)))


def staff_names(session: Session, ids) -> dict[str, str]:
    """staff id -> name, for the ids given (one query)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    # On the connection: through the ORM's execution path a list of names cost four times the query.
    return {sid: name or sid for sid, name in session.connection().execute(_STAFF_NAMES, {"ids": wanted})}


def all_staff_names(session: Session) -> dict[str, str]:
    return {sid: name or sid for sid, name in session.exec(select(Staff.id, Staff.name))}


@dataclass
class Readiness:
    """How far the review of the shown version is: findings handled, and what still blocks approval."""

    total: int
    handled: int
    blockers: list[Finding]
    format_error: bool

    @property
    def approval_blocked_because(self) -> str:
        if self.format_error:
            return "The version has format errors: it can only be returned."
        if self.blockers:
            n = len(self.blockers)
            return (
                f"{n} blocking or major finding{'s' if n != 1 else ''} not dismissed: "
                + ", ".join(f.title or f.rule_id for f in self.blockers)
                + "."
            )
        return ""


def readiness(findings: list[Finding], verdict: str | None) -> Readiness:
    from workflows.findings import APPROVAL_BLOCKING_SEVERITIES  # the workflow's own rule (requirements.md §1.5)

    open_ = [f for f in findings if f.state == FindingState.OPEN]
    return Readiness(
        total=len(findings),
        handled=len(findings) - len(open_),
        blockers=[f for f in open_ if f.severity in APPROVAL_BLOCKING_SEVERITIES],
        format_error=verdict == Verdict.FORMAT_ERROR,
    )


def reasons_for(session: Session, product_id: str, review: Review | None, shown: ProductVersion | None) -> dict:
    """The reasons the next person acts on: why it was returned (while returned), why it was
    escalated (while escalated), and why the previous version went back (on a later version)."""
    state = review.state if review else None
    previous = None
    if shown is not None and shown.version_no > 1 and state != ReviewState.RETURNED:
        previous = last_decision_reason(session, product_id, "return", before_version_no=shown.version_no)
    return {
        "return_reason": last_decision_reason(session, product_id, "return") if state == ReviewState.RETURNED else None,
        "escalation_reason": last_decision_reason(session, product_id, "escalate")
        if state == ReviewState.ESCALATED
        else None,
        "previous_return": previous,
    }
