"""The roster/register (product-format.md §9) as read by the rule engine and the roster import.

Values are kept as the contract defines them after reading: invalid dates become None (never
valid), unknown enum strings are kept as written so that lookups fail exactly as §8-§9 say.
"""

import datetime as dt

from pydantic import BaseModel, Field


class FocalPoints(BaseModel):
    sgbc: str | None = None
    cac: str | None = None


class RosterTeam(BaseModel):
    id: str
    name: str | None = None
    situation: str | None = None
    leader: str | None = None
    focal_points: FocalPoints = Field(default_factory=FocalPoints)
    members: list[str] = Field(default_factory=list)
    # Extension of the roster format (issue 3): who receives this team's escalations and summaries.
    deputy_prosecutor: str | None = None
    line: int | None = None

    def team_staff(self) -> list[str]:
        """{leader} ∪ {non-null focal points} ∪ members, in that order, without duplicates."""
        ids: list[str] = []
        for staff_id in [self.leader, self.focal_points.sgbc, self.focal_points.cac, *self.members]:
            if isinstance(staff_id, str) and staff_id not in ids:
                ids.append(staff_id)
        return ids


class RosterStaff(BaseModel):
    id: str
    name: str | None = None
    gender: str | None = None  # female | male | non_binary, else None
    team: str | None = None
    roles: list[str] = Field(default_factory=list)
    designations: list[str] = Field(default_factory=list)
    email: str | None = None
    line: int | None = None


class CertificationRecord(BaseModel):
    staff_id: str
    cert: str  # kept as written; only the four CertType values are ever used
    issued: dt.date | None = None
    expires: dt.date | None = None
    line: int | None = None


class BriefingRecord(BaseModel):
    staff_id: str
    area: str  # SGBC | CAC, kept as written
    date: dt.date | None = None
    expires: dt.date | None = None
    briefed_by: str | None = None
    line: int | None = None


class RosterProblem(BaseModel):
    """A skipped or doubtful roster entry: the engine ignores it, the import reports it."""

    file: str | None = None
    line: int | None = None
    field: str | None = None
    message: str


class Roster(BaseModel):
    teams: list[RosterTeam] = Field(default_factory=list)
    staff: list[RosterStaff] = Field(default_factory=list)
    certifications: list[CertificationRecord] = Field(default_factory=list)
    briefings: list[BriefingRecord] = Field(default_factory=list)

    def team(self, team_id: str | None) -> RosterTeam | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def person(self, staff_id: str | None) -> RosterStaff | None:
        return next((s for s in self.staff if s.id == staff_id), None)


class RosterLoad(BaseModel):
    roster: Roster
    problems: list[RosterProblem] = Field(default_factory=list)
