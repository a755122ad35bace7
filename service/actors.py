"""Who is acting: an Actor built from the register, for the workflow's validators."""

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.messages import Actor
from models.roster import Roster
from models.tables import Staff, Team, TeamMember
from service.channel import current_channel
from service.errors import ServiceError
from store.register_cache import kept_for_register


def _unknown(staff_id: str) -> ServiceError:
    return ServiceError(f"unknown staff id {staff_id!r}: not in the register (import the roster first)")


def actor_from_roster(roster: Roster, staff_id: str) -> Actor:
    person = roster.person(staff_id)
    if person is None:
        raise _unknown(staff_id)
    team_ids = [t.id for t in roster.teams if staff_id in t.team_staff()]
    cluster = [t.id for t in roster.teams if t.deputy_prosecutor == staff_id]
    return Actor(
        staff_id=staff_id,
        roles=list(person.roles),
        team_ids=team_ids,
        name=person.name or "",
        cluster_team_ids=cluster,
        channel=current_channel(),
    )


def _team_ids(session: Session, staff_id: str) -> list[str]:
    """Active teams whose staff (leader, focal points, members) include this person."""
    leads = select(Team.id).where(
        Team.active,
        or_(
            col(Team.leader_id) == staff_id,
            col(Team.sgbc_focal_point_id) == staff_id,
            col(Team.cac_focal_point_id) == staff_id,
        ),
    )
    member_of = (
        select(TeamMember.team_id)
        .join(Team, col(Team.id) == col(TeamMember.team_id))
        .where(TeamMember.staff_id == staff_id, Team.active)
    )
    return sorted(set(session.exec(leads)) | set(session.exec(member_of)))


def resolve_actor(db_engine: Engine, staff_id: str) -> Actor:
    """One person's roles, teams (leader, focal point or member of active teams) and the teams they
    oversee as Deputy Prosecutor, read with small queries: every action resolves its actor, so this
    must not load the whole register. Kept until the register changes (store/register_cache.py):
    one number read instead of four queries, and only the people who act are kept."""
    with Session(db_engine) as session:
        actor = kept_for_register(session, ("actor", staff_id), lambda: _read_actor(session, staff_id))
    # The channel is the caller's (web, api, cli), never the cached one's.
    return actor.model_copy(update={"channel": current_channel()}, deep=True)


def _read_actor(session: Session, staff_id: str) -> Actor:
    person = session.get(Staff, staff_id)
    if person is None or not person.active:
        raise _unknown(staff_id)
    cluster = sorted(session.exec(select(Team.id).where(Team.active, Team.deputy_prosecutor_id == staff_id)))
    return Actor(
        staff_id=staff_id,
        roles=list(person.roles),
        team_ids=_team_ids(session, staff_id),
        name=person.name or "",
        cluster_team_ids=cluster,
    )


def is_team_staff(db_engine: Engine, staff_id: str, team_id: str) -> bool:
    """Whether an active person of the register is on the staff of the active team `team_id`.
    Asked of every submission's author: kept until the register changes, as actors are."""
    with Session(db_engine) as session:
        teams = kept_for_register(session, ("staff of", staff_id), lambda: _staff_of(session, staff_id))
    return team_id in teams


def _staff_of(session: Session, staff_id: str) -> frozenset[str]:
    """The active teams an active person is on the staff of (none for anyone else)."""
    person = session.get(Staff, staff_id)
    if person is None or not person.active:
        return frozenset()
    return frozenset(_team_ids(session, staff_id))
