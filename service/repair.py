"""The operator's repair path (`gcu-review repair`, docs/review-lifecycle.md): finds reviews that
Temporal and the database disagree about, and sets them right.

- A product stored without a review (its submission's process died between the commit and the
  start, or Temporal was unreachable then): its review is started.
- A review the database still holds open whose workflow has ended abnormally (terminated by an
  operator or the server's history limit, cancelled, failed, timed out): reported, and with
  `restart` started again in a new run of the same workflow id, carrying on from the state the
  ended run had reached (read through its `status` query, which a closed run still answers).

Idempotent: a second run finds nothing left to do.
"""

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from models.enums import TERMINAL_STATES, ReviewAction
from models.messages import ReviewStatus, ReviewWorkflowState
from models.tables import Product, ProductVersion, Review, stored_id
from service.actors import resolve_actor
from service.review_history import with_full_history
from service.reviews import start_review, workflow_id_for
from settings import Settings
from store.review_endings import last_recorded_seq

ABNORMAL = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
}
MAX_REMEMBERED_REQUEST_IDS = 200


@dataclass
class RepairReport:
    started: list[str] = field(default_factory=list)  # products whose missing review was started
    ended: dict[str, str] = field(default_factory=dict)  # product -> how its open review's workflow ended
    restarted: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


async def _workflow_status(client: Client, product_id: str) -> WorkflowExecutionStatus | None:
    try:
        return (await client.get_workflow_handle(workflow_id_for(product_id)).describe()).status
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


def _meta(product: Product, version: ProductVersion) -> dict:
    return {
        "product_id": product.id,
        "version_label": version.version_label,
        "product_type": product.type,
        "team_id": product.team_id,
        "situation": product.situation,
        "author_id": product.author_id,
        "title": product.title,
        # The registry reads who a record names (interview records) from it: they may not review it.
        "front_matter": version.front_matter or {},
    }


def _carried_state(status: ReviewStatus) -> ReviewWorkflowState:
    """The state to carry on from, rebuilt from the ended run's status (history included)."""
    history = status.history

    def fired_for(action: ReviewAction, due) -> bool:
        return due is not None and any(
            h.action == action and h.details.get("due_at") == due.isoformat() for h in history
        )

    return ReviewWorkflowState(
        state=status.state,
        version_id=status.version_id,
        version_no=status.version_no,
        version_label=status.version_label,
        title=status.title,
        assignee=status.assignee,
        last_reviewer=status.last_reviewer,
        due_at=status.due_at,
        resubmission_due_at=status.resubmission_due_at,
        submitted_at=history[0].at if history else None,
        last_submitted_at=next(
            (h.at for h in reversed(history) if h.action in (ReviewAction.SUBMIT, ReviewAction.RESUBMIT)), None
        ),
        verdict=status.verdict,
        pack_version=status.pack_version,
        findings=status.findings,
        history=history,
        escalation_level=status.escalation_level,
        reminder_sent_for_due=status.due_at if fired_for(ReviewAction.REMINDER, status.due_at) else None,
        resubmission_reminder_sent_for=(
            status.resubmission_due_at
            if fired_for(ReviewAction.RESUBMISSION_REMINDER, status.resubmission_due_at)
            else None
        ),
        resubmission_expired_for=(
            status.resubmission_due_at
            if fired_for(ReviewAction.RESUBMISSION_EXPIRED, status.resubmission_due_at)
            else None
        ),
        processed_request_ids=[h.details["request_id"] for h in history if "request_id" in h.details][
            -MAX_REMEMBERED_REQUEST_IDS:
        ],
        next_seq=max((h.seq for h in history), default=0) + 1,
        decided_by=status.decided_by,
        decided_at=status.decided_at,
    )


async def repair(*, db_engine: Engine, client: Client, settings: Settings, restart: bool = False) -> RepairReport:
    report = RepairReport()
    with Session(db_engine) as session:
        reviewed = set(session.exec(select(Review.product_id)))
        unreviewed = [p for p in session.exec(select(Product)) if p.id not in reviewed]
        open_reviews = [r.product_id for r in session.exec(select(Review)) if r.state not in TERMINAL_STATES]
    for product in unreviewed:
        if await _workflow_status(client, product.id) is not None:
            continue  # started; its first transition is being recorded
        with Session(db_engine) as session:
            version = session.exec(
                select(ProductVersion)
                .where(ProductVersion.product_id == product.id)
                .order_by(col(ProductVersion.version_no))
            ).first()
        if version is None:
            report.problems[product.id] = "stored without any version"
            continue
        actor = resolve_actor(db_engine, version.submitted_by)
        await start_review(
            client,
            settings,
            meta=_meta(product, version),
            actor=actor,
            version_id=stored_id(version),
            version_no=version.version_no,
            request_id=f"repair/{product.id}/submit",
        )
        report.started.append(product.id)
    for product_id in open_reviews:
        workflow_status = await _workflow_status(client, product_id)
        ended = ABNORMAL.get(workflow_status) if workflow_status is not None else None
        if ended is None:
            continue
        report.ended[product_id] = ended
        if restart:
            try:
                await _restart(db_engine, client, settings, product_id, ended)
                report.restarted.append(product_id)
            except (RPCError, LookupError) as exc:
                report.problems[product_id] = f"not restarted: {exc}"
    return report


async def _restart(db_engine: Engine, client: Client, settings: Settings, product_id: str, ended: str) -> None:
    query = client.get_workflow_handle(workflow_id_for(product_id)).query("status", result_type=ReviewStatus)
    # The ended run answers its own transitions; those of the runs before it are in the audit trail.
    status = await with_full_history(db_engine=db_engine, status=await query)
    with Session(db_engine) as session:
        product = session.get(Product, product_id)
        first = session.exec(
            select(ProductVersion)
            .where(ProductVersion.product_id == product_id)
            .order_by(col(ProductVersion.version_no))
        ).first()
        if product is None or first is None:
            raise LookupError(f"product {product_id} is not stored")
        # The run may have ended after the database recorded a transition it never adopted, and the
        # reconciliation records the ending itself (store/review_endings.py): the restart's transitions
        # come after every number the database holds, or they would be taken for those and dropped.
        carried = _carried_state(status)
        carried.next_seq = max(
            carried.next_seq, last_recorded_seq(session=session, workflow_id=workflow_id_for(product_id)) + 1
        )
    actor = resolve_actor(db_engine, first.submitted_by)
    await start_review(
        client,
        settings,
        meta=_meta(product, first),
        actor=actor,
        version_id=stored_id(first),
        version_no=first.version_no,
        request_id=f"repair/{product_id}/restart/{status.history[-1].seq if status.history else 0}",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        carried_state=carried,
        restart_reason=f"restarted by an operator (gcu-review repair): the review's workflow had {ended} while {status.state}",
    )
