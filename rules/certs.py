"""Certification semantics (format §8, requirements.md §4) over one roster."""

from __future__ import annotations

import datetime as dt

from models.enums import CERTIFIABLE_ROLES, BriefingArea, CertType
from models.roster import BriefingRecord, CertificationRecord, Roster, RosterStaff, RosterTeam

CERTS = tuple(c.value for c in CertType)
AREAS = tuple(a.value for a in BriefingArea)


class RosterIndex:
    """Lookups the rules need; records of unknown holders, certs or areas are left out (§8)."""

    def __init__(self, roster: Roster):
        self.staff: dict[str, RosterStaff] = {}
        for s in roster.staff:
            self.staff.setdefault(s.id, s)
        self.teams: dict[str, RosterTeam] = {}
        for t in roster.teams:
            self.teams.setdefault(t.id, t)
        self.certs: dict[str, list[CertificationRecord]] = {}
        for c in roster.certifications:
            if c.staff_id in self.staff and c.cert in CERTS:
                self.certs.setdefault(c.staff_id, []).append(c)
        self.briefings: dict[str, list[BriefingRecord]] = {}
        for b in roster.briefings:
            if b.staff_id in self.staff and b.area in AREAS:
                self.briefings.setdefault(b.staff_id, []).append(b)

    def person(self, staff_id: str | None) -> RosterStaff | None:
        return self.staff.get(staff_id) if isinstance(staff_id, str) else None

    def gender(self, staff_id: str | None) -> str | None:
        p = self.person(staff_id)
        return p.gender if p else None

    def has_role(self, staff_id: str | None, roles: set[str]) -> bool:
        p = self.person(staff_id)
        return bool(p and roles.intersection(p.roles))

    def holds(self, staff_id: str | None, cert: str, start: dt.date | None, end: dt.date | None = None) -> bool:
        """Holds `cert` on `start` (or over [start, end]); an ADV record satisfies BASIC of its area."""
        if staff_id is None or start is None:
            return False
        end = end or start
        satisfying = {cert, cert.replace("_BASIC", "_ADV")}
        return any(
            r.cert in satisfying and r.issued and r.expires and r.issued <= start and end <= r.expires
            for r in self.certs.get(staff_id, [])
        )

    def briefed(self, staff_id: str | None, area: str, start: dt.date | None, end: dt.date | None = None) -> bool:
        if staff_id is None or start is None:
            return False
        end = end or start
        return any(
            b.area == area and b.date and b.expires and b.date <= start and end <= b.expires
            for b in self.briefings.get(staff_id, [])
        )

    def lapsed(self, staff_id: str, cert: str, on: dt.date) -> bool:
        """§4: a record of `cert` expired before `on`, and no record (ADV for BASIC) valid on `on`."""
        expired = any(r.cert == cert and r.expires and r.expires < on for r in self.certs.get(staff_id, []))
        return expired and not self.holds(staff_id, cert, on)

    def meets_basic(self, staff_id: str, area: str, day: dt.date | None) -> bool:
        """Contract v2 §3.5: holds A_BASIC, or is only an interpreter/intermediary with a valid briefing."""
        if self.holds(staff_id, f"{area}_BASIC", day):
            return True
        p = self.person(staff_id)
        roles = {r for r in (p.roles if p else []) if r in CERTIFIABLE_ROLES}
        return bool(roles) and roles <= {"interpreter", "intermediary"} and self.briefed(staff_id, area, day)

    def required_unmet(self, staff_id: str, day: dt.date | None) -> list[str]:
        """Contract v2 §3.5: the certifications of R(p) that p does not meet on `day` (in the order
        SGBC_BASIC, CAC_BASIC, SGBC_ADV, CAC_ADV, then the either-ADV of a focal point)."""
        p = self.person(staff_id)
        if p is None:
            return []
        roles, designations = set(p.roles), set(p.designations)
        unmet = []
        if roles & set(CERTIFIABLE_ROLES):
            unmet += [f"{a}_BASIC" for a in AREAS if not self.meets_basic(staff_id, a, day)]
        if (
            "investigator" in roles
            and "interviews_sgbc_survivors" in designations
            and not self.holds(staff_id, "SGBC_ADV", day)
        ):
            unmet.append("SGBC_ADV")
        if (
            "investigator" in roles
            and "interviews_children" in designations
            and not self.holds(staff_id, "CAC_ADV", day)
        ):
            unmet.append("CAC_ADV")
        if "focal_point" in roles and not (
            self.holds(staff_id, "SGBC_ADV", day) or self.holds(staff_id, "CAC_ADV", day)
        ):
            unmet.append("SGBC_ADV or CAC_ADV")
        return unmet

    def undated(self, staff_id: str, cert: str) -> bool:
        return any(r.cert == cert and r.expires is None for r in self.certs.get(staff_id, []))

    def relevant_team_staff(self, team_id: str | None) -> list[str]:
        team = self.teams.get(team_id) if isinstance(team_id, str) else None
        if team is None:
            return []
        return [s for s in team.team_staff() if self.has_role(s, set(CERTIFIABLE_ROLES))]


_CACHE: dict[int, tuple[Roster, RosterIndex]] = {}


def index_for(roster: Roster) -> RosterIndex:
    """One index per roster object (a run checks many products against one roster)."""
    hit = _CACHE.get(id(roster))
    if hit is not None and hit[0] is roster:
        return hit[1]
    if len(_CACHE) > 8:
        _CACHE.clear()
    index = RosterIndex(roster)
    _CACHE[id(roster)] = (roster, index)
    return index
