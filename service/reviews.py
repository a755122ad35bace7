"""Review actions shared by the CLI and the web app.

Each action resolves the actor from the register, then asks the product's workflow through an
Update; the workflow's validator is the one judge of what is allowed, and its refusal message is
passed back unchanged.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models import review_policy as policy
from models.enums import DecisionKind, ReviewAction, Verdict
from models.limits import COMMENT_MAX_CHARS, REASON_MAX_CHARS, REQUEST_ID_MAX_CHARS
from models.messages import (
    Actor,
    AssignRequest,
    ClaimRequest,
    CommentRequest,
    DecisionRequest,
    DismissFindingRequest,
    MoveDueDateRequest,
    PrecheckWaitRequest,
    ResubmitRequest,
    ReviewRequest,
    ReviewStatus,
    ReviewWorkflowState,
    SubmitProductInput,
    WithdrawRequest,
    workflow_id_for,
)
from models.tables import Review, Team, stored_id
from rules.product import parse_product
from service.actors import is_team_staff, resolve_actor
from service.errors import ActionRefused, NotPermitted, ServiceError
from service.review_history import recorded_history, with_full_history
from settings import Settings
from store import products as product_store
from store.errors import StoreError
from workflows.search_attributes import REVIEW_STATE

WORKFLOW_NAME = "ProductReviewWorkflow"
PRECHECK_SETTLED = "precheck_settled"  # the workflow's update that answers once the pre-check has run
RequestT = TypeVar("RequestT", bound=BaseModel)


class SubmitResult(BaseModel):
    product_id: str
    workflow_id: str
    version_no: int
    status: ReviewStatus | None = None


@dataclass
class SourceFile:
    text: str  # the product text the rules read (front matter + Markdown body)
    filename: str
    media_type: str
    original: bytes | None = None  # the uploaded .docx/.pdf, kept as submitted

    def store_fields(self) -> dict:
        if self.original is None:
            return {"content": self.text.encode("utf-8"), "check_text": None}
        return {"content": self.original, "check_text": self.text}


def read_source(path: Path, meta_path: Path | None, settings: Settings) -> SourceFile:
    """The product text the engine checks: a .md file, or a .docx/.pdf with its --meta front matter."""
    from rules.ingest import IngestError, load_product_source

    try:
        text = load_product_source(path, meta_path, max_bytes=settings.max_upload_bytes)
    except IngestError as exc:
        raise ServiceError(exc.message) from exc
    except OSError as exc:
        raise ServiceError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    media = {
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".pdf": "application/pdf",
    }.get(path.suffix.lower())
    if media is None:
        return SourceFile(text=text, filename=path.name, media_type="text/markdown")
    return SourceFile(text=text, filename=path.name, media_type=media, original=path.read_bytes())


def _parse_or_refuse(source: SourceFile) -> dict:
    # The front matter only: the body is the worker's pre-check's to read (once, not twice), and
    # splitting a 25 MB body into lines and blocks here cost ~15 times the file in the web process.
    outcome = parse_product(source.text, with_body=False)
    if outcome.product is None:
        problems = "; ".join(
            f"line {e.line}: " * (e.line is not None) + f"{e.field}: " * (e.field is not None) + e.message
            for e in outcome.errors
        )
        raise ServiceError(f"{source.filename}: format error, nothing was stored: {problems}")
    product = outcome.product
    meta = product.group("product")
    return {
        "product_id": product.id,
        "product_type": product.type,
        "team_id": meta["team"],
        "situation": meta["situation"],
        "author_id": meta["author"],
        "title": meta["title"],
        "version_label": product.version,
        "front_matter": _jsonable(product.fm),
    }


def _conflicted_staff(meta: dict) -> list[str]:
    """Who the product names that may not review it (contract v2 §5.3), as its type declares."""
    from rules.product_types import conflicted_staff

    return sorted(conflicted_staff(meta["product_type"], meta["front_matter"]))


def _reviewer_pool(meta: dict) -> str:
    """The relation told of a review waiting in the queue: the unit that reviews this type."""
    from rules.product_types import ReviewUnit, spec_for

    return "spu_officers" if spec_for(meta["product_type"]).review_unit == ReviewUnit.SPU else "gcu_reviewers"


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _create_version(**fields):
    try:
        return product_store.create_version(**fields)
    except StoreError as exc:
        raise ActionRefused(str(exc)) from exc


def _check_submitter(db_engine: Engine, action: ReviewAction, actor: Actor, meta: dict) -> None:
    """The review policy on who submits: the submitter and the product's author must both be team
    staff of product.team (refused before anything is stored)."""
    case = policy.Case(
        product_type=str(meta["product_type"]),
        team_id=meta["team_id"],
        author_id=meta["author_id"],
        author_on_team=is_team_staff(db_engine, meta["author_id"], meta["team_id"]),
    )
    ruling = policy.may_ever(action, person_of(actor), case)
    if not ruling.allowed:
        raise NotPermitted(f"{ruling.reason} Nothing was stored.")


def person_of(actor: Actor) -> policy.Person:
    return policy.Person.of(actor.staff_id, actor.roles, actor.team_ids, actor.cluster_team_ids)


@dataclass
class _FirstVersion:
    source: SourceFile
    meta: dict
    actor: Actor
    version_id: int
    version_no: int
    stored_now: bool  # False: the product was stored by an earlier submission
    reviewed: bool = False  # the earlier submission's review has recorded something
    same_content: bool = False  # the earlier submission stored exactly this file


def _store_first_version(
    db_engine: Engine, settings: Settings, path: Path, meta_path: Path | None, actor_id: str
) -> _FirstVersion:
    source = read_source(path, meta_path, settings)
    meta = _parse_or_refuse(source)
    actor = resolve_actor(db_engine, actor_id)
    with Session(db_engine) as session:
        team = session.get(Team, meta["team_id"])
        if team is None or not team.active:
            raise ServiceError(f"{source.filename}: product.team {meta['team_id']!r} is not a team of the register")
    _check_submitter(db_engine, ReviewAction.SUBMIT, actor, meta)
    with Session(db_engine) as session:
        product = product_store.get_product(session=session, product_id=meta["product_id"])
        if product is not None:
            latest = product_store.get_version_by_no(
                session=session, product_id=product.id, version_no=product.current_version_no
            )
            if latest is None:
                raise ServiceError(f"product {product.id} is stored without its version {product.current_version_no}")
            reviewed = session.exec(select(Review.id).where(Review.product_id == product.id)).first() is not None
            return _FirstVersion(
                source,
                meta,
                actor,
                stored_id(latest),
                latest.version_no,
                stored_now=False,
                reviewed=reviewed,
                same_content=latest.content == source.store_fields()["content"],
            )
        version = _create_version(
            session=session,
            submitted_by=actor.staff_id,
            filename=source.filename,
            media_type=source.media_type,
            **source.store_fields(),
            **meta,
        )
        session.commit()
        return _FirstVersion(source, meta, actor, stored_id(version), version.version_no, stored_now=True)


async def _started_input(client: Client, workflow_id: str) -> SubmitProductInput | None:
    """The input of the review workflow `workflow_id` (its latest run), or None if there is none."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        async for event in handle.fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            (inp,) = await client.data_converter.decode(payloads, [SubmitProductInput])
            return inp
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    return None


async def submit(
    *,
    db_engine: Engine,
    client: Client,
    settings: Settings,
    path: Path,
    actor_id: str,
    meta_path: Path | None = None,
    wait_seconds: float = 30.0,
    request_id: str | None = None,
) -> SubmitResult:
    """Store the first version of a product and start its review.

    The version is committed before the workflow starts (the workflow needs its id). A start that
    fails takes the version back, so nothing is left half-submitted; a process that dies between
    the two leaves a product without a review, which the next submission of the same file (or
    `gcu-review repair`) starts. A retry with the same request id answers like the first."""
    key = _request_id(request_id)
    # File reading, parsing and the database run in a thread: the web app shares this event loop.
    first = await asyncio.to_thread(_store_first_version, db_engine, settings, path, meta_path, actor_id)
    meta, actor = first.meta, first.actor
    workflow_id = workflow_id_for(meta["product_id"])
    request_id = scoped_request_id(actor.staff_id, "submit", key)
    if not first.stored_now:
        started = await _started_input(client, workflow_id)
        if started is not None and started.request_id == request_id:  # a retry of this very submission
            return await _submitted(client, meta["product_id"], workflow_id, started.version_no, wait_seconds)
        if started is not None or first.reviewed or not first.same_content:
            raise ActionRefused(
                f"product {meta['product_id']} was already submitted (workflow {workflow_id}); "
                "use `resubmit` for a new version"
            )
        # Stored by a submission whose review never started (the process died in between): start it now.
    try:
        await start_review(
            client,
            settings,
            meta=meta,
            actor=actor,
            version_id=first.version_id,
            version_no=first.version_no,
            request_id=request_id,
        )
    except WorkflowAlreadyStartedError as exc:
        raise ActionRefused(f"a review workflow {workflow_id} already exists for product {meta['product_id']}") from exc
    except RPCError as exc:
        await _settle_failed_start(db_engine, client, first, request_id, exc)
    return await _submitted(client, meta["product_id"], workflow_id, first.version_no, wait_seconds)


async def _settle_failed_start(
    db_engine: Engine, client: Client, first: _FirstVersion, request_id: str, exc: RPCError
) -> None:
    """After a start that failed (Temporal unreachable), make the outcome certain: started after all
    (the answer was lost), or not started and the stored version taken back. Raises unless started."""
    product_id = first.meta["product_id"]
    try:
        started = await _started_input(client, workflow_id_for(product_id))
    except RPCError:
        raise ServiceError(
            f"the review service is unavailable ({exc.message}): product {product_id} is stored but its review "
            "may not have started; submit the same file again in a moment to finish the submission"
        ) from exc
    if started is not None and started.request_id == request_id:
        return
    if first.stored_now:
        await asyncio.to_thread(_delete_draft, db_engine, first.version_id)
    raise ServiceError(
        f"the review service is unavailable ({exc.message}): product {product_id} was not submitted; "
        "submit it again in a moment"
    ) from exc


async def start_review(
    client: Client,
    settings: Settings,
    *,
    meta: dict,
    actor: Actor,
    version_id: int,
    version_no: int,
    request_id: str,
    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    carried_state: ReviewWorkflowState | None = None,
    restart_reason: str | None = None,
) -> None:
    """Start the review workflow of a stored first version (submission, self-healing and repair;
    a repair's restart carries on from `carried_state`)."""
    await client.start_workflow(
        WORKFLOW_NAME,
        SubmitProductInput(
            product_id=meta["product_id"],
            version_id=version_id,
            version_no=version_no,
            version_label=meta["version_label"],
            product_type=meta["product_type"],
            team_id=meta["team_id"],
            situation=meta["situation"],
            author_id=meta["author_id"],
            title=meta["title"],
            submitted_by=actor,
            request_id=request_id,
            conflicted_staff=_conflicted_staff(meta),
            reviewer_pool=_reviewer_pool(meta),
            sla=settings.sla_policy(),
            carried_state=carried_state,
            restart_reason=restart_reason,
        ),
        id=workflow_id_for(meta["product_id"]),
        task_queue=settings.task_queue,
        id_reuse_policy=id_reuse_policy,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )


async def _submitted(
    client: Client, product_id: str, workflow_id: str, version_no: int, wait_seconds: float
) -> SubmitResult:
    settled = await wait_for_precheck(client=client, product_id=product_id, timeout=wait_seconds, version_no=version_no)
    return SubmitResult(product_id=product_id, workflow_id=workflow_id, version_no=version_no, status=settled)


# The status query after a finished review, or when the wait found no running workflow, must not
# wait for the query's 30 s default: it needs a worker too.
MIN_QUERY_TIMEOUT_SECONDS = 2.0


async def wait_for_precheck(*, client: Client, product_id: str, timeout: float, version_no: int | None = None):
    """The status once the automatic pre-check of `version_no` (default: the first) has run and the
    review is routed, so the team sees its findings; or None if that has not happened within
    `timeout` seconds (the submission stands and the review goes on regardless).

    One update (`precheck_settled`) that the workflow answers when it gets there: no polling. Its id
    names the version, so a repeated wait joins the first instead of adding to the history."""
    request = PrecheckWaitRequest(version_no=version_no or 1)
    handle = client.get_workflow_handle(workflow_id_for(product_id))
    try:
        # The status when it settled, without the history (query `status` for it).
        return await asyncio.wait_for(
            handle.execute_update(
                PRECHECK_SETTLED, request, id=f"{PRECHECK_SETTLED}-v{request.version_no}", result_type=ReviewStatus
            ),
            timeout,
        )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # (The SDK reports the wait's cancellation at the deadline as its own error.)
        return None  # still pre-checking, or no worker has picked the review up yet
    except WorkflowUpdateFailedError:
        return None  # refused: that version is not (or no longer) the review's
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            return None
    # Not running: a review that has already ended answers its status; one never submitted is an error.
    try:
        return await status(
            client=client, product_id=product_id, rpc_timeout=timedelta(seconds=max(timeout, MIN_QUERY_TIMEOUT_SECONDS))
        )
    except RPCError:
        return None


async def status(
    *, client: Client, product_id: str, rpc_timeout: timedelta | None = None, db_engine: Engine | None = None
) -> ReviewStatus:
    """The review's status; with `db_engine`, its whole history (the earlier runs' from the audit trail)."""
    handle = client.get_workflow_handle(workflow_id_for(product_id))
    try:
        answer = await handle.query("status", result_type=ReviewStatus, rpc_timeout=rpc_timeout)
        return answer if db_engine is None else await with_full_history(db_engine=db_engine, status=answer)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(f"no review found for product {product_id!r}") from exc
        raise


def scoped_request_id(actor_id: str, action: str, key: str) -> str:
    """The update id of `key`: the same key from another person, or for another action, is another
    request (a client's key must never answer someone else's action)."""
    return f"{actor_id}/{action}/{key}"


async def as_seen_by(*, db_engine: Engine, status: ReviewStatus, actor_id: str) -> ReviewStatus:
    """The status with `allowed_actions` narrowed to what the review policy lets this person do now."""
    actor = await _actor(db_engine, actor_id)
    case = policy.Case(
        product_type=str(status.product_type),
        team_id=status.team_id,
        author_id=status.author_id,
        state=status.state,
        assignee=status.assignee,
        open_findings=policy.open_findings(status.findings),
        format_error=status.verdict == Verdict.FORMAT_ERROR,
    )
    allowed = policy.allowed_actions(person_of(actor), case)
    return status.model_copy(update={"allowed_actions": [a for a in policy.HUMAN_ACTIONS if a in allowed]})


async def _update(
    db_engine: Engine, client: Client, product_id: str, name: str, request: ReviewRequest
) -> ReviewStatus:
    """Send update `name`. Its id is the scoped request id, so a retry with the same key is answered
    by Temporal with the first outcome, and the workflow itself records the request once."""
    request = request.model_copy(
        update={"request_id": scoped_request_id(request.actor.staff_id, name, request.request_id)}
    )
    handle = client.get_workflow_handle(workflow_id_for(product_id))
    try:
        answer = await handle.execute_update(name, request, id=request.request_id, result_type=ReviewStatus)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        raise ActionRefused(message) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            # The slower side of a race may arrive once the review has closed: tell it why.
            why = await _why_closed(client, product_id)
            if why is not None:
                raise ActionRefused(f"cannot {name.replace('_', ' ')}: {why}") from exc
            raise ServiceError(
                f"no open review for product {product_id!r} (never submitted, or already closed)"
            ) from exc
        raise
    return await _with_history(db_engine, handle, answer)


async def _with_history(db_engine: Engine, handle, answer: ReviewStatus) -> ReviewStatus:
    """The whole status after an update: its answer leaves the history out (it is written into the
    workflow's own history). The answer of an action that ended the review has its run's already
    (workflows/review.py `_answer`: a query would replay the closed run on a worker); otherwise
    the audit events hold it (service/review_history.py), and the `status` query (written
    nowhere) when they do not hold the transition the answer names. The runs before a
    continue-as-new are read from the audit trail either way."""
    if answer.history:
        return await with_full_history(db_engine=db_engine, status=answer)
    if answer.changed is not None:
        history = await asyncio.to_thread(recorded_history, db_engine, answer.workflow_id, answer.changed)
        if history is not None:
            return answer.model_copy(update={"history": history})
    try:
        full = await handle.query("status", result_type=ReviewStatus)
    except RPCError:
        return answer  # the action stands; only its history is not shown
    full = await with_full_history(db_engine=db_engine, status=full)
    return full.model_copy(update={"changed": answer.changed})


async def _why_closed(client: Client, product_id: str) -> str | None:
    """Why a review workflow that no longer runs takes no action ("the review is already approved",
    or that its workflow stopped and must be restarted), or None if there is no such workflow.

    Describing needs no worker, so the slower side of a race is answered at once even while the
    worker is busy: the final state is the workflow's last ReviewState search attribute; only a
    workflow without it (search attributes disabled) is asked by a short query."""
    handle = client.get_workflow_handle(workflow_id_for(product_id))
    try:
        description = await handle.describe(rpc_timeout=timedelta(seconds=10))
    except RPCError:
        return None
    if description.status in (None, WorkflowExecutionStatus.RUNNING):
        return None
    if description.status != WorkflowExecutionStatus.COMPLETED:
        ended = description.status.name.lower().replace("_", " ").replace("canceled", "cancelled")
        return f"the review's workflow {ended}; an operator must restart it (gcu-review repair --restart)"
    recorded = description.typed_search_attributes.get(REVIEW_STATE)
    if not recorded:
        try:
            recorded = str((await status(client=client, product_id=product_id, rpc_timeout=timedelta(seconds=5))).state)
        except (ServiceError, RPCError):
            recorded = "closed"
    return f"the review is already {recorded}"


def _delete_draft(db_engine: Engine, version_id: int) -> None:
    with Session(db_engine) as session:
        product_store.delete_unreviewed_version(session=session, version_id=version_id)
        session.commit()


async def _actor(db_engine: Engine, staff_id: str) -> Actor:
    return await asyncio.to_thread(resolve_actor, db_engine, staff_id)


def _request_id(request_id: str | None) -> str:
    if request_id is None:
        return str(uuid.uuid4())
    if not request_id.isprintable() or not 0 < len(request_id) <= REQUEST_ID_MAX_CHARS:
        raise ServiceError(f"a request id is 1 to {REQUEST_ID_MAX_CHARS} printable characters")
    return request_id


_FIELD_WORDS = {
    "text": "the comment",
    "reason": "the reason",
    "due_at": "the due date",
    "request_id": "the request id",
    "rule_id": "the rule id",
}


def _request(model: type[RequestT], **fields: Any) -> RequestT:
    """The update request, or a ServiceError naming the field and the bound it breaks (a reason too
    long, a due date out of range), before anything is sent."""
    for field, limit in (("reason", REASON_MAX_CHARS), ("text", COMMENT_MAX_CHARS)):
        given = len((fields.get(field) or "").strip())
        if given > limit:
            raise ServiceError(f"{_FIELD_WORDS[field]} is too long: at most {limit} characters (got {given})")
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "request"
            what = _FIELD_WORDS.get(field, field)
            if error["type"] == "string_too_long":
                given = len(fields.get(field) or "")
                problems.append(f"{what} is too long: at most {error['ctx']['max_length']} characters (got {given})")
            else:
                problems.append(f"{what}: {error['msg'].removeprefix('Value error, ')}")
        raise ServiceError("; ".join(problems)) from exc


async def claim(*, db_engine: Engine, client: Client, product_id: str, actor_id: str, request_id: str | None = None):
    actor = await _actor(db_engine, actor_id)
    return await _update(
        db_engine, client, product_id, "claim", _request(ClaimRequest, actor=actor, request_id=_request_id(request_id))
    )


async def assign(
    *,
    db_engine: Engine,
    client: Client,
    product_id: str,
    reviewer_id: str,
    actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    reviewer = await _actor(db_engine, reviewer_id)
    request = _request(AssignRequest, actor=actor, reviewer=reviewer, request_id=_request_id(request_id))
    return await _update(db_engine, client, product_id, "assign", request)


async def dismiss(
    *,
    db_engine: Engine,
    client: Client,
    product_id: str,
    rule_id: str,
    reason: str,
    actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    request = _request(
        DismissFindingRequest, actor=actor, rule_id=rule_id, reason=reason, request_id=_request_id(request_id)
    )
    return await _update(db_engine, client, product_id, "dismiss_finding", request)


async def decide(
    *,
    db_engine: Engine,
    client: Client,
    product_id: str,
    decision: DecisionKind,
    reason: str | None,
    actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    request = _request(
        DecisionRequest, actor=actor, decision=decision, reason=reason, request_id=_request_id(request_id)
    )
    return await _update(db_engine, client, product_id, "decide", request)


async def withdraw(
    *, db_engine: Engine, client: Client, product_id: str, reason: str, actor_id: str, request_id: str | None = None
):
    actor = await _actor(db_engine, actor_id)
    return await _update(
        db_engine,
        client,
        product_id,
        "withdraw",
        _request(WithdrawRequest, actor=actor, reason=reason, request_id=_request_id(request_id)),
    )


async def comment(
    *, db_engine: Engine, client: Client, product_id: str, text: str, actor_id: str, request_id: str | None = None
) -> ReviewStatus:
    """A comment by the assignee, the GCU head or the submitting team; the workflow checks who and
    the text (not empty, at most models.limits.COMMENT_MAX_CHARS characters)."""
    actor = await _actor(db_engine, actor_id)
    request = _request(CommentRequest, actor=actor, text=text, request_id=_request_id(request_id))
    return await _update(db_engine, client, product_id, "comment", request)


async def move_due_date(
    *,
    db_engine: Engine,
    client: Client,
    product_id: str,
    due_at: datetime,
    reason: str,
    actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    request = _request(
        MoveDueDateRequest, actor=actor, due_at=due_at, reason=reason, request_id=_request_id(request_id)
    )
    return await _update(db_engine, client, product_id, "move_due_date", request)


async def resubmit(
    *,
    db_engine: Engine,
    client: Client,
    settings: Settings,
    product_id: str,
    path: Path,
    actor_id: str,
    meta_path: Path | None = None,
    request_id: str | None = None,
) -> ReviewStatus:
    source = await asyncio.to_thread(read_source, path, meta_path, settings)
    meta = await asyncio.to_thread(_parse_or_refuse, source)
    if meta["product_id"] != product_id:
        raise ServiceError(
            f"{source.filename}: product.id is {meta['product_id']!r}, but this resubmission is for {product_id!r}"
        )
    actor = await _actor(db_engine, actor_id)
    request_id = _request_id(request_id)  # refused before a version is stored
    current = await status(client=client, product_id=product_id)
    if meta["team_id"] != current.team_id:
        raise ServiceError(f"{source.filename}: product.team changed from {current.team_id} to {meta['team_id']}")
    await asyncio.to_thread(_check_submitter, db_engine, ReviewAction.RESUBMIT, actor, meta)

    def store_version():
        with Session(db_engine) as session:
            version = _create_version(
                session=session,
                submitted_by=actor.staff_id,
                filename=source.filename,
                media_type=source.media_type,
                **source.store_fields(),
                **meta,
            )
            session.commit()
            return version.id, version.version_no

    version_id, version_no = await asyncio.to_thread(store_version)
    request = _request(
        ResubmitRequest,
        actor=actor,
        version_id=version_id,
        version_no=version_no,
        version_label=meta["version_label"],
        title=meta["title"],
        request_id=_request_id(request_id),
        conflicted_staff=_conflicted_staff(meta),
    )
    try:
        accepted = await _update(db_engine, client, product_id, "resubmit", request)
    except ServiceError:
        # The workflow refused this version: remove the draft so the stored history stays truthful.
        await asyncio.to_thread(_delete_draft, db_engine, version_id)
        raise
    settled = await wait_for_precheck(client=client, product_id=product_id, timeout=30.0, version_no=version_no)
    return settled or accepted
