"""Who a notification goes to: NotifyTarget relations resolved from the register."""

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.enums import StaffRole
from models.messages import NotifyTarget
from models.roster import Roster, RosterTeam
from models.tables import Product, Staff, Team, TeamMember

RELATIONS = (
    "assignee",
    "last_reviewer",
    "author",
    "team_leader",
    "team",
    "gcu_head",
    "gcu_reviewers",
    "spu_officers",
    "team_dp",
)


def staff_with_role(*, session: Session, role: StaffRole | str) -> list[str]:
    """Active staff holding `role`. The JSON text is pre-filtered in SQL (portable across SQLite and
    PostgreSQL: role names contain no quotes), then checked exactly."""
    candidates = session.exec(
        select(Staff).where(Staff.active, sa.cast(Staff.roles, sa.String).like(f'%"{role}"%')).order_by(Staff.id)
    )
    return [s.id for s in candidates if str(role) in (s.roles or [])]


def team_staff(*, session: Session, team: Team) -> list[str]:
    """{leader} ∪ {focal points} ∪ members, in roster order (product-format.md §9.1)."""
    members = session.exec(
        select(col(TeamMember.staff_id)).where(col(TeamMember.team_id) == team.id).order_by(col(TeamMember.position))
    ).all()
    ids: list[str] = []
    for staff_id in [team.leader_id, team.sgbc_focal_point_id, team.cac_focal_point_id, *members]:
        if staff_id and staff_id not in ids:
            ids.append(staff_id)
    return ids


def resolve_targets(
    *,
    session: Session,
    targets: list[NotifyTarget],
    product: Product,
    assignee: str | None,
    last_reviewer: str | None = None,
) -> list[str]:
    """Staff ids, without duplicates, in target order; only active people of the register."""
    team = session.get(Team, product.team_id)
    wanted: list[str] = []
    for target in targets:
        if target.staff_id:
            wanted.append(target.staff_id)
        if target.relation:
            wanted.extend(_relation(session, target.relation, product, team, assignee, last_reviewer))
    active = (
        set(session.exec(select(col(Staff.id)).where(col(Staff.id).in_(set(wanted)), col(Staff.active))).all())
        if wanted
        else set()
    )
    resolved: list[str] = []
    for staff_id in wanted:
        if staff_id in active and staff_id not in resolved:
            resolved.append(staff_id)
    return resolved


def _relation(
    session: Session,
    relation: str,
    product: Product,
    team: Team | None,
    assignee: str | None,
    last_reviewer: str | None,
) -> list[str]:
    if relation == "assignee":
        return [assignee] if assignee else []
    if relation == "last_reviewer":
        return [last_reviewer] if last_reviewer else []
    if relation == "author":
        return [product.author_id]
    if relation == "team_leader":
        return [team.leader_id] if team and team.leader_id else []
    if relation == "team":
        return team_staff(session=session, team=team) if team else []
    if relation == "gcu_head":
        return staff_with_role(session=session, role=StaffRole.GCU_HEAD)
    if relation == "gcu_reviewers":
        return staff_with_role(session=session, role=StaffRole.GCU_REVIEWER)
    if relation == "spu_officers":
        return staff_with_role(session=session, role=StaffRole.SPU_OFFICER)
    if relation == "team_dp":
        if team and team.deputy_prosecutor_id:
            return [team.deputy_prosecutor_id]
        return staff_with_role(session=session, role=StaffRole.DEPUTY_PROSECUTOR)
    raise ValueError(f"unknown notification relation {relation!r}; known: {', '.join(RELATIONS)}")


def resolve_targets_in(
    *,
    roster: Roster,
    targets: list[NotifyTarget],
    product: Product,
    assignee: str | None,
    last_reviewer: str | None = None,
) -> list[str] | None:
    """`resolve_targets` answered from the register as the rule engine reads it (RosterCache: built
    once per change of the register, so a recording asks the database one number instead of the
    team, its members, the role holders and who is active for every notification). The same
    answer, in the same order: the Roster holds the active staff ordered by id and each active
    team's leader, focal points and members in roster order. None when the product's team is not
    among the active teams (resolve_targets still reads an inactive team's people)."""
    team = next((t for t in roster.teams if t.id == product.team_id), None)
    if team is None:
        return None
    active = {s.id: s for s in roster.staff}
    wanted: list[str] = []
    for target in targets:
        if target.staff_id:
            wanted.append(target.staff_id)
        if target.relation:
            wanted.extend(_relation_in(roster, target.relation, product, team, assignee, last_reviewer))
    resolved: list[str] = []
    for staff_id in wanted:
        if staff_id in active and staff_id not in resolved:
            resolved.append(staff_id)
    return resolved


def _relation_in(
    roster: Roster, relation: str, product: Product, team: RosterTeam, assignee: str | None, last_reviewer: str | None
) -> list[str]:
    def with_role(role: StaffRole) -> list[str]:
        return [s.id for s in roster.staff if str(role) in s.roles]

    if relation == "assignee":
        return [assignee] if assignee else []
    if relation == "last_reviewer":
        return [last_reviewer] if last_reviewer else []
    if relation == "author":
        return [product.author_id]
    if relation == "team_leader":
        return [team.leader] if team.leader else []
    if relation == "team":
        return team.team_staff()
    if relation == "gcu_head":
        return with_role(StaffRole.GCU_HEAD)
    if relation == "gcu_reviewers":
        return with_role(StaffRole.GCU_REVIEWER)
    if relation == "spu_officers":
        return with_role(StaffRole.SPU_OFFICER)
    if relation == "team_dp":
        return [team.deputy_prosecutor] if team.deputy_prosecutor else with_role(StaffRole.DEPUTY_PROSECUTOR)
    raise ValueError(f"unknown notification relation {relation!r}; known: {', '.join(RELATIONS)}")
