"""Who a signed-in person is, on SQLite and PostgreSQL: the teams they work in (leader, focal point
or member of an active team) and the teams they oversee as Deputy Prosecutor."""

from sqlmodel import Session

from models.tables import Staff, Team, TeamMember
from models.web_tables import Account
from tests.dbutil import db_url, engine, uid  # noqa: F401  (pytest fixtures)
from web.access import principal_for


def test_a_principal_holds_the_active_teams_worked_in_and_overseen(engine):  # noqa: F811
    sid, other = uid("ST"), uid("OT")
    teams = {name: uid(name) for name in ("LEAD", "SGBC", "CAC", "MEMBER", "OVERSEE", "LEAD_AND_OVERSEE",
                                          "GONE", "UNRELATED")}
    with Session(engine) as session:
        session.add(Staff(id=sid, name="Ada", roles=["investigator"]))
        session.add(Staff(id=other, name="Bo"))
        session.add_all([
            Team(id=teams["LEAD"], leader_id=sid),
            Team(id=teams["SGBC"], sgbc_focal_point_id=sid),
            Team(id=teams["CAC"], cac_focal_point_id=sid),
            Team(id=teams["MEMBER"], leader_id=other),
            Team(id=teams["OVERSEE"], deputy_prosecutor_id=sid),
            Team(id=teams["LEAD_AND_OVERSEE"], leader_id=sid, deputy_prosecutor_id=sid),
            Team(id=teams["GONE"], leader_id=sid, deputy_prosecutor_id=sid, active=False),
            Team(id=teams["UNRELATED"], leader_id=other, deputy_prosecutor_id=other),
        ])
        session.flush()
        session.add_all([TeamMember(team_id=teams["MEMBER"], staff_id=sid),
                         TeamMember(team_id=teams["UNRELATED"], staff_id=other)])
        account = Account(username=uid("user"), staff_id=sid)
        session.add(account)
        session.commit()
        principal = principal_for(session, account)
    assert principal.team_ids == {teams[t] for t in ("LEAD", "SGBC", "CAC", "MEMBER", "LEAD_AND_OVERSEE")}
    assert principal.cluster_team_ids == {teams["OVERSEE"], teams["LEAD_AND_OVERSEE"]}
    assert principal.roles == {"investigator"} and principal.name == "Ada"
