"""Review actions for pages and API alike: the route asks the review policy whether this person could
ever take the action on the product (403), the object check by the caller (404), then the service
layer, whose workflow validator (the same policy) decides and whose refusal message is shown unchanged."""

from datetime import datetime

from fastapi import UploadFile
from sqlalchemy.engine import Engine
from temporalio.client import Client

from models import review_policy as policy
from models.enums import DecisionKind, ReviewAction
from service import reviews
from service.errors import NotPermitted, ServiceError
from settings import Settings
from web.access import Principal, may_act
from web.idempotency import current_key
from web.uploads import MetaForm, staged


def _actor(principal: Principal) -> str:
    if principal.staff_id is None:
        raise NotPermitted(policy.NOT_IN_REGISTER)
    return principal.staff_id


async def submit_upload(
    *,
    db_engine: Engine,
    client: Client,
    settings: Settings,
    principal: Principal,
    file: UploadFile,
    meta: MetaForm | None,
) -> reviews.SubmitResult:
    actor_id = _actor(principal)
    if not principal.may_submit():
        raise NotPermitted(f"{actor_id} is not on the staff of any team: only a team submits its products.")
    async with staged(file, settings.max_upload_bytes, meta) as upload:
        try:
            return await reviews.submit(
                db_engine=db_engine,
                client=client,
                settings=settings,
                path=upload.path,
                meta_path=upload.meta_path,
                actor_id=actor_id,
                request_id=current_key(),
            )
        except ServiceError as exc:
            raise type(exc)(upload.scrub(exc.message)) from exc


async def resubmit_upload(
    *,
    db_engine: Engine,
    client: Client,
    settings: Settings,
    principal: Principal,
    product_id: str,
    file: UploadFile,
    meta: MetaForm | None,
):
    actor_id = _actor(principal)
    async with staged(file, settings.max_upload_bytes, meta) as upload:
        try:
            return await reviews.resubmit(
                db_engine=db_engine,
                client=client,
                settings=settings,
                product_id=product_id,
                path=upload.path,
                meta_path=upload.meta_path,
                actor_id=actor_id,
                request_id=current_key(),
            )
        except ServiceError as exc:
            raise type(exc)(upload.scrub(exc.message)) from exc


async def withdraw(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, reason: str):
    return await reviews.withdraw(
        db_engine=db_engine,
        client=client,
        product_id=product_id,
        reason=reason,
        actor_id=_actor(principal),
        request_id=current_key(),
    )


async def claim(*, db_engine: Engine, client: Client, principal: Principal, product_id: str):
    return await reviews.claim(
        db_engine=db_engine, client=client, product_id=product_id, actor_id=_actor(principal), request_id=current_key()
    )


async def assign(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, reviewer_id: str):
    return await reviews.assign(
        db_engine=db_engine,
        client=client,
        product_id=product_id,
        reviewer_id=reviewer_id.strip(),
        actor_id=_actor(principal),
        request_id=current_key(),
    )


async def dismiss(
    *, db_engine: Engine, client: Client, principal: Principal, product_id: str, rule_id: str, reason: str
):
    return await reviews.dismiss(
        db_engine=db_engine,
        client=client,
        product_id=product_id,
        rule_id=rule_id,
        reason=reason,
        actor_id=_actor(principal),
        request_id=current_key(),
    )


async def decide(
    *,
    db_engine: Engine,
    client: Client,
    principal: Principal,
    product_id: str,
    decision: DecisionKind,
    reason: str | None,
):
    return await reviews.decide(
        db_engine=db_engine,
        client=client,
        product_id=product_id,
        decision=decision,
        reason=(reason or "").strip() or None,
        actor_id=_actor(principal),
        request_id=current_key(),
    )


async def move_due_date(
    *, db_engine: Engine, client: Client, principal: Principal, product_id: str, due_at: datetime, reason: str
):
    return await reviews.move_due_date(
        db_engine=db_engine,
        client=client,
        product_id=product_id,
        due_at=due_at,
        reason=reason,
        actor_id=_actor(principal),
        request_id=current_key(),
    )


async def comment(*, db_engine: Engine, client: Client, principal: Principal, product_id: str, text: str):
    return await reviews.comment(
        db_engine=db_engine,
        client=client,
        product_id=product_id,
        text=text,
        actor_id=_actor(principal),
        request_id=current_key(),
    )


def may_comment_on(principal: Principal, product, review=None) -> bool:
    """Who could ever comment (the route's check, 403); whether this person may now is the workflow's to say."""
    return may_act(principal, ReviewAction.COMMENT, product, review).allowed
