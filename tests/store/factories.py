"""Small builders for register and product data; every id is unique, so tests share a database."""

from datetime import date

from sqlmodel import Session

from models.roster import CertificationRecord, FocalPoints, Roster, RosterLoad, RosterStaff, RosterTeam
from models.tables import ProductVersion, Staff, Team, TeamMember
from store.products import create_version
from tests.dbutil import uid


def small_roster(prefix: str = "T") -> Roster:
    """One team (leader, focal point, investigator, interpreter), a GCU reviewer, head and DP."""
    p = prefix
    return Roster(
        teams=[
            RosterTeam(
                id=f"{p}-TEAM",
                name=f"Unified Team {p}",
                situation="Situation in Velmora",
                leader=f"{p}-01",
                focal_points=FocalPoints(sgbc=f"{p}-02", cac=f"{p}-02"),
                members=[f"{p}-03", f"{p}-11"],
                deputy_prosecutor=f"{p}-DP",
            )
        ],
        staff=[
            RosterStaff(id=f"{p}-01", name="Leader", gender="female", team=f"{p}-TEAM", roles=["team_leader"]),
            RosterStaff(
                id=f"{p}-02", name="Focal", gender="male", team=f"{p}-TEAM", roles=["investigator", "focal_point"]
            ),
            RosterStaff(
                id=f"{p}-03",
                name="Investigator",
                gender="female",
                team=f"{p}-TEAM",
                roles=["investigator"],
                designations=["interviews_children"],
                email=f"{p.lower()}-03@example.org",
            ),
            RosterStaff(id=f"{p}-11", name="Interpreter", gender="female", team=f"{p}-TEAM", roles=["interpreter"]),
            RosterStaff(id=f"{p}-GR", name="Reviewer", gender="male", roles=["gcu_reviewer"]),
            RosterStaff(id=f"{p}-GH", name="Head", gender="female", roles=["gcu_head"]),
            RosterStaff(id=f"{p}-DP", name="Deputy", gender="male", roles=["deputy_prosecutor"]),
        ],
        certifications=[
            CertificationRecord(
                staff_id=f"{p}-01", cert="SGBC_BASIC", issued=date(2024, 3, 4), expires=date(2027, 3, 3)
            ),
            CertificationRecord(staff_id=f"{p}-03", cert="CAC_ADV", issued=date(2024, 6, 1), expires=date(2026, 5, 31)),
            CertificationRecord(staff_id=f"{p}-03", cert="SGBC_ADV", issued=None, expires=None),
        ],
    )


def seed_register(session: Session, prefix: str | None = None) -> str:
    """Insert small_roster()'s team and staff directly (no import, which would deactivate the
    register of other tests sharing the database). Returns the prefix."""
    prefix = prefix or uid("R")
    roster = small_roster(prefix)
    for s in roster.staff:
        session.add(
            Staff(
                id=s.id,
                name=s.name,
                gender=s.gender,
                home_team_id=s.team,
                roles=s.roles,
                designations=s.designations,
                email=s.email,
            )
        )
    for t in roster.teams:
        session.add(
            Team(
                id=t.id,
                name=t.name,
                situation=t.situation,
                leader_id=t.leader,
                sgbc_focal_point_id=t.focal_points.sgbc,
                cac_focal_point_id=t.focal_points.cac,
                deputy_prosecutor_id=t.deputy_prosecutor,
            )
        )
        session.flush()
        for i, m in enumerate(t.members):
            session.add(TeamMember(team_id=t.id, staff_id=m, position=i))
    session.flush()
    return prefix


def load_of(roster: Roster) -> RosterLoad:
    return RosterLoad(roster=roster)


def new_version(
    session: Session,
    *,
    product_id: str | None = None,
    team_id: str = "T-HERON",
    product_type: str = "IP",
    situation: str = "Situation in Velmora",
    author_id: str = "HE-01",
    text: str = "---\nproduct: {}\n---\n# Body\n",
) -> ProductVersion:
    return create_version(
        session=session,
        product_id=product_id or uid("P"),
        product_type=product_type,
        team_id=team_id,
        situation=situation,
        author_id=author_id,
        title="A product",
        version_label="1.0",
        filename="product.md",
        media_type="text/markdown",
        content=text.encode(),
        front_matter={"product": {"type": product_type}},
        submitted_by=author_id,
    )
