"""Review actions for pages and API alike: a coarse role check here (who could ever press this
button), the object check by the caller (404), then the service layer, whose workflow validator
decides and whose refusal message is shown unchanged."""

from datetime import datetime

from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import DecisionKind
from service import reviews
from service.errors import ActionRefused, ServiceError
from settings import Settings
from web.access import Principal
from web.idempotency import current_key
from web.uploads import MetaForm, staged


def _actor(principal: Principal) -> str:
    if principal.staff_id is None:
        raise ActionRefused("this account is not linked to a person of the register, so it can only read")
    return principal.staff_id


async def submit_upload(
    *, db_engine: Engine, client: Client, settings: Settings, principal: Principal, data: bytes, filename: str | None,
    meta: MetaForm | None,
) -> reviews.SubmitResult:
    actor_id = _actor(principal)
    if not principal.team_ids:
        raise ActionRefused(f"{actor_id} is not on the staff of any team: only a team submits its products")
    with staged(data, filename, meta) as upload:
        try:
            return await reviews.submit(
                db_engine=db_engine, client=client, settings=settings, path=upload.path, meta_path=upload.meta_path,
                actor_id=actor_id, request_id=current_key(),
            )
        except ServiceError as exc:
            raise type(exc)(upload.scrub(exc.message)) from exc


async def resubmit_upload(
    *, db_engine: Engine, client: Client, settings: Settings, principal: Principal, product_id: str, data: bytes,
    filename: str | None, meta: MetaForm | None,
):
    actor_id = _actor(principal)
    with staged(data, filename, meta) as upload:
        try:
            return await reviews.resubmit(
                db_engine=db_engine, client=client, settings=settings, product_id=product_id, path=upload.path,
                meta_path=upload.meta_path, actor_id=actor_id, request_id=current_key(),
            )
        except ServiceError as exc:
            raise type(exc)(upload.scrub(exc.message)) from exc


async def withdraw(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, reason: str):
    return await reviews.withdraw(
        db_engine=db_engine, client=client, product_id=product_id, reason=reason, actor_id=_actor(principal),
        request_id=current_key(),
    )


async def claim(*, db_engine: Engine, client: Client, principal: Principal, product_id: str):
    return await reviews.claim(db_engine=db_engine, client=client, product_id=product_id, actor_id=_actor(principal),
                               request_id=current_key())


async def assign(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, reviewer_id: str):
    return await reviews.assign(
        db_engine=db_engine, client=client, product_id=product_id, reviewer_id=reviewer_id.strip(),
        actor_id=_actor(principal), request_id=current_key(),
    )


async def dismiss(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, rule_id: str, reason: str):
    return await reviews.dismiss(
        db_engine=db_engine, client=client, product_id=product_id, rule_id=rule_id, reason=reason,
        actor_id=_actor(principal), request_id=current_key(),
    )


async def decide(
    *, db_engine: Engine, client: Client, principal: Principal, product_id: str, decision: DecisionKind,
    reason: str | None,
):
    return await reviews.decide(
        db_engine=db_engine, client=client, product_id=product_id, decision=decision,
        reason=(reason or "").strip() or None, actor_id=_actor(principal), request_id=current_key(),
    )


async def move_due_date(
    *, db_engine: Engine, client: Client, principal: Principal, product_id: str, due_at: datetime, reason: str
):
    return await reviews.move_due_date(
        db_engine=db_engine, client=client, product_id=product_id, due_at=due_at, reason=reason,
        actor_id=_actor(principal), request_id=current_key(),
    )


async def comment(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, text: str):
    return await reviews.comment(
        db_engine=db_engine, client=client, product_id=product_id, text=text, actor_id=_actor(principal),
        request_id=current_key(),
    )


def may_comment_on(principal: Principal, product) -> bool:
    """Who could ever comment (the role check, 403): the submitting team, GCU reviewers (the
    assignee), the GCU head. Whether this person may now is the workflow's to say."""
    team_side = product.team_id in principal.team_ids or product.author_id == principal.staff_id
    return principal.can_act and (team_side or principal.is_gcu_reviewer)
