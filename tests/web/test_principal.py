"""Who a signed-in person is, on SQLite and PostgreSQL: the teams they work in (leader, focal point
or member of an active team) and the teams they oversee as Deputy Prosecutor."""

from sqlmodel import Session

from models.tables import Staff, Team, TeamMember
from models.web_tables import Account
from tests.dbutil import db_url, engine, uid  # noqa: F401  (pytest fixtures)
from web.access import principal_for


def test_a_principal_holds_the_active_teams_worked_in_and_overseen(engine):  # noqa: F811
    sid, other = uid("ST"), uid("OT")
    teams = {
        name: uid(name)
        for name in ("LEAD", "SGBC", "CAC", "MEMBER", "OVERSEE", "LEAD_AND_OVERSEE", "GONE", "UNRELATED")
    }
    with Session(engine) as session:
        session.add(Staff(id=sid, name="Ada", roles=["investigator"]))
        session.add(Staff(id=other, name="Bo"))
        session.add_all(
            [
                Team(id=teams["LEAD"], leader_id=sid),
                Team(id=teams["SGBC"], sgbc_focal_point_id=sid),
                Team(id=teams["CAC"], cac_focal_point_id=sid),
                Team(id=teams["MEMBER"], leader_id=other),
                Team(id=teams["OVERSEE"], deputy_prosecutor_id=sid),
                Team(id=teams["LEAD_AND_OVERSEE"], leader_id=sid, deputy_prosecutor_id=sid),
                Team(id=teams["GONE"], leader_id=sid, deputy_prosecutor_id=sid, active=False),
                Team(id=teams["UNRELATED"], leader_id=other, deputy_prosecutor_id=other),
            ]
        )
        session.flush()
        session.add_all(
            [TeamMember(team_id=teams["MEMBER"], staff_id=sid), TeamMember(team_id=teams["UNRELATED"], staff_id=other)]
        )
        account = Account(username=uid("user"), staff_id=sid)
        session.add(account)
        session.commit()
        principal = principal_for(session, account)
    assert principal.team_ids == {teams[t] for t in ("LEAD", "SGBC", "CAC", "MEMBER", "LEAD_AND_OVERSEE")}
    assert principal.cluster_team_ids == {teams["OVERSEE"], teams["LEAD_AND_OVERSEE"]}
    assert principal.roles == {"investigator"} and principal.name == "Ada"


def test_a_browser_session_is_read_with_its_account_and_person_in_one_go(engine):  # noqa: F811
    from datetime import timedelta

    from store.accounts import end_session, signed_in, start_session

    sid, gone_sid = uid("ST"), uid("ST")
    with Session(engine) as session:
        session.add_all(
            [Staff(id=sid, name="Cy", roles=["gcu_reviewer"]), Staff(id=gone_sid, name="Dee", roles=["gcu_reviewer"])]
        )
        person, admin, closed = (
            Account(username=uid("u"), staff_id=sid),
            Account(username=uid("admin"), is_admin=True),
            Account(username=uid("gone"), staff_id=gone_sid, active=False),
        )
        session.add_all([person, admin, closed])
        session.flush()
        ids = {
            name: start_session(session=session, account_id=account.id, max_age=timedelta(hours=1))[1]
            for name, account in (("person", person), ("admin", admin), ("closed", closed))
        }
        ids["ended"] = start_session(session=session, account_id=person.id, max_age=timedelta(hours=1))[1]
        end_session(session=session, session_id=ids["ended"])
        ids["expired"] = start_session(session=session, account_id=person.id, max_age=timedelta(seconds=-1))[1]
        session.commit()

        row, account, staff = signed_in(session=session, session_id=ids["person"])
        assert (account.id, staff.id, row.account_id) == (person.id, sid, person.id)
        _row, account, staff = signed_in(session=session, session_id=ids["admin"])
        assert account.is_admin and staff is None  # an administrator with no register person
        principal = principal_for(session, account, staff=staff)
        assert principal.is_admin and principal.staff_id is None and not principal.team_ids
        for refused in ("closed", "ended", "expired"):
            assert signed_in(session=session, session_id=ids[refused]) is None, refused
        assert signed_in(session=session, session_id="no-such-session") is None
