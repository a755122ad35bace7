"""Activities of the product review: every side effect of ProductReviewWorkflow happens here.

Both are idempotent, because Temporal retries an activity whose worker crashed after writing:
- precheck keys findings by f"{product_id}:v{version_no}:{rule_id}", so a rerun writes nothing twice;
- record_transitions (and record_transition, its one-at-a-time form for reviews started earlier)
  is keyed by (workflow_id, transition.seq): a retry finds its audit events and returns
  created=False without touching anything; two racing attempts meet the unique (workflow_id, seq)
  of audit_event, and the loser is rolled back whole.
Database work is synchronous SQLAlchemy, run in a thread so the worker's event loop stays free.
"""

import asyncio
import functools
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import names
from activities.recording_bound import give_up_if_overdue
from models.enums import AuditChannel, DecisionKind, ReviewAction, Verdict
from models.findings import CheckResult, FormatErrorEntry
from models.messages import (
    PrecheckInput,
    PrecheckResult,
    RecordTransitionInput,
    RecordTransitionResult,
    RecordTransitionsInput,
    RecordTransitionsResult,
)
from models.roster import Roster
from models.tables import AuditEvent, Decision, Product, ProductVersion, stored_id, table_of, utcnow
from store import audit, findings, notifications, recipients, review_endings, reviews
from store.db import session_scope
from store.errors import NotFound
from store.kpi.facts import record_product_facts
from store.roster_view import RosterCache, revision_query

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
    if activity.info().is_local:  # a local activity lives inside its workflow task: nothing to heartbeat
        return await task
    while True:
        activity.heartbeat()
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY_SECONDS)
        if done:
            return task.result()


@dataclass(frozen=True)
class _Plan:
    """A transition to write, with what was read for it before the write transaction."""

    item: RecordTransitionInput
    finding_id: str | None  # the finding a dismiss_finding transition dismisses
    recipients: list[list[str]]  # per notification request of the item


def _already(audit_event_id: int) -> RecordTransitionResult:
    return RecordTransitionResult(audit_event_id=audit_event_id, created=False, notifications_created=0)


class RulesEngine(Protocol):
    pack_version: str

    def check_text(self, text: str, roster: Roster, file: str = "<memory>") -> CheckResult: ...


def _engine_factory_for(settings) -> Callable[[], RulesEngine]:
    """RULES_PACK_DIR selects another pack folder (e.g. a GCU-edited copy); default: rules/packs.
    RULES_PACK_VERSION selects its active pack; default: the highest version."""
    pack_dir = getattr(settings, "rules_pack_dir", None)
    active = getattr(settings, "rules_pack_version", None)

    def load() -> RulesEngine:
        from rules.library import library

        lib = library(pack_dir, active)
        for version in lib.versions:  # every pack a stored review may still need: a broken one stops the worker
            lib.engine(version)
        return lib.engine(None)

    return load


def _pack_engine_for(settings, version: str) -> RulesEngine | None:
    """The engine of an earlier pack version of the same folder, or None when it is not there."""
    from rules.library import library
    from rules.pack import PackError

    try:
        lib = library(getattr(settings, "rules_pack_dir", None), getattr(settings, "rules_pack_version", None))
        return lib.engine(version) if version in lib.versions else None
    except PackError:
        return None


@functools.lru_cache(maxsize=4)
def _child_engine(pack_dir: str | None, active: str | None, kept: str | None) -> RulesEngine:
    """The rules engine of a pre-check process, loaded once per process: the folder's active pack, or
    `kept`, the earlier pack that judged the version a rerun checks again."""
    from rules.library import library

    return library(Path(pack_dir) if pack_dir else None, active).engine(kept)


def _check_in_child(
    pack_dir: str | None, active: str | None, kept: str | None, text: str, roster: Roster, filename: str
) -> CheckResult:
    return _child_engine(pack_dir, active, kept).check_text(text, roster, file=filename)


def precheck_pool(processes: int) -> ProcessPoolExecutor | None:
    """Processes that run the rules on a document, so a large one (24 MB: 9 s of CPU) holds neither
    the worker's interpreter nor its event loop while quick recordings wait. None: run in-process.
    Spawned, not forked: the worker process has the Temporal runtime's threads."""
    if processes <= 0:
        return None
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))


def _not_found(message: str) -> ApplicationError:
    # Retrying cannot make a missing row appear: fail the activity for good, with the reason.
    return ApplicationError(message, type="NotFound", non_retryable=True)


# Errors the database will give again on every attempt: a value it refuses (too long, out of range),
# a constraint the transition breaks (the race on (workflow_id, seq) is answered before this).
# Retrying them only grows the review's history while its lock blocks every other action.
_REFUSED_FOR_GOOD = (sa.exc.DataError, sa.exc.IntegrityError, sa.exc.ProgrammingError)


def _refused_for_good(record: Callable, items: list) -> Any:
    """Run `record`, turning a database refusal that no retry can change into a non-retryable error
    (the workflow refuses the action with its reason); outages stay retryable."""
    try:
        return record(items)
    except _REFUSED_FOR_GOOD as exc:
        raise ApplicationError(
            f"the database refused the recording: {getattr(exc, 'orig', exc)}",
            type="RecordRejected",
            non_retryable=True,
        ) from exc


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
        check_pool: ProcessPoolExecutor | None = None,
    ) -> None:
        self.db_engine = db_engine
        self.settings = settings
        # When given (PRECHECK_PROCESSES > 0), the rules run there; the engine loaded here is only
        # checked at start (a broken pack stops the worker) and reports the pack version.
        self._check_pool = check_pool
        self._rules_engine_factory = rules_engine_factory or _engine_factory_for(settings)
        self._rules_engine: RulesEngine | None = None
        self._rules_engine_lock = threading.Lock()
        self._roster_cache = RosterCache()

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
            roster = self._roster_cache.roster(session=session)
            judged_by = version.pack_version
        engine = self.rules_engine()
        kept: str | None = None
        if judged_by and judged_by != engine.pack_version:
            # A rerun (a retry, a replay) of a version already pre-checked keeps the pack that judged
            # it, even if the active pack changed since: its findings and verdict must not move.
            earlier = _pack_engine_for(self.settings, judged_by)
            if earlier is not None:
                engine, kept = earlier, judged_by
        if decode_error is not None:
            result = CheckResult(
                file=filename, verdict=Verdict.FORMAT_ERROR, errors=[decode_error], pack_version=engine.pack_version
            )
        else:
            # The engine is pure and CPU-bound; no transaction stays open while it runs.
            result = self._check(engine, kept, text, roster, filename)
        with session_scope(self.db_engine) as session:
            version = self._version(session, input.product_id, input.version_id, input.version_no)
            if result.verdict == Verdict.FORMAT_ERROR:
                rows = findings.list_for_version(session=session, version_id=stored_id(version))
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

    def _check(self, engine: RulesEngine, kept: str | None, text: str, roster: Roster, filename: str) -> CheckResult:
        if self._check_pool is None:
            return engine.check_text(text, roster, file=filename)
        # The child loads the pack chosen here: the folder's active one, or `kept` for a rerun.
        pack_dir = getattr(self.settings, "rules_pack_dir", None)
        active = getattr(self.settings, "rules_pack_version", None)
        return self._check_pool.submit(
            _check_in_child, str(pack_dir) if pack_dir else None, active, kept, text, roster, filename
        ).result()

    @staticmethod
    def _version(session, product_id: str, version_id: int, version_no: int | None = None) -> ProductVersion:
        version = session.get(ProductVersion, version_id)
        if version is None or version.product_id != product_id:
            raise _not_found(f"product {product_id} has no stored version with id {version_id}")
        if version_no is not None and version.version_no != version_no:
            raise _not_found(
                f"version id {version_id} of {product_id} is version {version.version_no}, not {version_no}"
            )
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

    # ------------------------------------------------------------------ record_transitions

    @activity.defn(name=names.RECORD_TRANSITIONS)
    async def record_transitions(self, input: RecordTransitionsInput) -> RecordTransitionsResult:
        give_up_if_overdue(input)
        results = await _heartbeating(asyncio.to_thread(_refused_for_good, self._record_transitions, input.transitions))
        return RecordTransitionsResult(results=results)

    @activity.defn(name=names.RECORD_TRANSITION)
    async def record_transition(self, input: RecordTransitionInput) -> RecordTransitionResult:
        """One transition per call: what reviews started before record_transitions still ask for."""
        return (await _heartbeating(asyncio.to_thread(_refused_for_good, self._record_transitions, [input])))[0]

    def _record_transitions(self, items: list[RecordTransitionInput]) -> list[RecordTransitionResult]:
        first = items[0]
        if any((i.workflow_id, i.product_id) != (first.workflow_id, first.product_id) for i in items):
            raise ApplicationError(
                "transitions recorded together must belong to one review", type="BadTransition", non_retryable=True
            )
        # One transaction, reads first: a retry of transitions already recorded is answered by
        # them, and who is told is worked out before the chain lock is taken (the append takes it
        # last). The reads take no lock either: PostgreSQL's reads lock no rows, and SQLite's driver
        # begins the transaction at the first write. (They had a transaction of their own: one
        # connection checkout, pre-ping and commit more per recording, for nothing.)
        try:
            with session_scope(self.db_engine) as session:
                reads = self._read_for_recording(session, items)
                if reads is None:  # no such product: unless every transition is recorded already, refused
                    earlier = self._recorded_events(session, items)
                    if len(earlier) == len(items):
                        return [_already(earlier[i.transition.seq]) for i in items]
                    raise _not_found(f"product {first.product_id} is not stored")
                product, earlier, version_nos, revision = reads
                if len(earlier) == len(items):
                    return [_already(earlier[i.transition.seq]) for i in items]
                self._check_versions(items, version_nos)
                # Who is active, the teams and the role holders: from the register cached per change
                # of it (its number read with the rest), not five to seven queries per recording.
                roster = self._roster_cache.roster_at(session=session, revision=revision)
                self._check_actors(roster, [i for i in items if i.transition.seq not in earlier])
                plans = [
                    _Plan(
                        item,
                        self._finding_to_dismiss(item, version_nos[item.version_id]),
                        self._recipients(session, roster, item, product),
                    )
                    for item in items
                    if item.transition.seq not in earlier
                ]
                written = self._write_transitions(session, product, plans)
        except IntegrityError:
            # Two attempts raced (a worker presumed dead was not): the unique (workflow_id,
            # transition_seq) let one through and rolled the other back whole.
            with session_scope(self.db_engine) as session:
                earlier = self._recorded_events(session, items)
            if len(earlier) != len(items):
                raise
            return [_already(earlier[i.transition.seq]) for i in items]
        return [written.get(i.transition.seq) or _already(earlier[i.transition.seq]) for i in items]

    @staticmethod
    def _check_actors(roster: Roster, items: list[RecordTransitionInput]) -> None:
        """Whoever acts must be an active person of the register. The service layer builds every
        actor from the register, but the workflow takes the actor its caller names, and a
        workflow cannot read the database: this is the first place with I/O that every recorded
        action passes, before anything is written. A refusal fails the action (the workflow keeps
        its state); it is not retried."""
        actor_ids = {i.transition.actor_id for i in items if i.transition.actor_id is not None}
        if not actor_ids:
            return
        active = {s.id for s in roster.staff}  # the register's active people
        unknown = sorted(actor_ids - active)
        if unknown:
            raise ApplicationError(
                f"{unknown[0]} is not an active person of the register: the action is refused",
                type="UnknownActor",
                non_retryable=True,
            )

    @staticmethod
    def _recorded_events(session, items: list[RecordTransitionInput]) -> dict[int, int]:
        """seq -> audit event id, for the transitions among `items` already recorded."""
        return audit.event_ids(
            session=session, workflow_id=items[0].workflow_id, seqs=[i.transition.seq for i in items]
        )

    @staticmethod
    def _read_for_recording(
        session, items: list[RecordTransitionInput]
    ) -> tuple[Product, dict[int, int], dict[int, int], int | None] | None:
        """What a recording reads before it writes, in one statement (it was four: the earlier
        events, the product, its versions, the register's number): the product; seq -> audit
        event id of the transitions already recorded; version id -> version number of the
        versions named that belong to the product (only these columns: a version row also holds
        the document); the register's revision. None when the product is not stored."""
        first = items[0]
        version, event = table_of(ProductVersion), table_of(AuditEvent)
        seqs = [item.transition.seq for item in items]
        events = [
            sa.select(event.c.id)
            .where(event.c.workflow_id == first.workflow_id, event.c.transition_seq == seq)
            .scalar_subquery()
            .label(f"event_{n}")
            for n, seq in enumerate(seqs)
        ]
        rows = session.execute(
            sa.select(
                Product,
                version.c.id.label("version_id"),
                version.c.version_no,
                revision_query().scalar_subquery().label("revision"),
                *events,
            )
            .outerjoin(
                version,
                sa.and_(
                    version.c.product_id == col(Product.id),
                    version.c.id.in_(sorted({item.version_id for item in items})),
                ),
            )
            .where(col(Product.id) == first.product_id)
        ).all()
        if not rows:
            return None
        head = rows[0]._mapping
        earlier = {seq: head[f"event_{n}"] for n, seq in enumerate(seqs) if head[f"event_{n}"] is not None}
        version_nos = {row.version_id: row.version_no for row in rows if row.version_id is not None}
        return rows[0][0], earlier, version_nos, head["revision"]

    @staticmethod
    def _check_versions(items: list[RecordTransitionInput], version_nos: dict[int, int]) -> None:
        missing = sorted({item.version_id for item in items} - version_nos.keys())
        if missing:
            raise _not_found(f"product {items[0].product_id} has no stored version with id {missing[0]}")

    def _write_transitions(self, session, product: Product, plans: list[_Plan]) -> dict[int, RecordTransitionResult]:
        """The writes of the recording's transaction. The per-product rows are written before the
        audit events, because appending takes the global chain lock, held until commit: only the
        rows that name an event (decisions, notifications) are written under it."""
        last = plans[-1].item
        if product.workflow_id != last.workflow_id:
            session.execute(
                sa.update(Product).where(col(Product.id) == product.id).values(workflow_id=last.workflow_id)
            )
        # In one transaction, only the last state is ever visible: project that one.
        reviews.upsert_review(
            session=session,
            product=product,
            workflow_id=last.workflow_id,
            state_after=last.state_after,
            at=last.transition.at,
        )
        for plan in plans:
            t = plan.item.transition
            if t.action == ReviewAction.RESTART:
                review_endings.clear_ending(session=session, product_id=product.id)
            if plan.finding_id is not None:
                try:
                    findings.dismiss(
                        session=session,
                        finding_id=plan.finding_id,
                        dismissed_by=t.actor_id,
                        reason=t.reason,
                        at=t.at,
                    )
                except NotFound as exc:
                    raise _not_found(str(exc)) from None
            if t.action == ReviewAction.APPROVE:
                session.execute(
                    sa.update(ProductVersion).where(col(ProductVersion.id) == plan.item.version_id).values(locked=True)
                )
        return {plan.item.transition.seq: self._append(session, plan) for plan in plans}

    @staticmethod
    def _append(session, plan: _Plan) -> RecordTransitionResult:
        item, t = plan.item, plan.item.transition
        event = audit.append_event(
            session=session,
            workflow_id=item.workflow_id,
            transition_seq=t.seq,
            product_id=item.product_id,
            action=t.action,
            actor_id=t.actor_id,
            from_state=t.from_state,
            to_state=t.to_state,
            reason=t.reason,
            at=t.at,
            details=t.details,
            # The system's own steps (pre-check, timers) say so; a person's step records the channel
            # of the request (Actor.channel) that its transition carries in details["channel"].
            channel=AuditChannel.SYSTEM if t.actor_id is None else (t.details.get("channel") or None),
        )
        decision = _DECISIONS.get(t.action)
        if decision is not None:
            session.execute(
                sa.insert(Decision).values(
                    product_id=item.product_id,
                    version_id=item.version_id,
                    reviewer_id=t.actor_id,
                    decision=str(decision),
                    reason=t.reason,
                    decided_at=t.at,
                    audit_event_id=stored_id(event),
                )
            )
        created = notifications.create_for_event(
            session=session,
            audit_event_id=stored_id(event),
            product_id=item.product_id,
            created_at=t.at,
            messages=[
                (recipient_id, request.kind, request.subject, request.body)
                for request, recipient_ids in zip(item.notifications, plan.recipients, strict=False)
                for recipient_id in recipient_ids
            ],
        )
        return RecordTransitionResult(audit_event_id=stored_id(event), created=True, notifications_created=created)

    @staticmethod
    def _finding_to_dismiss(input: RecordTransitionInput, version_no: int) -> str | None:
        t = input.transition
        if t.action != ReviewAction.DISMISS_FINDING:
            return None
        rule_id = t.details.get(DETAIL_RULE_ID)
        if not rule_id:
            raise ApplicationError(
                f"a {t.action} transition needs details[{DETAIL_RULE_ID!r}]", type="BadTransition", non_retryable=True
            )
        return t.details.get(DETAIL_FINDING_ID) or findings.finding_key(input.product_id, version_no, rule_id)

    @staticmethod
    def _recipients(session, roster: Roster, input: RecordTransitionInput, product: Product) -> list[list[str]]:
        """Per notification request, the staff to tell: active people of the register, and never
        the one whose action it was."""
        resolved = []
        for request in input.notifications:
            state = input.state_after
            try:
                recipient_ids = recipients.resolve_targets_in(
                    roster=roster,
                    targets=request.targets,
                    product=product,
                    assignee=state.assignee,
                    last_reviewer=state.last_reviewer,
                )
                if recipient_ids is None:  # the product's team is no longer active: read it
                    recipient_ids = recipients.resolve_targets(
                        session=session,
                        targets=request.targets,
                        product=product,
                        assignee=state.assignee,
                        last_reviewer=state.last_reviewer,
                    )
            except ValueError as exc:
                raise ApplicationError(str(exc), type="BadNotification", non_retryable=True) from None
            resolved.append([r for r in recipient_ids if r != input.transition.actor_id])
        return resolved
