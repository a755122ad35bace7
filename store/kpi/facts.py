"""KPI 10 facts of a stored product version, computed once at write time (requirements.md §7.1).

Relevance and execution dates live in the front matter (and, for CH/CS, in the trigger text of the
body), which SQL cannot read portably or fast. So every stored version gets one `ProductFacts` row:
the pre-check activity calls `record_product_facts` right after the version is stored (in the same
transaction), and `backfill_product_facts` (CLI `gcu-review kpi backfill-facts`) fills the rows of
versions stored before, or recomputes all of them after a definition change.

- Relevant (§7.1): IP; AP; IO whose witness is sensitive (child or SGBC survivor, format §2.2);
  MP with at least one sensitive planned witness; CH/CS with an SGBC or CAC count (`is_sgbc` or
  `is_cac` true, or crime in the SGBC/CAC tags, format §2.12) or with an `R_*` trigger matching the
  trigger text (format §5.3). GA is not relevant.
- Execution date: IO `interview.date`; MP `mission.start`. Reference date: the execution date if any,
  else `product.submitted_on`. Late: submitted on or after the execution date.
"""

import datetime as dt
import re
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select, col

from models.kpi_tables import ProductFacts
from models.tables import Product, ProductVersion, utcnow
from store.certifications import day_start

TriggerMatcher = Callable[[ProductVersion], bool]

SGBC_TAGS = frozenset({
    "rape", "sexual_slavery", "enforced_prostitution", "forced_pregnancy", "enforced_sterilization",
    "other_sexual_violence", "forced_marriage", "gender_persecution",
})
CAC_TAGS = frozenset({
    "child_recruitment", "forcible_transfer_children", "deportation_children", "child_trafficking",
    "attacks_on_education", "attacks_on_health_care",
})


def _date(value: Any) -> dt.date | None:
    from rules.text import as_date

    return as_date(value)


def _map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def is_sensitive(witness: Any) -> bool:
    witness = _map(witness)
    age = witness.get("age")
    child = isinstance(age, int) and not isinstance(age, bool) and age < 18
    return child or witness.get("sgbc_survivor") is True


def sgbc_cac_counts(front_matter: dict) -> bool:
    counts = front_matter.get("counts")
    for count in counts if isinstance(counts, list) else []:
        count = _map(count)
        if count.get("is_sgbc") is True or count.get("is_cac") is True or count.get("crime") in SGBC_TAGS | CAC_TAGS:
            return True
    return False


@lru_cache(maxsize=1)
def _pack_triggers() -> tuple[re.Pattern[str], ...]:
    # The R_* trigger regexes of the rule pack (requirements.md §3.1, used verbatim), except the
    # reason regex R_CORROBORATION.
    from rules.loader import load_pack

    named = load_pack().regexes.named
    return tuple(rx for name, rx in named.items() if name.startswith("R_") and name != "R_CORROBORATION")


def trigger_text(version: ProductVersion) -> str:
    from rules.product import parse_product

    text = version.check_text
    if text is None:
        text = version.content.decode("utf-8", errors="replace")
    outcome = parse_product(text)
    return outcome.product.body.trigger_text() if outcome.product is not None else ""


def pack_trigger_matcher(version: ProductVersion) -> bool:
    text = trigger_text(version)
    return any(rx.search(text) for rx in _pack_triggers())


def relevance(product_type: str, front_matter: dict, version: ProductVersion, matcher: TriggerMatcher | None,
              use_triggers: bool = True) -> tuple[bool, str]:
    if product_type in ("IP", "AP"):
        return True, f"{product_type} is always relevant"
    witnesses = front_matter.get("witnesses")
    witnesses = witnesses if isinstance(witnesses, list) else []
    if product_type == "IO":
        sensitive = bool(witnesses) and is_sensitive(witnesses[0])
        return sensitive, "sensitive witness" if sensitive else "witness not sensitive"
    if product_type == "MP":
        sensitive = any(is_sensitive(w) for w in witnesses)
        return sensitive, "sensitive planned witness" if sensitive else "no sensitive planned witness"
    if product_type in ("CH", "CS"):
        if sgbc_cac_counts(front_matter):
            return True, "SGBC or CAC count"
        if use_triggers and (matcher or pack_trigger_matcher)(version):
            return True, "R_* trigger in the trigger text"
        return False, "no SGBC/CAC count or trigger"
    return False, f"{product_type} is not a relevant type"


def record_product_facts(
    *, session: Session, version: ProductVersion, trigger_matcher: TriggerMatcher | None = None,
    use_triggers: bool = True,
) -> ProductFacts:
    """Compute and upsert the KPI 10 facts of `version` (idempotent: keyed by product and version)."""
    product = session.get(Product, version.product_id)
    fm = version.front_matter or {}
    head = _map(fm.get("product"))
    product_type = str(head.get("type") or (product.type if product else ""))
    relevant, reason = relevance(product_type, fm, version, trigger_matcher, use_triggers)
    submitted_on = _date(head.get("submitted_on")) or version.submitted_at.date()
    execution = None
    if product_type == "IO":
        execution = _date(_map(fm.get("interview")).get("date"))
    elif product_type == "MP":
        execution = _date(_map(fm.get("mission")).get("start"))
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
        select(ProductFacts).where(ProductFacts.product_id == version.product_id,
                                   ProductFacts.version_no == version.version_no)
    ).first()
    if row is None:
        row = ProductFacts(product_id=version.product_id, version_no=version.version_no, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row


def backfill_product_facts(
    *, session: Session, recompute: bool = False, batch: int = 500, trigger_matcher: TriggerMatcher | None = None,
    use_triggers: bool = True, progress: Callable[[int], None] | None = None,
) -> int:
    """Record the facts of every version that has none (or of every version with `recompute`)."""
    query = sa.select(col(ProductVersion.id)).order_by(col(ProductVersion.id))
    if not recompute:
        query = query.outerjoin(
            ProductFacts,
            sa.and_(col(ProductFacts.product_id) == col(ProductVersion.product_id), col(ProductFacts.version_no) == col(ProductVersion.version_no)),
        ).where(col(ProductFacts.id).is_(None))
    ids = list(session.scalars(query))
    for start in range(0, len(ids), batch):
        for version in session.exec(select(ProductVersion).where(col(ProductVersion.id).in_(ids[start : start + batch]))):
            record_product_facts(session=session, version=version, trigger_matcher=trigger_matcher,
                                 use_triggers=use_triggers)
            if progress:
                progress(1)
        session.flush()
        session.expunge_all()
    return len(ids)
