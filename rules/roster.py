"""Reading the roster / register (format §9) with the YAML rules of §1.1.

A roster that cannot be read raises `RosterError` (the run aborts). Malformed entries are skipped
and reported in `RosterLoad.problems` with their line, so the database import can show them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.enums import BriefingArea, CertType, Gender
from models.roster import (
    BriefingRecord,
    CertificationRecord,
    FocalPoints,
    Roster,
    RosterLoad,
    RosterProblem,
    RosterStaff,
    RosterTeam,
)
from rules import yaml12
from rules.text import as_date, as_str


class RosterError(Exception):
    """The roster cannot be read at all (format §9): the run aborts with exit status 2."""

    def __init__(self, message: str, file: str, line: int | None = None):
        super().__init__(f"{file}{f':{line}' if line else ''}: {message}")
        self.message, self.file, self.line = message, file, line


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class _Reader:
    def __init__(self, doc: yaml12.YamlDoc, file: str):
        self.doc, self.file = doc, file
        self.problems: list[RosterProblem] = []

    def problem(self, path: tuple[Any, ...], message: str, field: str | None = None) -> None:
        self.problems.append(RosterProblem(file=self.file, line=self.doc.line_of(path), field=field, message=message))

    def entries(self, name: str, id_key: str) -> list[tuple[int, dict[Any, Any], int | None]]:
        value = self.doc.value.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem((name,), f"`{name}` is not a list; read as empty", name)
            return []
        out = []
        for i, entry in enumerate(value):
            path = (name, i)
            if not isinstance(entry, dict):
                self.problem(path, f"{name}[{i}] is not a mapping; skipped", f"{name}[{i}]")
            elif not isinstance(entry.get(id_key), str):
                self.problem(path, f"{name}[{i}] has no string `{id_key}`; skipped", f"{name}[{i}].{id_key}")
            else:
                out.append((i, entry, self.doc.line_of(path)))
        return out


def _first_wins(items: list[Any], reader: _Reader, name: str) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.id in seen:
            reader.problems.append(
                RosterProblem(
                    file=reader.file,
                    line=item.line,
                    field=f"{name}.id",
                    message=f"duplicate {name} id {item.id!r}; the first entry counts",
                )
            )
            continue
        seen.add(item.id)
        kept.append(item)
    return kept


def parse_roster_text(text: str, file: str = "<memory>") -> RosterLoad:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = yaml12.load(text.replace("\r\n", "\n"))
    except yaml12.YamlSyntaxError as exc:
        raise RosterError(exc.message, file, exc.line) from None
    if not isinstance(doc.value, dict):
        raise RosterError("the roster's top level is not a mapping", file, 1)
    r = _Reader(doc, file)
    genders = {g.value for g in Gender}
    teams = []
    for _, e, line in r.entries("teams", "id"):
        fp = e.get("focal_points")
        fp = fp if isinstance(fp, dict) else {}
        teams.append(
            RosterTeam(
                id=e["id"],
                name=as_str(e.get("name")),
                situation=as_str(e.get("situation")),
                leader=as_str(e.get("leader")),
                focal_points=FocalPoints(sgbc=as_str(fp.get("sgbc")), cac=as_str(fp.get("cac"))),
                members=_strings(e.get("members")),
                deputy_prosecutor=as_str(e.get("deputy_prosecutor")),
                line=line,
            )
        )
    staff = []
    for _, e, line in r.entries("staff", "id"):
        gender = e.get("gender")
        staff.append(
            RosterStaff(
                id=e["id"],
                name=as_str(e.get("name")),
                gender=gender if isinstance(gender, str) and gender in genders else None,
                team=as_str(e.get("team")),
                roles=_strings(e.get("roles")),
                designations=_strings(e.get("designations")),
                email=as_str(e.get("email")),
                line=line,
            )
        )
    staff = _first_wins(staff, r, "staff")
    staff_ids = {s.id for s in staff}
    certs = []
    for i, e, line in r.entries("certifications", "staff_id"):
        cert = e.get("cert")
        if not isinstance(cert, str) or cert not in {c.value for c in CertType}:
            r.problem(
                ("certifications", i),
                f"certifications[{i}] has an unknown cert {cert!r}; ignored",
                f"certifications[{i}].cert",
            )
            if not isinstance(cert, str):
                continue
        record = CertificationRecord(
            staff_id=e["staff_id"],
            cert=cert,
            issued=as_date(e.get("issued")),
            expires=as_date(e.get("expires")),
            line=line,
        )
        if record.issued is None:
            r.problem(("certifications", i), "no valid `issued` date; never valid", f"certifications[{i}].issued")
        if record.expires is None:
            r.problem(("certifications", i), "no valid `expires` date; never valid", f"certifications[{i}].expires")
        if record.staff_id not in staff_ids:
            r.problem(
                ("certifications", i),
                f"holder {record.staff_id!r} is not in `staff`; ignored",
                f"certifications[{i}].staff_id",
            )
        certs.append(record)
    briefings = []
    for i, e, line in r.entries("briefings", "staff_id"):
        area = e.get("area")
        if not isinstance(area, str) or area not in {a.value for a in BriefingArea}:
            r.problem(("briefings", i), f"briefings[{i}] has an unknown area {area!r}; ignored", f"briefings[{i}].area")
            if not isinstance(area, str):
                continue
        briefings.append(
            BriefingRecord(
                staff_id=e["staff_id"],
                area=area,
                date=as_date(e.get("date")),
                expires=as_date(e.get("expires")),
                briefed_by=as_str(e.get("briefed_by")),
                line=line,
            )
        )
    roster = Roster(teams=_first_wins(teams, r, "teams"), staff=staff, certifications=certs, briefings=briefings)
    return RosterLoad(roster=roster, problems=r.problems)


def load_roster(path: Path | str) -> RosterLoad:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"cannot read the roster: {exc.strerror or exc}", str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError("the roster is not valid UTF-8", str(path), line) from None
    return parse_roster_text(text, str(path))
