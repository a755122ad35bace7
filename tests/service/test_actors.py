"""The actor resolved for an action matches the register: roles, and every team the person leads,
is a focal point of or belongs to (the workflow's self-review checks depend on it)."""

import pytest
from sqlmodel import Session

from rules.roster import parse_roster_text
from service.actors import actor_from_roster, is_team_staff, resolve_actor
from service.errors import ServiceError
from store.roster_import import import_roster
from tests.dbutil import db_url, engine  # noqa: F401  (pytest fixtures)

ROSTER = """
teams:
  - {id: T-A, leader: A-1, focal_points: {sgbc: A-2, cac: null}, members: [A-3, X-9], deputy_prosecutor: D-1}
  - {id: T-B, leader: B-1, focal_points: {sgbc: X-9, cac: X-9}, members: [], deputy_prosecutor: D-1}
staff:
  - {id: A-1, name: Leader, roles: [team_leader]}
  - {id: A-2, name: Focal, roles: [investigator, focal_point]}
  - {id: A-3, name: Member, roles: [investigator]}
  - {id: B-1, name: Other leader, roles: [team_leader]}
  - {id: X-9, name: Seconded, roles: [investigator, gcu_reviewer]}
  - {id: G-1, name: Reviewer, roles: [gcu_reviewer]}
  - {id: D-1, name: Deputy Prosecutor, roles: [deputy_prosecutor]}
"""


@pytest.fixture(scope="module")
def register(engine):  # noqa: F811
    load = parse_roster_text(ROSTER)
    with Session(engine) as session:
        import_roster(session=session, load=load)
        session.commit()
    return load.roster


@pytest.mark.parametrize("staff_id", ["A-1", "A-2", "A-3", "B-1", "X-9", "G-1", "D-1"])
def test_resolved_actor_matches_the_register(engine, register, staff_id):  # noqa: F811
    assert resolve_actor(engine, staff_id) == actor_from_roster(register, staff_id)


def test_a_person_in_two_teams_is_in_both(engine, register):  # noqa: F811
    assert resolve_actor(engine, "X-9").team_ids == ["T-A", "T-B"]


def test_a_deputy_prosecutor_carries_the_teams_of_their_cluster(engine, register):  # noqa: F811
    """The review policy's "Deputy Prosecutor of the cluster" relation is read from these."""
    dp = resolve_actor(engine, "D-1")
    assert (dp.team_ids, dp.cluster_team_ids) == ([], ["T-A", "T-B"])
    assert resolve_actor(engine, "A-1").cluster_team_ids == []


def test_an_unknown_person_cannot_act(engine, register):  # noqa: F811
    with pytest.raises(ServiceError, match="not in the register"):
        resolve_actor(engine, "NOBODY")


def test_a_change_to_the_register_is_seen_by_the_next_action(engine, register):  # noqa: F811
    """Actors are kept per register revision: a role taken away, a team left or a person made
    inactive counts from the next action on, not from the next restart."""
    import sqlalchemy as sa

    from models.tables import Staff, TeamMember

    assert "gcu_reviewer" in resolve_actor(engine, "X-9").roles  # resolved, and now kept
    assert resolve_actor(engine, "X-9").team_ids == ["T-A", "T-B"]
    with Session(engine) as session:
        session.execute(sa.update(Staff).where(Staff.id == "X-9").values(roles=["investigator"]))
        session.execute(sa.delete(TeamMember).where(TeamMember.staff_id == "X-9"))
        session.commit()
    try:
        changed = resolve_actor(engine, "X-9")
        assert (changed.roles, changed.team_ids) == (["investigator"], ["T-B"])
        with Session(engine) as session:
            session.execute(sa.update(Staff).where(Staff.id == "X-9").values(active=False))
            session.commit()
        with pytest.raises(ServiceError, match="not in the register"):
            resolve_actor(engine, "X-9")
    finally:
        load = parse_roster_text(ROSTER)
        with Session(engine) as session:
            import_roster(session=session, load=load)
            session.commit()


def test_a_kept_actor_carries_the_channel_of_each_call(engine, register):  # noqa: F811
    from models.enums import AuditChannel
    from service.channel import _current

    resolve_actor(engine, "A-1")
    token = _current.set(AuditChannel.API)
    try:
        assert resolve_actor(engine, "A-1").channel == AuditChannel.API
    finally:
        _current.reset(token)
    assert resolve_actor(engine, "A-1").channel == AuditChannel.SYSTEM


def test_who_is_team_staff_follows_the_register(engine, register):  # noqa: F811
    """A submission's author must be on the staff of the product's team (the review policy): kept
    per register revision like actors, so leaving the team or the register counts at once."""
    import sqlalchemy as sa

    from models.tables import Staff, TeamMember

    assert [is_team_staff(engine, "X-9", team) for team in ("T-A", "T-B")] == [True, True]
    assert not is_team_staff(engine, "G-1", "T-A") and not is_team_staff(engine, "NOBODY", "T-A")
    with Session(engine) as session:
        session.execute(sa.delete(TeamMember).where(TeamMember.staff_id == "X-9"))
        session.commit()
    try:
        assert [is_team_staff(engine, "X-9", team) for team in ("T-A", "T-B")] == [False, True]
        with Session(engine) as session:
            session.execute(sa.update(Staff).where(Staff.id == "X-9").values(active=False))
            session.commit()
        assert not is_team_staff(engine, "X-9", "T-B")
    finally:
        load = parse_roster_text(ROSTER)
        with Session(engine) as session:
            import_roster(session=session, load=load)
            session.commit()
    assert is_team_staff(engine, "X-9", "T-A")
