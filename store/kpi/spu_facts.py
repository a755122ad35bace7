"""The SPU indicator's facts of a stored interview-record version (contract v2 §6.1), recorded with
its KPI 10 facts (store/kpi/facts.py) by the pre-check and by `gcu-review kpi backfill-facts`.

Everything the indicator reads of the front matter is decided here, once per version:
- vulnerable and its categories (v2 §1.3, §6.1: rules/vulnerability.py);
- supported: `psychosocial_support.during` in {present, on_call} and `provider_role` in
  {psychologist, psychosocial_expert} (VUL-IR-04's condition);
- the witness key: the well-formed `witnesses[0].code`, else the product id (one witness);
- needs all met: every need entry (a mapping in `stated_needs`) has `met == "yes"`, or there is none.
Whether a record was filed late is decided when the indicator is computed (a configurable delay).
"""

from typing import Any

from sqlmodel import Session, select

from models.enums import Verdict
from models.spu_tables import InterviewRecordFacts
from models.tables import Product, ProductVersion, utcnow
from rules.text import as_date
from rules.vulnerability import categories, witness_code

SUPPORTED_DURING = ("present", "on_call")
QUALIFIED_PROVIDERS = ("psychologist", "psychosocial_expert")


def _map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def interview_record_values(product_id: str, front_matter: dict, submitted_on, format_error: bool) -> dict[str, Any]:
    """The facts of one record's front matter (pure: no database)."""
    witnesses = front_matter.get("witnesses")
    witness = _map(witnesses[0]) if isinstance(witnesses, list) and witnesses else {}
    record_date = as_date(_map(front_matter.get("record")).get("date"))
    support = _map(front_matter.get("psychosocial_support"))
    during = support.get("during") if isinstance(support.get("during"), str) else None
    needs = witness.get("stated_needs")
    entries = [e for e in needs if isinstance(e, dict)] if isinstance(needs, list) else []
    cats = categories(witness)
    return {
        "format_error": format_error,
        "record_date": record_date,
        "period_date": record_date or submitted_on,
        "submitted_on": submitted_on,
        "witness_key": witness_code(witness) or product_id,
        "vulnerable": bool(cats),
        "categories": cats,
        "support_during": during,
        "supported": during in SUPPORTED_DURING and support.get("provider_role") in QUALIFIED_PROVIDERS,
        "needs_all_met": all(e.get("met") == "yes" for e in entries),
    }


def record_interview_record_facts(
    *, session: Session, version: ProductVersion, product: Product | None, submitted_on
) -> InterviewRecordFacts:
    """Upsert the facts of `version` (idempotent: keyed by product and version)."""
    fm = version.front_matter or {}
    values = interview_record_values(
        version.product_id, fm, submitted_on, format_error=version.verdict == Verdict.FORMAT_ERROR
    )
    values.update(
        version_id=version.id,
        team_id=product.team_id if product else str(_map(fm.get("product")).get("team") or ""),
        situation=product.situation if product else str(_map(fm.get("product")).get("situation") or ""),
        recorded_at=utcnow(),
    )
    row = session.exec(
        select(InterviewRecordFacts).where(
            InterviewRecordFacts.product_id == version.product_id, InterviewRecordFacts.version_no == version.version_no
        )
    ).first()
    if row is None:
        row = InterviewRecordFacts(product_id=version.product_id, version_no=version.version_no, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row
