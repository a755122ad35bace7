"""Activities of the product review: every side effect of ProductReviewWorkflow happens here.

Both are idempotent, because Temporal retries an activity whose worker crashed after writing:
- precheck keys findings by f"{product_id}:v{version_no}:{rule_id}", so a rerun writes nothing twice;
- record_transition is keyed by (workflow_id, transition.seq): a retry finds its audit event and
  returns created=False without touching anything.
Database work is synchronous SQLAlchemy, run in a thread so the worker's event loop stays free.
"""

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from models.enums import DecisionKind, ReviewAction, Verdict
from models.findings import CheckResult, FormatErrorEntry
from models.messages import (
    PrecheckInput,
    PrecheckResult,
    RecordTransitionInput,
    RecordTransitionResult,
)
from models.roster import Roster
from models.tables import Decision, Product, ProductVersion, utcnow
from store import audit, findings, notifications, recipients, reviews
from store.db import session_scope
from store.kpi.facts import record_product_facts
from store.errors import NotFound
from store.roster_view import roster_from_db

# transition.details keys read by record_transition for a dismiss_finding transition.
DETAIL_RULE_ID = "rule_id"
DETAIL_FINDING_ID = "finding_id"  # optional; default f"{product_id}:v{version_no}:{rule_id}"

_DECISIONS = {
    ReviewAction.APPROVE: DecisionKind.APPROVE,
    ReviewAction.RETURN: DecisionKind.RETURN,
    ReviewAction.ESCALATE: DecisionKind.ESCALATE,
}


# Heartbeats tell Temporal the worker is alive; a worker that dies (SIGKILL, lost host) misses
# them and the attempt is retried after the workflow's heartbeat timeout instead of the much
# longer start-to-close timeout.
HEARTBEAT_EVERY_SECONDS = 2.0


async def _heartbeating(work):
    task = asyncio.ensure_future(work)
    while True:
        activity.heartbeat()
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY_SECONDS)
        if done:
            return task.result()


class RulesEngine(Protocol):
    pack_version: str

    def check_text(self, text: str, roster: Roster, file: str = "<memory>") -> CheckResult: ...


def _engine_factory_for(settings) -> Callable[[], RulesEngine]:
    """RULES_PACK_DIR selects another pack folder (e.g. a GCU-edited copy); default: rules/packs."""
    pack_dir = getattr(settings, "rules_pack_dir", None)
    if pack_dir is None:
        return _default_engine_factory

    def load() -> RulesEngine:
        from rules.engine import Engine

        return Engine.load(pack_dir)

    return load


def _default_engine_factory() -> RulesEngine:
    from rules.engine import default_engine

    return default_engine()


def _not_found(message: str) -> ApplicationError:
    # Retrying cannot make a missing row appear: fail the activity for good, with the reason.
    return ApplicationError(message, type="NotFound", non_retryable=True)


def _format_error_text(error: FormatErrorEntry) -> str:
    where = " ".join(part for part in (f"line {error.line}" if error.line else "", error.field or "") if part)
    return f"{where}: {error.message}" if where else error.message


class ReviewActivities:
    """Built once in worker.py with its dependencies; the engine is loaded on first use."""

    def __init__(
        self,
        *,
        db_engine: sa.Engine,
        settings: Any,
        rules_engine_factory: Callable[[], RulesEngine] | None = None,
    ) -> None:
        self.db_engine = db_engine
        self.settings = settings
        self._rules_engine_factory = rules_engine_factory or _engine_factory_for(settings)
        self._rules_engine: RulesEngine | None = None
        self._rules_engine_lock = threading.Lock()

    def rules_engine(self) -> RulesEngine:
        with self._rules_engine_lock:
            if self._rules_engine is None:
                self._rules_engine = self._rules_engine_factory()
            return self._rules_engine

    # ------------------------------------------------------------------ precheck

    @activity.defn(name=names.PRECHECK)
    async def precheck(self, input: PrecheckInput) -> PrecheckResult:
        return await _heartbeating(asyncio.to_thread(self._precheck, input))

    def _precheck(self, input: PrecheckInput) -> PrecheckResult:
        with session_scope(self.db_engine) as session:
            version = self._version(session, input.product_id, input.version_id, input.version_no)
            filename = version.filename
            text, decode_error = self._text_of(version)
            roster = roster_from_db(session=session)
        engine = self.rules_engine()
        if decode_error is not None:
            result = CheckResult(file=filename, verdict=Verdict.FORMAT_ERROR, errors=[decode_error],
                                 pack_version=engine.pack_version)
        else:
            # The engine is pure and CPU-bound; no transaction stays open while it runs.
            result = engine.check_text(text, roster, file=filename)
        with session_scope(self.db_engine) as session:
            version = self._version(session, input.product_id, input.version_id, input.version_no)
            if result.verdict == Verdict.FORMAT_ERROR:
                rows = findings.list_for_version(session=session, version_id=version.id)
            else:
                rows = findings.record_findings(session=session, version=version, findings=result.findings, at=utcnow())
            version.verdict = str(result.verdict)
            version.pack_version = result.pack_version
            # KPI 10 reads relevance and execution dates from these facts (store/kpi/facts.py).
            record_product_facts(session=session, version=version)
            views = [findings.to_view(row) for row in rows]
        return PrecheckResult(
            verdict=result.verdict,
            pack_version=result.pack_version,
            findings=views,
            format_errors=[_format_error_text(e) for e in result.errors],
        )

    @staticmethod
    def _version(session, product_id: str, version_id: int, version_no: int | None = None) -> ProductVersion:
        version = session.get(ProductVersion, version_id)
        if version is None or version.product_id != product_id:
            raise _not_found(f"product {product_id} has no stored version with id {version_id}")
        if version_no is not None and version.version_no != version_no:
            raise _not_found(f"version id {version_id} of {product_id} is version {version.version_no}, not {version_no}")
        return version

    @staticmethod
    def _text_of(version: ProductVersion) -> tuple[str, FormatErrorEntry | None]:
        if version.check_text is not None:
            return version.check_text, None
        try:
            return version.content.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            line = version.content[: exc.start].count(b"\n") + 1
            return "", FormatErrorEntry(line=line, message="not valid UTF-8")

    # ------------------------------------------------------------------ record_transition

    @activity.defn(name=names.RECORD_TRANSITION)
    async def record_transition(self, input: RecordTransitionInput) -> RecordTransitionResult:
        return await _heartbeating(asyncio.to_thread(self._record_transition, input))

    def _record_transition(self, input: RecordTransitionInput) -> RecordTransitionResult:
        t = input.transition
        with session_scope(self.db_engine) as session:
            # Lock the chain first: the check for an earlier attempt and the append are then atomic.
            audit.lock_chain(session=session)
            earlier = audit.find_event(session=session, workflow_id=input.workflow_id, transition_seq=t.seq)
            if earlier is not None:
                session.rollback()
                return RecordTransitionResult(audit_event_id=earlier.id, created=False, notifications_created=0)
            product = session.get(Product, input.product_id)
            if product is None:
                raise _not_found(f"product {input.product_id} is not stored")
            version = self._version(session, input.product_id, input.version_id)
            product.workflow_id = input.workflow_id
            event = audit.append_event(
                session=session,
                workflow_id=input.workflow_id,
                transition_seq=t.seq,
                product_id=input.product_id,
                action=t.action,
                actor_id=t.actor_id,
                from_state=t.from_state,
                to_state=t.to_state,
                reason=t.reason,
                at=t.at,
                details=t.details,
            )
            reviews.upsert_review(
                session=session, product=product, workflow_id=input.workflow_id, state_after=input.state_after, at=t.at
            )
            self._apply_action(session, input, version, event.id)
            created = self._notify(session, input, product, event.id)
            return RecordTransitionResult(audit_event_id=event.id, created=True, notifications_created=created)

    @staticmethod
    def _apply_action(session, input: RecordTransitionInput, version: ProductVersion, audit_event_id: int) -> None:
        t = input.transition
        if t.action == ReviewAction.DISMISS_FINDING:
            rule_id = t.details.get(DETAIL_RULE_ID)
            if not rule_id:
                raise ApplicationError(
                    f"a {t.action} transition needs details[{DETAIL_RULE_ID!r}]", type="BadTransition", non_retryable=True
                )
            finding_id = t.details.get(DETAIL_FINDING_ID) or findings.finding_key(
                input.product_id, version.version_no, rule_id
            )
            try:
                findings.dismiss(session=session, finding_id=finding_id, dismissed_by=t.actor_id, reason=t.reason, at=t.at)
            except NotFound as exc:
                raise _not_found(str(exc)) from None
        decision = _DECISIONS.get(t.action)
        if decision is not None:
            session.add(
                Decision(
                    product_id=input.product_id, version_id=version.id, reviewer_id=t.actor_id, decision=str(decision),
                    reason=t.reason, decided_at=t.at, audit_event_id=audit_event_id,
                )
            )
        if t.action == ReviewAction.APPROVE:
            version.locked = True
        session.flush()

    @staticmethod
    def _notify(session, input: RecordTransitionInput, product: Product, audit_event_id: int) -> int:
        """Notifications are written in the transaction of the audit event, so they exist only once
        the transition is durably recorded, and at most once per (event, recipient)."""
        created = 0
        for request in input.notifications:
            try:
                recipient_ids = recipients.resolve_targets(
                    session=session, targets=request.targets, product=product,
                    assignee=input.state_after.assignee, last_reviewer=input.state_after.last_reviewer,
                )
            except ValueError as exc:
                raise ApplicationError(str(exc), type="BadNotification", non_retryable=True) from None
            for recipient_id in recipient_ids:
                if recipient_id == input.transition.actor_id:
                    continue  # nobody is told about their own action
                row = notifications.create_notification(
                    session=session, recipient_id=recipient_id, kind=request.kind, subject=request.subject,
                    body=request.body, product_id=input.product_id, audit_event_id=audit_event_id,
                    created_at=input.transition.at,
                )
                created += row is not None
        return created
