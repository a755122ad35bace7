"""Bulk import of certifications and briefings from YAML (the roster's `certifications` and
`briefings` lists, format §9.3-§9.4) or CSV, all or nothing.

Unlike the engine's roster reading, which skips malformed entries (format §9), the register import
is strict: every problem is reported with its row and field, and nothing is written unless the
whole file is clean. The caller runs `import_records` inside one transaction
(store.db.session_scope), so an error while writing also leaves nothing half-imported.

CSV: a header row; `kind` (certification | briefing) is optional and defaults to `briefing` when
the header has `area`, else `certification`. Columns: staff_id, cert, issued, expires (certification);
staff_id, area, date, expires, briefed_by (briefing). Row numbers are file line numbers.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models.tables import Briefing, Certification, Staff, utcnow
from store.certifications import AREAS, CERT_TYPES, default_expiry
from store.errors import StoreError


class ImportProblem(BaseModel):
    row: str  # "line 7" (CSV) or "certifications[3] (line 12)" (YAML)
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.row}: {self.field + ': ' if self.field else ''}{self.message}"


class ImportRefused(StoreError):
    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"import refused, nothing written: {len(problems)} problem(s): {shown}{more}")


class CertRecordIn(BaseModel):
    row: str
    staff_id: str
    cert: str
    issued: dt.date
    expires: dt.date


class BriefingRecordIn(BaseModel):
    row: str
    staff_id: str
    area: str
    date: dt.date
    expires: dt.date
    briefed_by: str | None = None


class ParsedImport(BaseModel):
    certifications: list[CertRecordIn] = Field(default_factory=list)
    briefings: list[BriefingRecordIn] = Field(default_factory=list)
    problems: list[ImportProblem] = Field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.certifications) + len(self.briefings)


class ImportResult(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _date(value: Any) -> dt.date | None:
    from rules.text import as_date

    if isinstance(value, str):
        value = value.strip()
    return as_date(value)


class _Collector:
    def __init__(self, staff_ids: set[str]):
        self.staff_ids = staff_ids
        self.out = ParsedImport()

    def problem(self, row: str, field: str | None, message: str) -> None:
        self.out.problems.append(ImportProblem(row=row, field=field, message=message))

    def text(self, entry: dict, row: str, key: str, required: bool = True) -> str | None:
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if required:
            self.problem(row, key, "missing" if value in (None, "") else f"not a string: {value!r}")
        return None

    def date(self, entry: dict, row: str, key: str, required: bool = True) -> dt.date | None:
        value = entry.get(key)
        if value in (None, ""):
            if required:
                self.problem(row, key, "missing date")
            return None
        parsed = _date(value)
        if parsed is None:
            self.problem(row, key, f"not a YYYY-MM-DD date: {value!r}")
        return parsed

    def staff(self, entry: dict, row: str) -> str | None:
        staff_id = self.text(entry, row, "staff_id")
        if staff_id is not None and staff_id not in self.staff_ids:
            self.problem(row, "staff_id", f"no staff member {staff_id!r} in the register")
            return None
        return staff_id

    def certification(self, entry: dict, row: str) -> None:
        before = len(self.out.problems)
        staff_id = self.staff(entry, row)
        cert = self.text(entry, row, "cert")
        if cert is not None and cert not in CERT_TYPES:
            self.problem(
                row, "cert", f"unknown certification {cert!r}: expected one of {', '.join(sorted(CERT_TYPES))}"
            )
        issued = self.date(entry, row, "issued")
        expires = self.date(entry, row, "expires", required=False)
        if len(self.out.problems) > before or staff_id is None or cert is None or issued is None:
            return  # each missing value was reported as a problem
        expires = expires or default_expiry(cert, issued)
        if expires < issued:
            self.problem(row, "expires", f"{expires} is before issued {issued}")
            return
        self.out.certifications.append(
            CertRecordIn(row=row, staff_id=staff_id, cert=cert, issued=issued, expires=expires)
        )

    def briefing(self, entry: dict, row: str) -> None:
        before = len(self.out.problems)
        staff_id = self.staff(entry, row)
        area = self.text(entry, row, "area")
        if area is not None and area not in AREAS:
            self.problem(row, "area", f"unknown area {area!r}: expected SGBC or CAC")
        date = self.date(entry, row, "date")
        expires = self.date(entry, row, "expires")
        briefed_by = self.text(entry, row, "briefed_by", required=False)
        if len(self.out.problems) > before or staff_id is None or area is None or date is None or expires is None:
            return  # each missing value was reported as a problem
        if expires < date:
            self.problem(row, "expires", f"{expires} is before the briefing date {date}")
            return
        self.out.briefings.append(
            BriefingRecordIn(row=row, staff_id=staff_id, area=area, date=date, expires=expires, briefed_by=briefed_by)
        )

    def duplicates(self) -> None:
        seen: dict[tuple, str] = {}
        for rec in self.out.certifications:
            key = ("c", rec.staff_id, rec.cert, rec.issued)
            if key in seen:
                self.problem(rec.row, "issued", f"same {rec.cert} of {rec.staff_id} issued {rec.issued} as {seen[key]}")
            seen.setdefault(key, rec.row)
        for briefing in self.out.briefings:
            key = ("b", briefing.staff_id, briefing.area, briefing.date)
            if key in seen:
                self.problem(
                    briefing.row,
                    "date",
                    f"same {briefing.area} briefing of {briefing.staff_id} on {briefing.date} as {seen[key]}",
                )
            seen.setdefault(key, rec.row)


def parse_yaml(text: str, staff_ids: set[str]) -> ParsedImport:
    from rules import yaml12

    collector = _Collector(staff_ids)
    try:
        doc = yaml12.load(text)
    except yaml12.YamlSyntaxError as exc:
        collector.problem(f"line {exc.line}" if exc.line else "file", None, f"invalid YAML: {exc.message}")
        return collector.out
    if not isinstance(doc.value, dict):
        collector.problem("file", None, "the top level must be a mapping with `certifications` and/or `briefings`")
        return collector.out
    for name, handle in (("certifications", collector.certification), ("briefings", collector.briefing)):
        entries = doc.value.get(name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            collector.problem(f"{name} (line {doc.line_of((name,))})", name, "not a list")
            continue
        for i, entry in enumerate(entries):
            row = f"{name}[{i}] (line {doc.line_of((name, i))})"
            if not isinstance(entry, dict):
                collector.problem(row, None, "not a mapping")
                continue
            handle(entry, row)
    if "certifications" not in doc.value and "briefings" not in doc.value:
        collector.problem("file", None, "no `certifications` or `briefings` list")
    collector.duplicates()
    return collector.out


def parse_csv(text: str, staff_ids: set[str]) -> ParsedImport:
    collector = _Collector(staff_ids)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "staff_id" not in header:
        collector.problem("line 1", "staff_id", "the header row must name a staff_id column")
        return collector.out
    reader.fieldnames = header
    default_kind = "briefing" if "area" in header else "certification"
    for row_no, entry in enumerate(reader, start=2):
        row = f"line {reader.line_num if reader.line_num else row_no}"
        entry = {k: (v if v is None else v.strip()) for k, v in entry.items() if k is not None}
        if not any(entry.values()):
            continue
        kind = entry.get("kind") or default_kind
        if kind == "certification":
            collector.certification(entry, row)
        elif kind == "briefing":
            collector.briefing(entry, row)
        else:
            collector.problem(row, "kind", f"unknown kind {kind!r}: certification or briefing")
    collector.duplicates()
    return collector.out


def parse_file(path: Path, *, session: Session) -> ParsedImport:
    """Read and validate a .yaml/.yml or .csv file against the register's staff; writes nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused([ImportProblem(row="file", field=None, message=f"cannot read {path}: {exc}")]) from exc
    staff_ids = set(session.exec(select(Staff.id)))
    if path.suffix.lower() == ".csv":
        return parse_csv(text, staff_ids)
    return parse_yaml(text, staff_ids)


def import_records(
    *,
    session: Session,
    parsed: ParsedImport,
    source: str = "import",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write validated records inside the caller's transaction; refuse the whole file on any problem.
    A record with the same (staff, cert, issued) / (staff, area, date) updates the stored one."""
    if parsed.problems:
        raise ImportRefused(parsed.problems)
    result = ImportResult()
    staff_ids = {r.staff_id for r in parsed.certifications} | {r.staff_id for r in parsed.briefings}
    certs: dict[tuple, Certification] = {}
    briefings: dict[tuple, Briefing] = {}
    ids = sorted(staff_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for c in session.exec(select(Certification).where(col(Certification.staff_id).in_(chunk))):
            certs[(c.staff_id, c.cert, c.issued)] = c
        for b in session.exec(select(Briefing).where(col(Briefing.staff_id).in_(chunk))):
            briefings[(b.staff_id, b.area, b.date)] = b
    for rec in parsed.certifications:
        row = certs.get((rec.staff_id, rec.cert, rec.issued))
        if row is None:
            session.add(
                Certification(
                    staff_id=rec.staff_id, cert=rec.cert, issued=rec.issued, expires=rec.expires, source=source
                )
            )
            result.created += 1
        elif row.expires != rec.expires:
            row.expires, row.updated_at = rec.expires, utcnow()
            result.updated += 1
        else:
            result.unchanged += 1
        if progress:
            progress(1)
    for given in parsed.briefings:
        known = briefings.get((given.staff_id, given.area, given.date))
        if known is None:
            session.add(
                Briefing(
                    staff_id=given.staff_id,
                    area=given.area,
                    date=given.date,
                    expires=given.expires,
                    briefed_by=given.briefed_by,
                )
            )
            result.created += 1
        elif (known.expires, known.briefed_by) != (given.expires, given.briefed_by):
            known.expires, known.briefed_by = given.expires, given.briefed_by
            result.updated += 1
        else:
            result.unchanged += 1
        if progress:
            progress(1)
    session.flush()
    return result
