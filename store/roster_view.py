"""The register as the rule engine reads it (models.roster.Roster), rebuilt from the tables.

Only active teams and staff; revoked certificates are left out, so that inside the system the
certification rules (STAFF-01..04) see exactly the register the GCU maintains.
"""

import threading

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.roster import BriefingRecord, CertificationRecord, FocalPoints, Roster, RosterStaff, RosterTeam
from models.tables import Briefing, Certification, RegisterRevision, Staff, Team, TeamMember


class RosterCache:
    """The register built once per change of it: each pre-check reads one number
    (RegisterRevision, changed by database triggers with every change to the register tables)
    and rebuilds only when it differs from the one the cached register was built under.

    The number is read before the tables, so a change committed in between can only make the
    cached register newer than its number says (and the next call builds again), never older.
    The cached Roster is shared: the rule engine only reads it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[int, Roster] | None = None

    def roster(self, *, session: Session) -> Roster:
        return self.roster_at(session=session, revision=session.execute(revision_query()).scalar_one_or_none())

    def roster_at(self, *, session: Session, revision: int | None) -> Roster:
        """The register under `revision`, read by the caller (in a statement of its own reads)
        before anything else of the register in this transaction."""
        with self._lock:
            cached = self._cached
        if cached is not None and revision is not None and cached[0] == revision:
            return cached[1]
        roster = roster_from_db(session=session)
        if revision is not None:
            with self._lock:
                self._cached = (revision, roster)
        return roster


def revision_query() -> sa.Select:
    """The register's revision number (None before the migration that keeps it)."""
    return sa.select(col(RegisterRevision.revision)).where(col(RegisterRevision.id) == 1)


def roster_from_db(*, session: Session) -> Roster:
    members: dict[str, list[str]] = {}
    for m in session.exec(select(TeamMember).order_by(col(TeamMember.team_id), col(TeamMember.position))):
        members.setdefault(m.team_id, []).append(m.staff_id)
    teams = [
        RosterTeam(
            id=t.id,
            name=t.name,
            situation=t.situation,
            leader=t.leader_id,
            focal_points=FocalPoints(sgbc=t.sgbc_focal_point_id, cac=t.cac_focal_point_id),
            members=members.get(t.id, []),
            deputy_prosecutor=t.deputy_prosecutor_id,
        )
        for t in session.exec(select(Team).where(Team.active).order_by(Team.id))
    ]
    staff = [
        RosterStaff(
            id=s.id,
            name=s.name,
            gender=s.gender,
            team=s.home_team_id,
            roles=list(s.roles or []),
            designations=list(s.designations or []),
            email=s.email,
        )
        for s in session.exec(select(Staff).where(Staff.active).order_by(Staff.id))
    ]
    certifications = [
        CertificationRecord(staff_id=c.staff_id, cert=c.cert, issued=c.issued, expires=c.expires)
        for c in session.exec(
            select(Certification)
            .join(Staff, col(Staff.id) == col(Certification.staff_id))
            .where(col(Certification.revoked_at).is_(None), col(Staff.active))
            .order_by(col(Certification.id))
        )
    ]
    briefings = [
        BriefingRecord(staff_id=b.staff_id, area=b.area, date=b.date, expires=b.expires, briefed_by=b.briefed_by)
        for b in session.exec(
            select(Briefing)
            .join(Staff, col(Staff.id) == col(Briefing.staff_id))
            .where(col(Staff.active))
            .order_by(col(Briefing.id))
        )
    ]
    return Roster(teams=teams, staff=staff, certifications=certifications, briefings=briefings)
