"""The KPI 11 register (requirements.md §7.2): one unit per count x suspect x stage.

- `seed_charge_units`: units from the stored front matter of CS products (latest version) whose
  `product.stage` is AWA, DCC or TRIAL, one per active count (status proposed/charged) and suspect;
  a count without `suspects` counts once per entry of the product's `suspects` (format §2.14).
  Re-seeding updates the descriptive fields and never touches outcomes, dates or links; a unit whose
  count is no longer active in the latest version is kept with `in_source = False`.
- A count is SGBC when `is_sgbc` is true or its crime is an SGBC tag; `sgbc_basis` is `explicit`
  for an SGBC crime tag and `underlying_conduct` otherwise. CAC likewise (`is_cac` or a CAC tag).
- Outcomes are entered by legal staff (`set_outcome`, CSV `import_outcomes`), lineage across stages
  by `link_units` or the automatic linking of `seed_charge_units` (same case, suspect and crime,
  exactly one candidate at the previous stage).
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models.kpi_tables import STAGE_ORDER, ChargeOutcome, ChargeStage, ChargeUnit, SgbcBasis
from models.tables import Product, ProductVersion, utcnow
from rules.product_types import codes_with_charges
from store.cert_import import ImportProblem, ImportRefused
from store.errors import NotFound, StoreError
from store.kpi.facts import CAC_TAGS, SGBC_TAGS

SEEDED_STAGES = (ChargeStage.AWA, ChargeStage.DCC, ChargeStage.TRIAL)
ACTIVE_STATUSES = ("proposed", "charged")


class ChargeUnitError(StoreError):
    pass


class SeedReport(BaseModel):
    products: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    left_source: int = 0
    linked: int = 0


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def units_from_front_matter(
    product_id: str, version_no: int, fm: dict, team_id: str | None, situation: str | None
) -> list[dict[str, Any]]:
    head = _map(fm.get("product"))
    stage = head.get("stage")
    if stage not in [s.value for s in SEEDED_STAGES]:
        return []
    product_suspects = _strings(fm.get("suspects"))
    counts = fm.get("counts")
    counts = counts if isinstance(counts, list) else []
    units = []
    for index, count in enumerate(counts):
        count = count if isinstance(count, dict) else {}
        if count.get("status") not in ACTIVE_STATUSES:
            continue
        crime = count.get("crime") if isinstance(count.get("crime"), str) else None
        explicit = crime in SGBC_TAGS
        is_sgbc = count.get("is_sgbc") is True or explicit
        is_cac = count.get("is_cac") is True or crime in CAC_TAGS
        no = count.get("no") if isinstance(count.get("no"), int) and not isinstance(count.get("no"), bool) else None
        suspects = _strings(count["suspects"]) if isinstance(count.get("suspects"), list) else product_suspects
        for suspect in dict.fromkeys(suspects):
            units.append(
                dict(
                    unit_key=f"{product_id}:{stage}:{no if no is not None else f'#{index}'}:{suspect}",
                    case_id=situation or product_id,
                    product_id=product_id,
                    version_no=version_no,
                    team_id=team_id,
                    situation=situation,
                    suspect=suspect,
                    stage=stage,
                    count_no=no,
                    article=count.get("article") if isinstance(count.get("article"), str) else None,
                    crime=crime,
                    label=count.get("label") if isinstance(count.get("label"), str) else None,
                    is_sgbc=is_sgbc,
                    is_cac=is_cac,
                    sgbc_basis=(SgbcBasis.EXPLICIT if explicit else SgbcBasis.UNDERLYING_CONDUCT) if is_sgbc else None,
                    source_doc=f"{product_id} v{version_no}",
                    in_source=True,
                )
            )
    return units


_DESCRIPTIVE = (
    "case_id",
    "version_no",
    "team_id",
    "situation",
    "count_no",
    "article",
    "crime",
    "label",
    "is_sgbc",
    "is_cac",
    "sgbc_basis",
    "source_doc",
    "in_source",
)


def seed_charge_units(*, session: Session, product_ids: list[str] | None = None, link: bool = True) -> SeedReport:
    report = SeedReport()
    query = (
        select(Product, ProductVersion)
        .join(
            ProductVersion,
            sa.and_(
                col(ProductVersion.product_id) == col(Product.id),
                col(ProductVersion.version_no) == col(Product.current_version_no),
            ),
        )
        .where(col(Product.type).in_(codes_with_charges()))
    )
    if product_ids is not None:
        query = query.where(col(Product.id).in_(product_ids))
    for product, version in session.exec(query):
        fm = version.front_matter or {}
        head = _map(fm.get("product"))
        stage = head.get("stage")
        wanted = units_from_front_matter(product.id, version.version_no, fm, product.team_id, product.situation)
        report.products += 1
        existing = {
            u.unit_key: u
            for u in session.exec(
                select(ChargeUnit).where(ChargeUnit.product_id == product.id, ChargeUnit.stage == stage)
            )
        }
        for values in wanted:
            row = existing.pop(values["unit_key"], None)
            if row is None:
                session.add(ChargeUnit(**values))
                report.created += 1
                continue
            changed = False
            for name in _DESCRIPTIVE:
                if getattr(row, name) != values[name]:
                    setattr(row, name, values[name])
                    changed = True
            if changed:
                row.updated_at = utcnow()
            report.updated += changed
            report.unchanged += not changed
        for row in existing.values():
            if row.in_source:
                row.in_source, row.updated_at = False, utcnow()
                report.left_source += 1
    session.flush()
    if link:
        report.linked = auto_link(session=session)
    return report


def auto_link(*, session: Session) -> int:
    """Link each unlinked unit to the one unit of the previous stage with the same case, suspect
    and crime, when there is exactly one such candidate not already someone's predecessor."""
    linked = 0
    taken = set(
        session.scalars(
            sa.select(col(ChargeUnit.linked_unit_prev_stage)).where(col(ChargeUnit.linked_unit_prev_stage).is_not(None))
        )
    )
    for stage, prev in zip(STAGE_ORDER[1:], STAGE_ORDER[:-1], strict=True):
        orphans = list(
            session.exec(
                select(ChargeUnit).where(ChargeUnit.stage == stage, col(ChargeUnit.linked_unit_prev_stage).is_(None))
            )
        )
        if not orphans:
            continue
        candidates: dict[tuple, list[int]] = defaultdict(list)
        for unit_id, case_id, suspect, crime in session.execute(
            sa.select(
                col(ChargeUnit.id), col(ChargeUnit.case_id), col(ChargeUnit.suspect), col(ChargeUnit.crime)
            ).where(col(ChargeUnit.stage) == prev)
        ):
            if unit_id not in taken:
                candidates[(case_id, suspect, crime)].append(unit_id)
        wanting: dict[tuple, list[ChargeUnit]] = defaultdict(list)
        for unit in orphans:
            wanting[(unit.case_id, unit.suspect, unit.crime)].append(unit)
        for key, units in wanting.items():
            if key[2] is not None and len(units) == 1 and len(candidates.get(key, [])) == 1:
                units[0].linked_unit_prev_stage = candidates[key][0]
                taken.add(candidates[key][0])
                linked += 1
    session.flush()
    return linked


def link_units(*, session: Session, unit_id: int, prev_unit_id: int | None) -> ChargeUnit:
    unit = session.get(ChargeUnit, unit_id)
    if unit is None:
        raise NotFound(f"no KPI 11 unit {unit_id}")
    if prev_unit_id is not None:
        prev = session.get(ChargeUnit, prev_unit_id)
        if prev is None:
            raise NotFound(f"no KPI 11 unit {prev_unit_id}")
        if STAGE_ORDER.index(ChargeStage(prev.stage)) >= STAGE_ORDER.index(ChargeStage(unit.stage)):
            raise ChargeUnitError(f"unit {prev_unit_id} ({prev.stage}) is not at a stage before {unit.stage}")
    unit.linked_unit_prev_stage, unit.updated_at = prev_unit_id, utcnow()
    session.flush()
    return unit


def _apply_outcome(unit: ChargeUnit, outcome: str, date: dt.date | None, filed: dt.date | None) -> None:
    try:
        outcome = ChargeOutcome(outcome)
    except ValueError:
        raise ChargeUnitError(
            f"unknown outcome {outcome!r}: one of {', '.join(o.value for o in ChargeOutcome)}"
        ) from None
    if filed is not None:
        unit.filing_date = filed
    if outcome == ChargeOutcome.PRESENTED:
        if date is not None:
            unit.filing_date = date
        if unit.filing_date is None:
            raise ChargeUnitError(f"unit {unit.id}: `presented` needs the filing date (--date)")
        unit.decision_date = None
    elif outcome == ChargeOutcome.PENDING:
        unit.decision_date = None
    else:
        if date is None and outcome != ChargeOutcome.WITHDRAWN:
            raise ChargeUnitError(f"unit {unit.id}: `{outcome}` needs the decision date (--date)")
        unit.decision_date = date
    if unit.filing_date and unit.decision_date and unit.decision_date < unit.filing_date:
        raise ChargeUnitError(f"unit {unit.id}: decision date {unit.decision_date} is before filing {unit.filing_date}")
    unit.outcome, unit.updated_at = outcome.value, utcnow()


def set_outcome(
    *, session: Session, unit_id: int, outcome: str, date: dt.date | None = None, filed: dt.date | None = None
) -> ChargeUnit:
    """`presented`: `date` is the filing date. Otherwise `date` is the decision date."""
    unit = session.get(ChargeUnit, unit_id)
    if unit is None:
        raise NotFound(f"no KPI 11 unit {unit_id}")
    _apply_outcome(unit, outcome, date, filed)
    session.flush()
    return unit


class OutcomeImport(BaseModel):
    updated: int = 0
    problems: list[ImportProblem] = Field(default_factory=list)


def import_outcomes(*, session: Session, text: str) -> OutcomeImport:
    """CSV with `unit_id` or `unit_key`, `outcome`, and optional `decision_date`, `filing_date`.
    All or nothing: any problem refuses the file (ImportRefused names line and field)."""
    from rules.text import as_date

    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    problems: list[ImportProblem] = []
    if not ({"unit_id", "unit_key"} & set(header)) or "outcome" not in header:
        raise ImportRefused(
            [ImportProblem(row="line 1", field=None, message="header needs unit_id or unit_key, and outcome")]
        )
    result = OutcomeImport()
    for entry in reader:
        row = f"line {reader.line_num}"
        entry = {k: (v or "").strip() for k, v in entry.items() if k}
        if not any(entry.values()):
            continue
        unit = None
        if entry.get("unit_id"):
            unit = session.get(ChargeUnit, int(entry["unit_id"])) if entry["unit_id"].isdigit() else None
            if unit is None:
                problems.append(ImportProblem(row=row, field="unit_id", message=f"no unit {entry['unit_id']!r}"))
                continue
        else:
            unit = session.exec(select(ChargeUnit).where(ChargeUnit.unit_key == entry.get("unit_key"))).first()
            if unit is None:
                problems.append(ImportProblem(row=row, field="unit_key", message=f"no unit {entry.get('unit_key')!r}"))
                continue
        dates = {}
        for name in ("decision_date", "filing_date"):
            raw = entry.get(name, "")
            dates[name] = as_date(raw) if raw else None
            if raw and dates[name] is None:
                problems.append(ImportProblem(row=row, field=name, message=f"not a YYYY-MM-DD date: {raw!r}"))
        if any(p.row == row for p in problems):
            continue
        try:
            date = dates["filing_date"] if entry["outcome"] == "presented" else dates["decision_date"]
            _apply_outcome(unit, entry["outcome"], date, dates["filing_date"])
            result.updated += 1
        except ChargeUnitError as exc:
            problems.append(ImportProblem(row=row, field="outcome", message=str(exc)))
    if problems:
        raise ImportRefused(problems)
    session.flush()
    return result


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
