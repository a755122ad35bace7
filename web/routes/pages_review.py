"""GCU pages: the queue (filters, sorting, counts per state), the review page (document beside its
findings), and the reviewer's and the GCU head's actions."""

from datetime import datetime, time, timezone
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlmodel import select

from models.enums import DecisionKind, ProductType, ReviewAction, ReviewState, Verdict
from models.review_policy import DECISION_ACTIONS
from models.tables import Team
from service.errors import ServiceError
from store import reviews as review_store
from web import actions, readmodel
from web.access import visible_product
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, TemporalClient, not_found, require, require_action
from web.idempotency import idempotency_form_field
from web.templating import flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute, dependencies=[Depends(idempotency_form_field)])

SORTS = {"due_at": "Due date (soonest first)", "priority": "Priority (highest first)", "updated_at": "Last change"}


QUEUE_PAGE_SIZE = 50


def queue_filters(team: str, situation: str, type: str, state: str, verdict: str, overdue: str, sort: str) -> dict:
    return {
        "team": team or None, "situation": situation or None, "product_type": type or None, "state": state or None,
        "verdict": verdict or None, "overdue": {"yes": True, "no": False}.get(overdue),
        "order_by": sort if sort in SORTS else "due_at",
    }


@router.get("/queue")
def queue_page(
    request: Request, db: DbSession, me: PagePrincipal,
    team: str = "", situation: str = "", type: str = "", state: str = "", verdict: str = "", overdue: str = "",
    sort: str = "due_at", page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    require(me.may_see_queue(), "The review queue is for the GCU.")
    filters = queue_filters(team, situation, type, state, verdict, overdue, sort)
    # One page at a time: a queue of thousands must not be built and rendered whole on every visit.
    rows = review_store.list_queue(session=db, **filters, limit=QUEUE_PAGE_SIZE + 1, offset=(page - 1) * QUEUE_PAGE_SIZE)
    has_next = len(rows) > QUEUE_PAGE_SIZE
    rows = rows[:QUEUE_PAGE_SIZE]
    counts = review_store.counts_by_state(session=db, team=filters["team"], situation=filters["situation"])
    teams = db.exec(select(Team.id, Team.situation).order_by(Team.id)).all()  # what the filters show
    situations = sorted({t.situation for t in teams if t.situation})
    context = {
        "title": "Review queue", "rows": rows, "counts": counts,
        "selected": {"team": team, "situation": situation, "type": type, "state": state, "verdict": verdict,
                     "overdue": overdue, "sort": filters["order_by"]},
        "teams": teams, "situations": situations, "types": list(ProductType), "states": list(ReviewState),
        "verdicts": [v for v in Verdict], "sorts": SORTS,
        "page": page, "has_next": has_next, "first_row": (page - 1) * QUEUE_PAGE_SIZE + 1,
        "page_query": urlencode({k: v for k, v in {"team": team, "situation": situation, "type": type, "state": state,
                                                    "verdict": verdict, "overdue": overdue,
                                                    "sort": "" if sort == "due_at" else sort}.items() if v}),
    }
    template = "_queue_table.html" if request.headers.get("HX-Request") == "true" else "queue.html"
    return render(request, template, context)


@router.get("/products/{product_id}/review")
def review_page(request: Request, db: DbSession, me: PagePrincipal, product_id: str):
    product = visible_product(db, me, product_id)
    if product is None:
        raise not_found()
    require(me.may_see_queue(), "The review page is for the GCU; your team sees the product page.")
    shown = readmodel.version(db, product_id, None)
    review = readmodel.review_of(db, product_id)
    findings = readmodel.findings_of(db, shown) if shown else []
    reviewers = readmodel.reviewers_for(db, product)
    text = readmodel.document_text(shown) if shown else ""
    return render(request, "review.html", {
        "title": f"Review {product.id}", "product": product, "review": review, "shown": shown,
        "lines": text.split("\n"), "groups": readmodel.grouped_findings(findings),
        "actions": readmodel.actions_for(me, product, review, findings), "reviewers": reviewers,
        "approval_refused": readmodel.refusal_of(me, ReviewAction.APPROVE, product, review, findings),
        "comments": readmodel.comments_of(db, product_id),
    })


def _reviewable(db, me, product_id: str):
    product = visible_product(db, me, product_id)
    if product is None:
        raise not_found()
    return product


async def _run(request: Request, db, product_id: str, make, done: str, back: str = "review"):
    target = f"/products/{product_id}/review" if back == "review" else f"/products/{product_id}"
    db.close()  # see web/routes/api.py _call: no pooled connection is held while the workflow decides
    try:
        await make()
    except ServiceError as exc:
        return flash_redirect(request, target, exc.message, "error")
    return flash_redirect(request, target, done)


@router.post("/products/{product_id}/claim")
async def claim(request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str):
    require_action(me, ReviewAction.CLAIM, _reviewable(db, me, product_id), readmodel.review_of(db, product_id))
    return await _run(request, db, product_id, lambda: actions.claim(
        db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id), "Claimed: the review is yours.")


@router.post("/products/{product_id}/assign")
async def assign(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    reviewer_id: Annotated[str, Form()] = "",
):
    require_action(me, ReviewAction.ASSIGN, _reviewable(db, me, product_id), readmodel.review_of(db, product_id))
    return await _run(request, db, product_id, lambda: actions.assign(
        db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id,
        reviewer_id=reviewer_id), f"Assigned to {reviewer_id}.")


@router.post("/products/{product_id}/dismiss")
async def dismiss(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    rule_id: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
):
    require_action(me, ReviewAction.DISMISS_FINDING, _reviewable(db, me, product_id), readmodel.review_of(db, product_id))
    return await _run(request, db, product_id, lambda: actions.dismiss(
        db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, rule_id=rule_id,
        reason=reason), f"Finding {rule_id} dismissed.")


@router.post("/products/{product_id}/decide")
async def decide(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    decision: Annotated[DecisionKind, Form()], reason: Annotated[str, Form()] = "",
):
    require_action(me, DECISION_ACTIONS[decision], _reviewable(db, me, product_id), readmodel.review_of(db, product_id))
    done = {DecisionKind.APPROVE: "Approved.", DecisionKind.RETURN: "Returned to the team.",
            DecisionKind.ESCALATE: "Escalated to the GCU head."}[decision]
    return await _run(request, db, product_id, lambda: actions.decide(
        db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, decision=decision,
        reason=reason), done)


def parse_due(value: str) -> datetime:
    """A date (end of that day, UTC) or an ISO date-time; naive times are read as UTC."""
    value = value.strip()
    try:
        if len(value) == 10:
            return datetime.combine(datetime.fromisoformat(value).date(), time(23, 59), tzinfo=timezone.utc)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError(f"due date {value!r} is not a date (YYYY-MM-DD) or an ISO date-time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@router.post("/products/{product_id}/due-date")
async def move_due_date(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    due: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
):
    require_action(me, ReviewAction.MOVE_DUE_DATE, _reviewable(db, me, product_id), readmodel.review_of(db, product_id))

    async def make():
        await actions.move_due_date(
            db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id,
            due_at=parse_due(due), reason=reason,
        )

    return await _run(request, db, product_id, make, f"Due date moved to {due}.")


@router.post("/products/{product_id}/comment")
async def comment(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    text: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "product",
):
    require_action(me, ReviewAction.COMMENT, _reviewable(db, me, product_id), readmodel.review_of(db, product_id))
    return await _run(request, db, product_id, lambda: actions.comment(
        db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, text=text),
        "Comment added.", back="review" if back == "review" else "product")
