"""Who is acting: an Actor built from the register, for the workflow's validators."""

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select, col

from models.messages import Actor
from models.roster import Roster
from models.tables import Staff, Team, TeamMember
from service.channel import current_channel
from service.errors import ServiceError


def _unknown(staff_id: str) -> ServiceError:
    return ServiceError(f"unknown staff id {staff_id!r}: not in the register (import the roster first)")


def actor_from_roster(roster: Roster, staff_id: str) -> Actor:
    person = roster.person(staff_id)
    if person is None:
        raise _unknown(staff_id)
    team_ids = [t.id for t in roster.teams if staff_id in t.team_staff()]
    return Actor(staff_id=staff_id, roles=list(person.roles), team_ids=team_ids, name=person.name or "",
                 channel=current_channel())


def resolve_actor(db_engine: Engine, staff_id: str) -> Actor:
    """One person's roles and teams (leader, focal point or member of active teams), read with two
    small queries: every action resolves its actor, so this must not load the whole register."""
    with Session(db_engine) as session:
        person = session.get(Staff, staff_id)
        if person is None or not person.active:
            raise _unknown(staff_id)
        leads = select(Team.id).where(
            Team.active,
            or_(col(Team.leader_id) == staff_id, col(Team.sgbc_focal_point_id) == staff_id, col(Team.cac_focal_point_id) == staff_id),
        )
        member_of = (
            select(TeamMember.team_id)
            .join(Team, col(Team.id) == col(TeamMember.team_id))
            .where(TeamMember.staff_id == staff_id, Team.active)
        )
        team_ids = sorted(set(session.exec(leads)) | set(session.exec(member_of)))
        return Actor(staff_id=staff_id, roles=list(person.roles), team_ids=team_ids, name=person.name or "",
                     channel=current_channel())
