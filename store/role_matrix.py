"""The role matrix (requirements.md §6.3 [D]): which certifications a person must hold, from their
roster roles AND designations. Pure data and functions; KPI 12 (store/kpi/kpi12.py) and the gap
report (store/cert_gaps.py) judge with the same rows as SQL CASE expressions (store/role_matrix_sql.py).

Per area (SGBC, CAC) a requirement has a level; a person with several roles needs the highest level
any of their rows asks for (the union of requirements, §6.3 last sentence):

    NONE < BASIC_OR_BRIEFING < BASIC < ADV

BASIC_OR_BRIEFING is the interpreter/intermediary row: a briefing in that area substitutes for the
BASIC certificate (§4). A person who is also, say, a note-taker needs the certificate itself.
The focal-point row additionally needs one ADV certificate of either area ("one of the two ADV").

Reading of the matrix (documented choices):
- a designation counts only together with the `investigator` role (the matrix rows are
  "investigator with designation ...");
- "recommended (not counted)" and "per interview" entries are not requirements here.
"""

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import IntEnum

from models.enums import CertType, Designation, StaffRole


class Level(IntEnum):
    NONE = 0
    BASIC_OR_BRIEFING = 1
    BASIC = 2
    ADV = 3


AREAS = ("SGBC", "CAC")


@dataclass(frozen=True)
class MatrixRow:
    role: StaffRole
    designation: Designation | None
    sgbc: Level
    cac: Level
    any_adv: bool = False  # one of SGBC_ADV / CAC_ADV

    def level(self, area: str) -> Level:
        return self.sgbc if area == "SGBC" else self.cac


R, D, L = StaffRole, Designation, Level
ROLE_MATRIX: tuple[MatrixRow, ...] = (
    MatrixRow(R.INVESTIGATOR, D.INTERVIEWS_SGBC_SURVIVORS, sgbc=L.ADV, cac=L.BASIC),
    MatrixRow(R.INVESTIGATOR, D.INTERVIEWS_CHILDREN, sgbc=L.BASIC, cac=L.ADV),
    MatrixRow(R.INVESTIGATOR, None, sgbc=L.BASIC, cac=L.BASIC),
    MatrixRow(R.ANALYST, None, sgbc=L.BASIC, cac=L.BASIC),
    MatrixRow(R.TRIAL_LAWYER, None, sgbc=L.BASIC, cac=L.BASIC),
    MatrixRow(R.TEAM_LEADER, None, sgbc=L.BASIC, cac=L.BASIC),
    MatrixRow(R.FOCAL_POINT, None, sgbc=L.BASIC, cac=L.BASIC, any_adv=True),
    MatrixRow(R.INTERPRETER, None, sgbc=L.BASIC_OR_BRIEFING, cac=L.BASIC_OR_BRIEFING),
    MatrixRow(R.INTERMEDIARY, None, sgbc=L.BASIC_OR_BRIEFING, cac=L.BASIC_OR_BRIEFING),
    MatrixRow(R.NOTE_TAKER, None, sgbc=L.BASIC, cac=L.BASIC),
)
del R, D, L

MATRIX_CITATION = "requirements.md §6.3 role matrix [D]; §4 certification semantics; format §8"


def row_applies(row: MatrixRow, roles: set[str], designations: set[str]) -> bool:
    return row.role.value in roles and (row.designation is None or row.designation.value in designations)


@dataclass(frozen=True)
class Requirements:
    sgbc: Level = Level.NONE
    cac: Level = Level.NONE
    any_adv: bool = False

    def level(self, area: str) -> Level:
        return self.sgbc if area == "SGBC" else self.cac

    @property
    def certifiable(self) -> bool:
        return self.sgbc > Level.NONE or self.cac > Level.NONE or self.any_adv

    def required_certs(self) -> list[str]:
        """Readable requirement names: SGBC_BASIC, CAC_ADV, SGBC_BASIC|briefing, SGBC_ADV|CAC_ADV
        (the gap report's SQL, store/cert_gaps.py, names them with the same two functions)."""
        out = [requirement_name(area, level) for area in AREAS if (level := self.level(area)) > Level.NONE]
        if self.any_adv and Level.ADV not in (self.sgbc, self.cac):
            out.append(ANY_ADV_REQUIREMENT)
        return out


# The focal point's "one of the two ADV" (§6.3), when neither area already asks for ADV.
ANY_ADV_REQUIREMENT = "SGBC_ADV|CAC_ADV"


def requirement_name(area: str, level: Level) -> str:
    """The requirement an area's level asks for: SGBC_ADV, CAC_BASIC, SGBC_BASIC|briefing."""
    return {Level.ADV: f"{area}_ADV", Level.BASIC: f"{area}_BASIC", Level.BASIC_OR_BRIEFING: f"{area}_BASIC|briefing"}[
        level
    ]


def requirements_for(roles: Iterable[str], designations: Iterable[str] = ()) -> Requirements:
    roles, designations = set(roles or ()), set(designations or ())
    rows = [row for row in ROLE_MATRIX if row_applies(row, roles, designations)]
    return Requirements(
        sgbc=max((r.sgbc for r in rows), default=Level.NONE),
        cac=max((r.cac for r in rows), default=Level.NONE),
        any_adv=any(r.any_adv for r in rows),
    )


@dataclass(frozen=True)
class Holdings:
    """What a person holds on one date: certificates (ADV counted for BASIC already) and briefings."""

    basic: frozenset[str] = frozenset()  # areas with a valid BASIC or ADV certificate
    adv: frozenset[str] = frozenset()  # areas with a valid ADV certificate
    briefed: frozenset[str] = frozenset()  # areas with a valid briefing

    @classmethod
    def from_certs(cls, certs: set[str], briefing_areas: AbstractSet[str] = frozenset()) -> "Holdings":
        adv = {a for a in AREAS if f"{a}_ADV" in certs}
        basic = {a for a in AREAS if f"{a}_BASIC" in certs} | adv
        return cls(frozenset(basic), frozenset(adv), frozenset(briefing_areas))


def meets_area(level: Level, area: str, held: Holdings) -> bool:
    if level == Level.NONE:
        return True
    if level == Level.BASIC_OR_BRIEFING:
        return area in held.basic or area in held.briefed
    if level == Level.BASIC:
        return area in held.basic
    return area in held.adv


def unmet(req: Requirements, held: Holdings) -> list[str]:
    """Requirement names (as `Requirements.required_certs`) the holdings do not meet."""
    out: list[str] = []
    for area in AREAS:
        level = req.level(area)
        if not meets_area(level, area, held):
            out.append({Level.ADV: f"{area}_ADV", Level.BASIC: f"{area}_BASIC"}.get(level, f"{area}_BASIC|briefing"))
    if req.any_adv and not held.adv and Level.ADV not in (req.sgbc, req.cac):
        out.append("SGBC_ADV|CAC_ADV")
    return out


def satisfying_certs(requirement: str) -> list[str]:
    """Certificates that satisfy a requirement name (ADV satisfies BASIC of the same area)."""
    if requirement == "SGBC_ADV|CAC_ADV":
        return [CertType.SGBC_ADV, CertType.CAC_ADV]
    area, _, rest = requirement.partition("_")
    if rest.startswith("ADV"):
        return [f"{area}_ADV"]
    return [f"{area}_BASIC", f"{area}_ADV"]
