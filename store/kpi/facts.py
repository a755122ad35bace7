"""KPI 10 facts of a stored product version, computed once at write time (requirements.md §7.1).

Relevance and execution dates live in the front matter (and, for CH/CS, in the trigger text of the
body), which SQL cannot read portably or fast. So every stored version gets one `ProductFacts` row:
the pre-check activity calls `record_product_facts` right after the version is stored (in the same
transaction), and `backfill_product_facts` (CLI `gcu-review kpi backfill-facts`) fills the rows of
versions stored before, or recomputes all of them after a definition change.

- Relevant (§7.1) and execution date: as each type's registry entry says (`kpi10` in
  rules/product_types/: IP and AP always; IO and MP by their witnesses; CH/CS by their SGBC/CAC
  counts or an `R_*` trigger in the trigger text, format §5.3; GA never).
- Reference date: the execution date if any, else `product.submitted_on`. Late: submitted on or
  after the execution date.
"""

import datetime as dt
import re
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.kpi_tables import ProductFacts
from models.tables import Product, ProductVersion, utcnow
from rules import facts as rule_facts
from rules.product_types import ReviewUnit, spec_for
from store.certifications import day_start
from store.kpi.spu_facts import record_interview_record_facts

TriggerMatcher = Callable[[ProductVersion], bool]

SGBC_TAGS = frozenset(rule_facts.SGBC_TAGS)
CAC_TAGS = frozenset(rule_facts.CAC_TAGS)


def _date(value: Any) -> dt.date | None:
    from rules.text import as_date

    return as_date(value)


def _map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@lru_cache(maxsize=1)
def _pack_triggers() -> tuple[re.Pattern[str], ...]:
    # The R_* trigger regexes of the rule pack (requirements.md §3.1, used verbatim), except the
    # reason regexes R_CORROBORATION and (contract v2) R_CORROBORATION_DISCLAIMER.
    from rules.loader import load_pack

    named = load_pack().regexes.named
    reasons = ("R_CORROBORATION", "R_CORROBORATION_DISCLAIMER")  # read in reasons, never as triggers
    return tuple(rx for name, rx in named.items() if name.startswith("R_") and name not in reasons)


def trigger_units(version: ProductVersion) -> list[str]:
    """The trigger text of contract v2 §1.7 (v2 §6.2: KPI 10 reads it for CH/CS): a list of units."""
    from rules.facts_chg import trigger_units_of
    from rules.product import parse_product

    text = version.check_text
    if text is None:
        text = version.content.decode("utf-8", errors="replace")
    outcome = parse_product(text)
    return trigger_units_of(outcome.product) if outcome.product is not None else []


def pack_trigger_matcher(version: ProductVersion) -> bool:
    units = trigger_units(version)
    return any(rx.search(unit) for rx in _pack_triggers() for unit in units)


def relevance(
    product_type: str,
    front_matter: dict,
    version: ProductVersion,
    matcher: TriggerMatcher | None,
    use_triggers: bool = True,
) -> tuple[bool, str]:
    """KPI 10 relevance of a stored version, as its type's registry entry decides."""
    return spec_for(product_type).kpi10.relevance(
        front_matter, lambda: use_triggers and (matcher or pack_trigger_matcher)(version)
    )


def record_product_facts(
    *,
    session: Session,
    version: ProductVersion,
    trigger_matcher: TriggerMatcher | None = None,
    use_triggers: bool = True,
) -> ProductFacts:
    """Compute and upsert the KPI 10 facts of `version` (idempotent: keyed by product and version)."""
    product = session.get(Product, version.product_id)
    fm = version.front_matter or {}
    head = _map(fm.get("product"))
    product_type = str(head.get("type") or (product.type if product else ""))
    relevant, reason = relevance(product_type, fm, version, trigger_matcher, use_triggers)
    submitted_on = _date(head.get("submitted_on")) or version.submitted_at.date()
    execution_path = spec_for(product_type).kpi10.execution_date
    execution = _date(_map(fm.get(execution_path[0])).get(execution_path[1])) if execution_path else None
    values: dict[str, Any] = dict(
        version_id=version.id,
        product_type=product_type,
        team_id=product.team_id if product else str(head.get("team") or ""),
        situation=str(head.get("situation") or (product.situation if product else "")),
        relevant=relevant,
        relevance_reason=reason,
        submitted_on=submitted_on,
        execution_date=execution,
        reference_date=execution or submitted_on,
        late=execution is not None and submitted_on >= execution,
        engagement_deadline=day_start(execution + timedelta(days=1)) if execution else None,
        recorded_at=utcnow(),
    )
    row = session.exec(
        select(ProductFacts).where(
            ProductFacts.product_id == version.product_id, ProductFacts.version_no == version.version_no
        )
    ).first()
    if row is None:
        row = ProductFacts(product_id=version.product_id, version_no=version.version_no, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    if spec_for(product_type).review_unit == ReviewUnit.SPU:
        # The SPU monitors the records it reviews (contract v2 §6.1).
        record_interview_record_facts(session=session, version=version, product=product, submitted_on=submitted_on)
    return row


def backfill_product_facts(
    *,
    session: Session,
    recompute: bool = False,
    batch: int = 500,
    trigger_matcher: TriggerMatcher | None = None,
    use_triggers: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Record the facts of every version that has none (or of every version with `recompute`)."""
    query = sa.select(col(ProductVersion.id)).order_by(col(ProductVersion.id))
    if not recompute:
        query = query.outerjoin(
            ProductFacts,
            sa.and_(
                col(ProductFacts.product_id) == col(ProductVersion.product_id),
                col(ProductFacts.version_no) == col(ProductVersion.version_no),
            ),
        ).where(col(ProductFacts.id).is_(None))
    ids = list(session.scalars(query))
    for start in range(0, len(ids), batch):
        for version in session.exec(
            select(ProductVersion).where(col(ProductVersion.id).in_(ids[start : start + batch]))
        ):
            record_product_facts(
                session=session, version=version, trigger_matcher=trigger_matcher, use_triggers=use_triggers
            )
            if progress:
                progress(1)
        session.flush()
        session.expunge_all()
    return len(ids)
