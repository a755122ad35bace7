"""A year of history for the demo (`make run`): products of the demo teams submitted, returned,
resubmitted and decided across the last four quarters before today, some decided late, some
withdrawn; KPI 11 outcomes for the charging documents; certificates that lapsed and were renewed.
So every dashboard figure and trend has values on a first start.

The history is of closed reviews only (approved or withdrawn), written through the data layer as
the recording activity writes it (versions, findings from the real rule engine, KPI facts, audit
events with their decisions, the review row), at the past times it happened. No workflow runs for
them: nobody can act on a closed review, so none is needed. Open work comes from service/demo.py's
live submissions. Idempotent: products already present are skipped."""

import datetime as dt
import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.enums import FindingState, ReviewAction, ReviewState, Verdict
from models.messages import ReviewWorkflowState
from models.tables import Certification, Product, stored_id
from rules.engine import default_engine
from rules.roster import load_roster
from settings import Settings
from store import audit
from store import findings as finding_store
from store import products as product_store
from store.db import get_existing
from store.kpi.charge_units import seed_charge_units, set_outcome
from store.kpi.facts import record_product_facts
from store.reviews import upsert_review

log = logging.getLogger("gcu_review.demo")

# (template, reviewer, path): path "approve" | "return" (returned once, then approved) | "late"
# (approved after its due date) | "withdraw". Four quarters, each with a mix.
_PLAN = [
    ("S1-IP-heron.md", "GX-02", "return"),
    ("S6-MP-compliant.md", "GX-03", "approve"),
    ("S5-CS-kestrel.md", "GX-02", "late"),
    ("S4-CH-osprey.md", "GX-03", "return"),
    ("S2-IO-child-compliant.md", "GX-02", "approve"),
    ("S7-AP-kestrel.md", "GX-03", "withdraw"),
]
RETURN_REASONS = [
    "Add the gender analysis and the GCU consultation points before AWA/DCC.",
    "Replace the terms to avoid and add the witness vulnerability and protection section.",
    "The support roles lack certificates: enrol them or re-staff before the mission.",
]
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass
class _Clock:
    """Transition times of one product and the sequence of its audit events."""

    workflow_id: str
    product_id: str
    seq: int = 0

    def next(self) -> int:
        self.seq += 1
        return self.seq


def quarter_starts(today: dt.date, quarters: int = 4) -> list[dt.date]:
    """The first days of the `quarters` calendar quarters before the one containing `today`, oldest first."""
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    out: list[dt.date] = []
    for _ in range(quarters):
        q_start = (q_start - timedelta(days=1)).replace(day=1)
        q_start = dt.date(q_start.year, 3 * ((q_start.month - 1) // 3) + 1, 1)
        out.insert(0, q_start)
    return out


def _quarters(today: dt.date) -> list[tuple[int, dt.date, int]]:
    """(index, first day, days between submissions): the four quarters before today's, then today's
    own as far as its reviews could be closed by yesterday (the longest path takes 18 days)."""
    out = [(i, start, 11) for i, start in enumerate(quarter_starts(today))]
    current = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    room = (today - timedelta(days=20) - (current + timedelta(days=7))).days
    if room >= len(_PLAN):
        out.append((len(out), current, room // len(_PLAN)))
    return out


def _shifted(text: str, old_id: str, new_id: str, days: int) -> str:
    """The template with a new id and every date of its front matter moved by `days`."""
    end = text.index("\n---", 3)
    head, body = text[:end], text[end:]

    def move(m: re.Match) -> str:
        try:
            return (dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) + timedelta(days=days)).isoformat()
        except ValueError:
            return m.group(0)

    return (_DATE.sub(move, head) + body).replace(old_id, new_id)


def seed_history(*, db_engine: Engine, settings: Settings, today: dt.date | None = None) -> list[str]:
    """Write the history products not yet present; returns their ids."""
    today = today or dt.date.today()
    roster = load_roster(_demo_dir() / "roster.yaml").roster
    engine = default_engine()
    made: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for qi, start, spacing in _quarters(today):
            for pi, (template, reviewer, path) in enumerate(_PLAN):
                source_text = (_demo_dir() / "products" / template).read_text(encoding="utf-8")
                found = re.search(r"^  id: (\S+)$", source_text, re.MULTILINE)
                if found is None:
                    raise ValueError(f"demo product {template} has no product id")
                old_id = found.group(1)
                new_id = f"{old_id.rsplit('-', 1)[0]}-H{start.year % 100:02d}Q{(start.month - 1) // 3 + 1}{pi}"
                submitted = start + timedelta(days=7 + spacing * pi)
                original = re.search(r"^  submitted_on: (\S+)$", source_text, re.MULTILINE)
                offset = (submitted - dt.date.fromisoformat(original.group(1))).days if original else 0
                text = _shifted(source_text, old_id, new_id, offset)
                with Session(db_engine) as session:
                    if session.get(Product, new_id) is not None:
                        continue
                file = Path(tmp) / f"{new_id}.md"
                file.write_text(text, encoding="utf-8")
                _write_product(db_engine, settings, engine, roster, file, reviewer, path, submitted, qi + pi)
                made.append(new_id)
    with Session(db_engine) as session:
        _charge_outcomes(session, made, today)
        _renewals(session, today)
        session.commit()
    log.info("demo history: %d closed reviews over the last four quarters", len(made))
    return made


def _demo_dir() -> Path:
    from service.demo import DEMO_DIR

    return DEMO_DIR


def _at(day: dt.date, hour: int) -> datetime:
    return datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)


def _write_product(
    db_engine, settings, engine, roster, file: Path, reviewer: str, path: str, submitted: dt.date, salt: int
):
    from service import reviews

    source = reviews.read_source(file, None, settings)
    meta = reviews._parse_or_refuse(source)
    pid = meta["product_id"]
    clock = _Clock(f"product-review-{pid}", pid)
    due = _at(submitted + timedelta(days=14), 17)
    with Session(db_engine) as session:
        v1 = product_store.create_version(
            session=session,
            submitted_by=meta["author_id"],
            filename=source.filename,
            media_type=source.media_type,
            **source.store_fields(),
            **meta,
        )
        v1.submitted_at = _at(submitted, 9)
        get_existing(session, Product, pid).created_at = _at(submitted, 9)
        verdict = _check(session, engine, roster, v1, source.store_fields(), _at(submitted, 9))
        state = ReviewWorkflowState(
            state=ReviewState.SUBMITTED,
            version_id=v1.id,
            version_no=1,
            version_label=v1.version_label,
            title=meta["title"],
            verdict=verdict,
            due_at=due,
        )
        _event(session, clock, ReviewAction.SUBMIT, meta["author_id"], None, ReviewState.SUBMITTED, _at(submitted, 9))
        _event(
            session,
            clock,
            ReviewAction.PRECHECK,
            None,
            ReviewState.SUBMITTED,
            ReviewState.PRECHECKED,
            _at(submitted, 9),
        )
        _event(
            session, clock, ReviewAction.ENQUEUE, None, ReviewState.PRECHECKED, ReviewState.QUEUED, _at(submitted, 9)
        )
        if path == "withdraw":
            _event(
                session,
                clock,
                ReviewAction.WITHDRAW,
                meta["author_id"],
                ReviewState.QUEUED,
                ReviewState.WITHDRAWN,
                _at(submitted + timedelta(days=3), 11),
                reason="Superseded by the annual plan of the new situation.",
            )
            _finish(session, v1, state, ReviewState.WITHDRAWN, None)
            session.commit()
            return
        _event(
            session,
            clock,
            ReviewAction.CLAIM,
            reviewer,
            ReviewState.QUEUED,
            ReviewState.IN_REVIEW,
            _at(submitted + timedelta(days=1), 10),
        )
        version, decided_day = v1, submitted + timedelta(days=(18 if path == "late" else 6))
        if path == "return":
            returned = submitted + timedelta(days=5)
            _decision(
                session,
                clock,
                ReviewAction.RETURN,
                reviewer,
                ReviewState.IN_REVIEW,
                ReviewState.RETURNED,
                _at(returned, 15),
                v1,
                RETURN_REASONS[salt % len(RETURN_REASONS)],
            )
            resubmitted = returned + timedelta(days=9)
            fields = dict(source.store_fields())
            version = product_store.create_version(
                session=session,
                submitted_by=meta["author_id"],
                filename=source.filename,
                media_type=source.media_type,
                **fields,
                **{**meta, "version_label": f"{meta['version_label']}-rev"},
            )
            version.submitted_at = _at(resubmitted, 9)
            _check(session, engine, roster, version, fields, _at(resubmitted, 9))
            _event(
                session,
                clock,
                ReviewAction.RESUBMIT,
                meta["author_id"],
                ReviewState.RETURNED,
                ReviewState.RESUBMITTED,
                _at(resubmitted, 9),
            )
            _event(
                session,
                clock,
                ReviewAction.PRECHECK,
                None,
                ReviewState.RESUBMITTED,
                ReviewState.PRECHECKED,
                _at(resubmitted, 9),
            )
            _event(
                session,
                clock,
                ReviewAction.ASSIGN,
                None,
                ReviewState.PRECHECKED,
                ReviewState.IN_REVIEW,
                _at(resubmitted, 9),
            )
            decided_day = resubmitted + timedelta(days=4)
            due = _at(resubmitted + timedelta(days=14), 17)
        # The findings that stand in the way of approval are dismissed with a reason, then approved.
        for f in finding_store.list_for_version(session=session, version_id=stored_id(version)):
            if f.state == FindingState.OPEN and f.severity in ("blocking", "major"):
                at = _at(decided_day, 11)
                finding_store.dismiss(
                    session=session,
                    finding_id=f.finding_id,
                    dismissed_by=reviewer,
                    reason="Covered by the annex agreed with the GCU.",
                    at=at,
                )
                _event(
                    session,
                    clock,
                    ReviewAction.DISMISS_FINDING,
                    reviewer,
                    ReviewState.IN_REVIEW,
                    None,
                    at,
                    reason="Covered by the annex agreed with the GCU.",
                    details={"rule_id": f.rule_id},
                )
        _decision(
            session,
            clock,
            ReviewAction.APPROVE,
            reviewer,
            ReviewState.IN_REVIEW,
            ReviewState.APPROVED,
            _at(decided_day, 16),
            version,
            None,
        )
        version.locked = True
        state = state.model_copy(
            update={
                "version_id": version.id,
                "version_no": version.version_no,
                "version_label": version.version_label,
                "due_at": due,
            }
        )
        _finish(session, version, state, ReviewState.APPROVED, reviewer, at=_at(decided_day, 16))
        session.commit()


def _check(session, engine, roster, version, fields: dict, at: datetime) -> Verdict:
    result = engine.check_text(fields.get("check_text") or version.content.decode("utf-8"), roster)
    version.verdict = str(result.verdict)
    finding_store.record_findings(session=session, version=version, findings=result.findings, at=at)
    record_product_facts(session=session, version=version)
    return Verdict(result.verdict)


def _event(session, clock: _Clock, action, actor, from_state, to_state, at, reason=None, details=None):
    return audit.append_event(
        session=session,
        workflow_id=clock.workflow_id,
        transition_seq=clock.next(),
        product_id=clock.product_id,
        action=str(action),
        actor_id=actor,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=at,
        details=details,
    )


def _decision(session, clock, action, reviewer, from_state, to_state, at, version, reason):
    from models.tables import Decision

    event = _event(session, clock, action, reviewer, from_state, to_state, at, reason=reason)
    session.add(
        Decision(
            product_id=clock.product_id,
            version_id=stored_id(version),
            reviewer_id=reviewer,
            decision={ReviewAction.APPROVE: "approve", ReviewAction.RETURN: "return"}[action],
            reason=reason,
            decided_at=at,
            audit_event_id=stored_id(event),
        )
    )
    session.flush()


def _finish(
    session, version, state: ReviewWorkflowState, final: ReviewState, reviewer: str | None, at: datetime | None = None
):
    product = session.get(Product, version.product_id)
    at = at or version.submitted_at + timedelta(days=3)
    upsert_review(
        session=session,
        product=product,
        workflow_id=f"product-review-{product.id}",
        state_after=state.model_copy(
            update={"state": final, "assignee": reviewer, "decided_by": reviewer, "decided_at": at}
        ),
        at=at,
    )


def _charge_outcomes(session: Session, product_ids: list[str], today: dt.date) -> None:
    """KPI 11: the charging documents' units filed a week after approval, most granted within weeks."""
    from models.kpi_tables import ChargeUnit

    if not product_ids:
        return
    seed_charge_units(session=session, product_ids=product_ids)
    units = session.exec(
        select(ChargeUnit).where(col(ChargeUnit.product_id).in_(product_ids)).order_by(col(ChargeUnit.id))
    ).all()
    for i, unit in enumerate(units):
        product = get_existing(session, Product, unit.product_id)
        filed = min(product.created_at.date() + timedelta(days=20), today - timedelta(days=2))
        decided = min(filed + timedelta(days=30), today - timedelta(days=1))
        outcome = ("granted", "granted", "declined", "granted", "recharacterised")[i % 5]
        set_outcome(session=session, unit_id=stored_id(unit), outcome="presented", date=filed)
        if decided > filed:
            set_outcome(session=session, unit_id=stored_id(unit), outcome=outcome, date=decided)


def _renewals(session: Session, today: dt.date) -> None:
    """Certificates that lapsed during the year, renewed since: the register keeps both records."""
    lapsed = session.exec(
        select(Certification).where(
            col(Certification.expires) < today,
            col(Certification.expires) >= today - timedelta(days=365),
            col(Certification.revoked_at).is_(None),
        )
    ).all()
    for cert in lapsed[::2]:
        if cert.expires is None:
            continue  # the query read expiring certificates only
        renewed_on = min(cert.expires + timedelta(days=21), today - timedelta(days=1))
        exists = session.exec(
            select(Certification.id).where(
                Certification.staff_id == cert.staff_id,
                Certification.cert == cert.cert,
                Certification.issued == renewed_on,
            )
        ).first()
        if exists is None:
            session.add(
                Certification(
                    staff_id=cert.staff_id,
                    cert=cert.cert,
                    issued=renewed_on,
                    expires=renewed_on + timedelta(days=3 * 365),
                    source="demo",
                )
            )
