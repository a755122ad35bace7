"""Who is acting: an Actor built from the register, for the workflow's validators."""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.messages import Actor
from models.roster import Roster
from service.errors import ServiceError
from store.roster_view import roster_from_db


def actor_from_roster(roster: Roster, staff_id: str) -> Actor:
    person = roster.person(staff_id)
    if person is None:
        raise ServiceError(f"unknown staff id {staff_id!r}: not in the register (import the roster first)")
    team_ids = [t.id for t in roster.teams if staff_id in t.team_staff()]
    return Actor(staff_id=staff_id, roles=list(person.roles), team_ids=team_ids, name=person.name or "")


def resolve_actor(db_engine: Engine, staff_id: str) -> Actor:
    with Session(db_engine) as session:
        roster = roster_from_db(session=session)
    return actor_from_roster(roster, staff_id)
