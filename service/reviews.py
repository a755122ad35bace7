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

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from models.enums import DecisionKind, ReviewState
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
    ReviewStatus,
    SubmitProductInput,
    WithdrawRequest,
)
from models.tables import Team
from rules.product import parse_product
from service.actors import resolve_actor
from service.errors import ActionRefused, ServiceError
from settings import Settings
from store import products as product_store
from store.errors import StoreError

WORKFLOW_NAME = "ProductReviewWorkflow"
PRECHECK_SETTLED = "precheck_settled"  # the workflow's update that answers once the pre-check has run


def workflow_id_for(product_id: str) -> str:
    return f"product-review-{product_id}"


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
    media = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".pdf": "application/pdf"}.get(path.suffix.lower())
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


def _check_team_actor(actor: Actor, meta: dict) -> None:
    if actor.staff_id != meta["author_id"] and meta["team_id"] not in actor.team_ids:
        raise ActionRefused(
            f"{actor.staff_id} is neither the author nor a member of team {meta['team_id']}: "
            "only the submitting team may submit its products"
        )


def _store_first_version(db_engine: Engine, settings: Settings, path: Path, meta_path: Path | None, actor_id: str):
    source = read_source(path, meta_path, settings)
    meta = _parse_or_refuse(source)
    actor = resolve_actor(db_engine, actor_id)
    _check_team_actor(actor, meta)
    workflow_id = workflow_id_for(meta["product_id"])
    with Session(db_engine) as session:
        team = session.get(Team, meta["team_id"])
        if team is None or not team.active:
            raise ServiceError(f"{source.filename}: product.team {meta['team_id']!r} is not a team of the register")
        if product_store.get_product(session=session, product_id=meta["product_id"]) is not None:
            raise ActionRefused(
                f"product {meta['product_id']} was already submitted (workflow {workflow_id}); "
                "use `resubmit` for a new version"
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
        return source, meta, actor, version.id, version.version_no


async def submit(
    *, db_engine: Engine, client: Client, settings: Settings, path: Path, actor_id: str, meta_path: Path | None = None,
    wait_seconds: float = 30.0,
) -> SubmitResult:
    # File reading, parsing and the database run in a thread: the web app shares this event loop.
    source, meta, actor, version_id, version_no = await asyncio.to_thread(
        _store_first_version, db_engine, settings, path, meta_path, actor_id
    )
    workflow_id = workflow_id_for(meta["product_id"])
    request_id = str(uuid.uuid4())
    try:
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
                sla=settings.sla_policy(),
            ),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    except WorkflowAlreadyStartedError as exc:
        raise ActionRefused(f"a review workflow {workflow_id} already exists for product {meta['product_id']}") from exc
    settled = await wait_for_precheck(client=client, product_id=meta["product_id"], timeout=wait_seconds,
                                      version_no=version_no)
    return SubmitResult(
        product_id=meta["product_id"], workflow_id=workflow_id, version_no=version_no, status=settled
    )


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
        return await asyncio.wait_for(
            handle.execute_update(PRECHECK_SETTLED, request, id=f"{PRECHECK_SETTLED}-v{request.version_no}",
                                  result_type=ReviewStatus),
            timeout,
        )
    except (asyncio.TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # (The SDK reports the wait's cancellation at the deadline as its own error.)
        return None  # still pre-checking, or no worker has picked the review up yet
    except WorkflowUpdateFailedError:
        return None  # refused: that version is not (or no longer) the review's
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            return None
    # Not running: a review that has already ended answers its status; one never submitted is an error.
    try:
        return await status(client=client, product_id=product_id,
                            rpc_timeout=timedelta(seconds=max(timeout, MIN_QUERY_TIMEOUT_SECONDS)))
    except RPCError:
        return None


async def status(*, client: Client, product_id: str, rpc_timeout: timedelta | None = None) -> ReviewStatus:
    handle = client.get_workflow_handle(workflow_id_for(product_id))
    try:
        return await handle.query("status", result_type=ReviewStatus, rpc_timeout=rpc_timeout)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ServiceError(f"no review found for product {product_id!r}") from exc
        raise


async def _update(client: Client, product_id: str, name: str, request: BaseModel) -> ReviewStatus:
    handle = client.get_workflow_handle(workflow_id_for(product_id))
    try:
        return await handle.execute_update(name, request, id=request.request_id, result_type=ReviewStatus)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or exc)
        raise ActionRefused(message) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            # The slower side of a race may arrive once the review has closed: tell it why.
            closed = await _closed_state(client, product_id)
            if closed is not None:
                raise ActionRefused(f"cannot {name.replace('_', ' ')}: the review is already {closed}") from exc
            raise ServiceError(f"no open review for product {product_id!r} (never submitted, or already closed)") from exc
        raise


async def _closed_state(client: Client, product_id: str) -> ReviewState | None:
    """The final state of a finished review workflow (queries still answer), or None if there is none."""
    try:
        return (await status(client=client, product_id=product_id)).state
    except (ServiceError, RPCError):
        return None


def _delete_draft(db_engine: Engine, version_id: int) -> None:
    with Session(db_engine) as session:
        product_store.delete_unreviewed_version(session=session, version_id=version_id)
        session.commit()


async def _actor(db_engine: Engine, staff_id: str) -> Actor:
    return await asyncio.to_thread(resolve_actor, db_engine, staff_id)


def _request_id(request_id: str | None) -> str:
    return request_id or str(uuid.uuid4())


async def claim(*, db_engine: Engine, client: Client, product_id: str, actor_id: str, request_id: str | None = None):
    actor = await _actor(db_engine, actor_id)
    return await _update(client, product_id, "claim", ClaimRequest(actor=actor, request_id=_request_id(request_id)))


async def assign(
    *, db_engine: Engine, client: Client, product_id: str, reviewer_id: str, actor_id: str, request_id: str | None = None
):
    actor = await _actor(db_engine, actor_id)
    reviewer = await _actor(db_engine, reviewer_id)
    request = AssignRequest(actor=actor, reviewer=reviewer, request_id=_request_id(request_id))
    return await _update(client, product_id, "assign", request)


async def dismiss(
    *, db_engine: Engine, client: Client, product_id: str, rule_id: str, reason: str, actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    request = DismissFindingRequest(actor=actor, rule_id=rule_id, reason=reason, request_id=_request_id(request_id))
    return await _update(client, product_id, "dismiss_finding", request)


async def decide(
    *, db_engine: Engine, client: Client, product_id: str, decision: DecisionKind, reason: str | None, actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    request = DecisionRequest(actor=actor, decision=decision, reason=reason, request_id=_request_id(request_id))
    return await _update(client, product_id, "decide", request)


async def withdraw(
    *, db_engine: Engine, client: Client, product_id: str, reason: str, actor_id: str, request_id: str | None = None
):
    actor = await _actor(db_engine, actor_id)
    return await _update(
        client, product_id, "withdraw", WithdrawRequest(actor=actor, reason=reason, request_id=_request_id(request_id))
    )


async def comment(
    *, db_engine: Engine, client: Client, product_id: str, text: str, actor_id: str, request_id: str | None = None
) -> ReviewStatus:
    """A comment by the assignee, the GCU head or the submitting team; the workflow checks who and
    the text (not empty, at most models.review_states.COMMENT_MAX_CHARS characters)."""
    actor = await _actor(db_engine, actor_id)
    request = CommentRequest(actor=actor, text=text, request_id=_request_id(request_id))
    return await _update(client, product_id, "comment", request)


async def move_due_date(
    *, db_engine: Engine, client: Client, product_id: str, due_at: datetime, reason: str, actor_id: str,
    request_id: str | None = None,
):
    actor = await _actor(db_engine, actor_id)
    request = MoveDueDateRequest(actor=actor, due_at=due_at, reason=reason, request_id=_request_id(request_id))
    return await _update(client, product_id, "move_due_date", request)


async def resubmit(
    *, db_engine: Engine, client: Client, settings: Settings, product_id: str, path: Path, actor_id: str,
    meta_path: Path | None = None, request_id: str | None = None,
) -> ReviewStatus:
    source = await asyncio.to_thread(read_source, path, meta_path, settings)
    meta = await asyncio.to_thread(_parse_or_refuse, source)
    if meta["product_id"] != product_id:
        raise ServiceError(
            f"{source.filename}: product.id is {meta['product_id']!r}, but this resubmission is for {product_id!r}"
        )
    actor = await _actor(db_engine, actor_id)
    _check_team_actor(actor, meta)
    current = await status(client=client, product_id=product_id)
    if meta["team_id"] != current.team_id:
        raise ServiceError(f"{source.filename}: product.team changed from {current.team_id} to {meta['team_id']}")

    def store_version():
        with Session(db_engine) as session:
            version = _create_version(
                session=session, submitted_by=actor.staff_id, filename=source.filename, media_type=source.media_type,
                **source.store_fields(), **meta,
            )
            session.commit()
            return version.id, version.version_no

    version_id, version_no = await asyncio.to_thread(store_version)
    request = ResubmitRequest(
        actor=actor, version_id=version_id, version_no=version_no, version_label=meta["version_label"],
        title=meta["title"], request_id=_request_id(request_id),
    )
    try:
        accepted = await _update(client, product_id, "resubmit", request)
    except ServiceError:
        # The workflow refused this version: remove the draft so the stored history stays truthful.
        await asyncio.to_thread(_delete_draft, db_engine, version_id)
        raise
    settled = await wait_for_precheck(client=client, product_id=product_id, timeout=30.0, version_no=version_no)
    return settled or accepted

