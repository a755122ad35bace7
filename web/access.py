"""Who is signed in and what they may see: the one place the web pages and the API ask.

Roles come from the register (Staff.roles), team membership from Team/TeamMember (leader, focal
points, members: the team staff of product-format.md §9.1), and a Deputy Prosecutor's cluster from
Team.deputy_prosecutor_id. The account itself only adds `is_admin`.

Object checks answer "not found" (404) for an object the person may not see, so that changing an id
in a URL cannot even tell whether another team's product exists.
"""

from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import review_policy as policy
from models.enums import ReviewAction, ReviewState, StaffRole, Verdict
from models.summary_tables import ComplianceSummaryDetail
from models.tables import Product, Review, Staff, Team, TeamMember, stored_id
from models.web_tables import Account
from rules.product_types import ReviewUnit, codes_reviewed_by


def spu_product_types() -> list[str]:
    return codes_reviewed_by(ReviewUnit.SPU)


def gcu_product_types() -> list[str]:
    return codes_reviewed_by(ReviewUnit.GCU)


@dataclass(frozen=True)
class Principal:
    account_id: int
    username: str
    staff_id: str | None
    name: str
    roles: frozenset[str] = frozenset()
    team_ids: frozenset[str] = frozenset()  # teams whose team staff include this person
    cluster_team_ids: frozenset[str] = frozenset()  # teams whose Deputy Prosecutor this person is
    is_admin: bool = False
    via_token: bool = False
    csrf_token: str = ""

    # -------- roles
    @property
    def is_team_staff(self) -> bool:
        return bool(self.team_ids)

    @property
    def is_gcu_reviewer(self) -> bool:
        return StaffRole.GCU_REVIEWER in policy.roles_of(self.person())

    @property
    def is_gcu_head(self) -> bool:
        return StaffRole.GCU_HEAD in self.roles

    @property
    def is_deputy_prosecutor(self) -> bool:
        return StaffRole.DEPUTY_PROSECUTOR in self.roles

    @property
    def is_spu_officer(self) -> bool:
        """An officer of the Security and Protection Unit: reviews interview records (contract v2 §5.3)."""
        return StaffRole.SPU_OFFICER in self.roles

    @property
    def sees_all_teams(self) -> bool:
        return self.is_admin or self.is_gcu_reviewer

    @property
    def can_act(self) -> bool:
        """Workflow actions need a person of the register: a pure administrator only reads."""
        return self.staff_id is not None

    def person(self) -> policy.Person:
        """This person as the review policy sees them."""
        return policy.Person(self.staff_id, self.roles, self.team_ids, self.cluster_team_ids)

    def role_labels(self) -> list[str]:
        labels = []
        if self.is_admin:
            labels.append("administrator")
        if self.is_gcu_head:
            labels.append("GCU head")
        elif self.is_gcu_reviewer:
            labels.append("GCU reviewer")
        if self.is_deputy_prosecutor:
            labels.append("Deputy Prosecutor")
        if self.is_spu_officer:
            labels.append("SPU officer")
        if self.team_ids:
            labels.append("team " + ", ".join(sorted(self.team_ids)))
        return labels

    # -------- what they may see
    def visible_team_ids(self) -> frozenset[str] | None:
        """None: every team."""
        if self.sees_all_teams:
            return None
        return self.team_ids | (self.cluster_team_ids if self.is_deputy_prosecutor else frozenset())

    def may_see_team(self, team_id: str) -> bool:
        visible = self.visible_team_ids()
        return visible is None or team_id in visible

    def may_see_product(self, team_id: str, product_type: str) -> bool:
        """SPU officers see the products the SPU reviews (interview records), of every team."""
        return self.may_see_team(team_id) or (self.is_spu_officer and product_type in spu_product_types())

    def may_see_spu_dashboard(self) -> bool:
        return self.is_admin or self.is_spu_officer or self.is_gcu_head

    def may_see_queue(self) -> bool:
        return self.is_admin or self.is_gcu_reviewer or self.is_spu_officer

    def queue_product_types(self) -> list[str] | None:
        """The types whose reviews this person's queue lists: the GCU's for GCU reviewers, the SPU's
        (interview records) for SPU officers; None: every type (the administrator)."""
        if self.is_admin:
            return None
        types = list(gcu_product_types()) if self.is_gcu_reviewer else []
        return types + (spu_product_types() if self.is_spu_officer else [])

    def may_see_dashboard(self) -> bool:
        return self.is_admin or self.is_gcu_head or self.is_deputy_prosecutor

    def may_see_rule_impact(self) -> bool:
        """What a candidate rule pack would change: the GCU head decides the roll-out."""
        return self.is_admin or self.is_gcu_head

    def may_see_certifications(self) -> bool:
        return self.is_admin or self.is_gcu_reviewer or self.is_deputy_prosecutor or self.is_team_staff

    def may_read_temporal_payloads(self) -> bool:
        """The Temporal Web UI's codec endpoint opens the payloads of every team's reviews."""
        return self.is_admin or self.is_gcu_reviewer

    def may_seal_temporal_payloads(self) -> bool:
        """Sealing a payload lets a request reach a review, naming any actor: operators only."""
        return self.is_admin

    def may_submit_for(self, team_id: str) -> bool:
        return policy.may_submit_for(self.person(), team_id)

    def may_submit(self) -> bool:
        """Whether this person submits products for some team (which one, the product says)."""
        return any(self.may_submit_for(team_id) for team_id in self.team_ids)

    def may_see_summaries(self) -> bool:
        return self.is_admin or self.is_gcu_head or self.is_deputy_prosecutor

    def summaries_owner(self) -> str | None:
        """Whose compliance summaries this person reads: None for everyone's (the GCU head, admin);
        a Deputy Prosecutor reads only their own, whoever heads their teams' clusters later."""
        if self.is_admin or self.is_gcu_head:
            return None
        return self.staff_id or ""

    def dashboard_team_ids(self) -> frozenset[str] | None:
        """The teams a dashboard covers: a Deputy Prosecutor's cluster; everything for the GCU head and admin."""
        if self.is_admin or self.is_gcu_head:
            return None
        return self.cluster_team_ids


_LOOK_UP = object()


def _teams_of_person() -> sa.Select:
    """One query (every request resolves its principal, so it is built once): the active teams a
    person works in (leader, focal point or member) and those they oversee as Deputy Prosecutor."""
    sid: sa.BindParameter[str] = sa.bindparam("staff_id", type_=sa.String)
    works_in = sa.or_(
        col(Team.leader_id) == sid,
        col(Team.sgbc_focal_point_id) == sid,
        col(Team.cac_focal_point_id) == sid,
        col(Team.id).in_(select(col(TeamMember.team_id)).where(col(TeamMember.staff_id) == sid)),
    )
    oversees = col(Team.deputy_prosecutor_id) == sid
    return select(Team.id, works_in.label("works_in"), oversees.label("oversees")).where(
        Team.active, sa.or_(works_in, oversees)
    )


_TEAMS_OF_PERSON = _teams_of_person()


def principal_for(
    session: Session,
    account: Account,
    *,
    via_token: bool = False,
    csrf_token: str = "",
    staff: Staff | None | object = _LOOK_UP,
) -> Principal:
    """`staff`: the account's register person when the caller has read it already (None: none)."""
    person: Staff | None
    if staff is _LOOK_UP:
        person = session.get(Staff, account.staff_id) if account.staff_id else None
    else:
        person = cast("Staff | None", staff)
    roles: frozenset[str] = frozenset(person.roles or []) if person is not None and person.active else frozenset()
    team_ids: frozenset[str] = frozenset()
    cluster: frozenset[str] = frozenset()
    if person is not None and person.active:
        # Plain rows on the connection: the ORM's execution path cost four times the query itself.
        rows = session.connection().execute(_TEAMS_OF_PERSON, {"staff_id": person.id}).all()
        team_ids = frozenset(team for team, works, _ in rows if works)
        cluster = frozenset(team for team, _, oversee in rows if oversee)
    return Principal(
        account_id=stored_id(account),
        username=account.username,
        staff_id=account.staff_id if person is not None and person.active else None,
        name=(person.name if person is not None else None) or account.username,
        roles=roles,
        team_ids=team_ids,
        cluster_team_ids=cluster,
        is_admin=account.is_admin,
        via_token=via_token,
        csrf_token=csrf_token,
    )


def visible_product(session: Session, principal: Principal, product_id: str) -> Product | None:
    """The product, or None when it does not exist or this person may not see it (both: 404)."""
    product = session.get(Product, product_id)
    if product is None or not principal.may_see_product(product.team_id, product.type):
        return None
    return product


def visible_summary(session: Session, principal: Principal, summary_id: int) -> ComplianceSummaryDetail | None:
    """A stored compliance summary, or None when it does not exist or is another Deputy Prosecutor's (both: 404)."""
    from summaries.store import get_summary

    summary = get_summary(session=session, summary_id=summary_id)
    if summary is None:
        return None
    owner = principal.summaries_owner()
    if owner is not None and summary.deputy_prosecutor_id != owner:
        return None
    return summary


# ---------------------------------------------------------------- review actions: the review policy decides


def case_of(product: Product, review: Review | None = None, findings=None) -> policy.Case:
    """The review as the policy sees it, from the data layer. `findings`: the current version's
    (approving and dismissing depend on them); None counts as none open."""
    return policy.Case(
        product_type=str(product.type),
        team_id=product.team_id,
        author_id=product.author_id,
        state=ReviewState(review.state) if review is not None else None,
        assignee=review.assignee_id if review is not None else None,
        open_findings=policy.open_findings(findings or ()),
        format_error=review is not None and review.verdict == Verdict.FORMAT_ERROR,
        conflicted=_conflicted(product),
    )


def cases_of_rows(session: Session, rows) -> list[policy.Case]:
    """The policy's view of many queue rows (store.reviews.queue_rows: a review with its product's
    author) in one query at most: the current versions' front matter, read only for the rows whose
    type names people who may not review it (interview records). The same Case as `case_of` gives
    for the row's product and review, no open findings read (nothing a row offers depends on them)."""
    from models.tables import ProductVersion
    from rules.product_types import conflicted_staff, nobody_else, spec_for

    naming = {r.product_id for r in rows if spec_for(r.product_type).conflicted_staff is not nobody_else}
    front_matter: dict[str, dict] = {}
    if naming:
        current = session.execute(
            select(col(ProductVersion.product_id), col(ProductVersion.front_matter))
            .join(
                Product,
                sa.and_(
                    col(Product.id) == col(ProductVersion.product_id),
                    col(Product.current_version_no) == col(ProductVersion.version_no),
                ),
            )
            .where(col(ProductVersion.product_id).in_(naming))
        )
        front_matter = {product_id: fm for product_id, fm in current}
    return [
        policy.Case(
            product_type=str(r.product_type),
            team_id=r.team_id,
            author_id=r.author_id,
            state=ReviewState(r.state),
            assignee=r.assignee_id,
            format_error=r.verdict == Verdict.FORMAT_ERROR,
            conflicted=conflicted_staff(r.product_type, front_matter.get(r.product_id) or {})
            if r.product_id in naming
            else frozenset(),
        )
        for r in rows
    ]


def _conflicted(product: Product) -> frozenset[str]:
    """Who the current version names that may not review it (contract v2 §5.3), as its type declares;
    read only for types that name anyone (interview records)."""
    from sqlalchemy.orm import object_session

    from models.tables import ProductVersion
    from rules.product_types import conflicted_staff, nobody_else, spec_for

    session = object_session(product)
    if session is None or spec_for(product.type).conflicted_staff is nobody_else:
        return frozenset()
    front_matter = (
        session.execute(
            select(col(ProductVersion.front_matter)).where(
                col(ProductVersion.product_id) == product.id,
                col(ProductVersion.version_no) == product.current_version_no,
            )
        )
        .scalars()
        .first()
    )
    return conflicted_staff(product.type, front_matter or {})


def may_act(
    principal: Principal, action: ReviewAction, product: Product, review: Review | None = None
) -> policy.Ruling:
    """Whether this person could take `action` on this product in some state of its review (a route's
    check, refused: 403); whether they may now is the workflow's to say (409)."""
    return policy.may_ever(action, principal.person(), case_of(product, review))
