"""GCU pages: the queue (filters, sorting, counts per state), the review page (document beside its
findings), and the reviewer's and the GCU head's actions."""

from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlmodel import col, select

from models import review_policy
from models.enums import DecisionKind, ProductType, ReviewAction, ReviewState, Verdict
from models.review_policy import DECISION_ACTIONS
from models.tables import Staff, Team
from service.errors import ServiceError
from store import reviews as review_store
from web import actions, document, plain, readmodel, sla, worklist
from web.access import cases_of_rows, visible_product
from web.deps import (
    DbRoute,
    DbSession,
    FormPrincipal,
    PagePrincipal,
    TemporalClient,
    not_found,
    require,
    require_action,
)
from web.idempotency import idempotency_form_field
from web.templating import flash_redirect, render

router = APIRouter(include_in_schema=False, route_class=DbRoute, dependencies=[Depends(idempotency_form_field)])

SORTS = {"due_at": "Due date (soonest first)", "updated_at": "Last change"}
# The queue shows the reviews still to finish unless asked for all: decided ones are history.
OPEN_STATES = [str(s) for s in review_store.OPEN_STATES]


QUEUE_PAGE_SIZE = 50
# The worklist shows a queue page's worth of the reviewer's own, due soonest first, and links the rest.
MY_REVIEWS_LIMIT = QUEUE_PAGE_SIZE


def queue_filters(team: str, situation: str, type: str, state: str, verdict: str, overdue: str, sort: str) -> dict:
    states = None if state == "all" else (OPEN_STATES if state in ("", "open") else state)
    return {
        "team": team or None,
        "situation": situation or None,
        "product_type": type or None,
        "state": states,
        "verdict": verdict or None,
        "overdue": {"yes": True, "no": False}.get(overdue),
        "order_by": sort if sort in SORTS else "due_at",
    }


# What a worklist row offers (the rest is on the review page): only these are asked of the policy.
ROW_ACTIONS = (ReviewAction.CLAIM,)


@lru_cache(maxsize=4096)
def _row_actions(person: review_policy.Person, case: review_policy.Case) -> frozenset[ReviewAction]:
    """What the policy allows `person` on a row: a pure function of the two, and the rows of every
    page share a few cases (type, team, author, state, assignee), so each is decided once."""
    return frozenset(a for a in ROW_ACTIONS if review_policy.decide(a, person, case).allowed)


def work_rows(db, me, rows) -> list[worklist.RowView]:
    """The rows as the worklist shows them: the assignee's name, SLA state and the row's own
    actions. Two queries for any number of rows (names; the front matter of interview records), and
    one policy decision per distinct case, since the rows of a page share a few (type, team,
    author, state, assignee). `rows`: store.reviews.queue_rows."""
    names = readmodel.staff_names(db, [r.assignee_id for r in rows])
    now = datetime.now(UTC)
    person = me.person()
    out: list[worklist.RowView] = []
    for r, case in zip(rows, cases_of_rows(db, rows), strict=True):
        actions = frozenset() if r.workflow_ended else _row_actions(person, case)  # a stopped workflow takes none
        out.append(
            worklist.row_view(
                r,
                assignee_name=names.get(r.assignee_id or "", r.assignee_id or ""),
                sla_state=sla.state_of(r, now),
                can_claim=ReviewAction.CLAIM in actions,
            )
        )
    return out


# Built once: every queue page lists the teams in its filters.
_TEAMS = select(Team.id, Team.situation).order_by(col(Team.id))


@router.get("/queue")
def queue_page(
    request: Request,
    db: DbSession,
    me: PagePrincipal,
    team: str = "",
    situation: str = "",
    type: str = "",
    state: str = "",
    verdict: str = "",
    overdue: str = "",
    sort: str = "due_at",
    reviewer: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    require(me.may_see_queue(), "The review queue is for the GCU and the SPU.")
    filters = queue_filters(team, situation, type, state, verdict, overdue, sort)
    if reviewer == "me":  # the reviewer's own reviews (the worklist's "all assigned to me")
        filters["assignee"] = me.staff_id or ""
    mine = me.queue_product_types()  # the GCU's queue or the SPU's (interview records)
    if mine is not None:
        filters["product_type"] = type if type in mine else mine
    # One page at a time: a queue of thousands must not be built and rendered whole on every visit.
    rows = review_store.queue_rows(
        session=db, **filters, limit=QUEUE_PAGE_SIZE + 1, offset=(page - 1) * QUEUE_PAGE_SIZE
    )
    has_next = len(rows) > QUEUE_PAGE_SIZE
    rows = rows[:QUEUE_PAGE_SIZE]
    # Counted over what this list can show whatever its state: the same team, situation and types.
    counts = review_store.counts_by_state(
        session=db, team=filters["team"], situation=filters["situation"], product_type=filters["product_type"]
    )
    teams = db.connection().execute(_TEAMS).all()  # what the filters show (plain rows: see readmodel.staff_names)
    situations = sorted({situation for _team, situation in teams if situation})
    context: dict[str, object] = {
        "title": "Review queue",
        "rows": work_rows(db, me, rows),
        "counts": counts,
        "selected": {
            "team": team,
            "situation": situation,
            "type": type,
            "state": state or "open",
            "verdict": verdict,
            "overdue": overdue,
            "sort": filters["order_by"],
            "reviewer": "me" if reviewer == "me" else "",
        },
        "teams": teams,
        "situations": situations,
        "types": mine or list(ProductType),
        "states": list(ReviewState),
        "verdicts": [v for v in Verdict],
        "sorts": SORTS,
        "reviewers": _reviewers(db) if me.is_gcu_head else [],
        "page": page,
        "has_next": has_next,
        "first_row": (page - 1) * QUEUE_PAGE_SIZE + 1,
        "back": "/queue",
        # A count's link opens the list it counts: the same team, situation and type, in its state.
        "count_query": urlencode({k: v for k, v in {"team": team, "situation": situation, "type": type}.items() if v}),
        "page_query": urlencode(
            {
                k: v
                for k, v in {
                    "team": team,
                    "situation": situation,
                    "type": type,
                    "state": state,
                    "verdict": verdict,
                    "overdue": overdue,
                    "sort": "" if sort == "due_at" else sort,
                    "reviewer": "me" if reviewer == "me" else "",
                }.items()
                if v
            }
        ),
    }
    template = "_queue_table.html" if request.headers.get("HX-Request") == "true" else "queue.html"
    return render(request, template, context)


@router.get("/my-reviews")
def my_reviews(request: Request, db: DbSession, me: PagePrincipal):
    """The reviewer's landing page: the open reviews assigned to them, due soonest first."""
    require(me.may_see_queue(), "The worklist is for the GCU and the SPU.")
    types = me.queue_product_types()  # the unit's queue: what it lists, the counts count
    mine = (
        review_store.queue_rows(
            session=db,
            assignee=me.staff_id or "",
            product_type=types,
            state=OPEN_STATES,
            order_by="due_at",
            limit=MY_REVIEWS_LIMIT,
        )
        if me.staff_id
        else []
    )
    assigned = len(mine)
    if assigned == MY_REVIEWS_LIMIT:  # more than the page lists: say how many
        assigned = review_store.count_queue(
            session=db, assignee=me.staff_id or "", product_type=types, state=OPEN_STATES
        )
    waiting = review_store.queue_rows(
        session=db, state=[str(ReviewState.QUEUED)], product_type=types, assignee=None, order_by="due_at", limit=10
    )
    return render(
        request,
        "my_reviews.html",
        {
            "title": "My reviews",
            "rows": work_rows(db, me, mine),
            "assigned": assigned,
            "waiting": work_rows(db, me, waiting),
            "counts": review_store.counts_by_state(session=db, product_type=types),
            "back": "/my-reviews",
            "reviewers": [],
        },
    )


def _reviewers(db) -> list[Staff]:
    staff = db.exec(select(Staff).where(Staff.active).order_by(Staff.name, Staff.id)).all()
    return [s for s in staff if "gcu_reviewer" in (s.roles or []) or "gcu_head" in (s.roles or [])]


@router.post("/queue/assign")
async def assign_many(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    reviewer_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/queue",
):
    """The GCU head assigns (or reassigns) several reviews from the queue at once; each is its own
    workflow update, so one refusal does not undo the others, and the message lists both."""
    require(me.is_gcu_head, "Only the GCU head assigns reviews.")
    target = back if back.startswith("/queue") else "/queue"
    if not product_id:
        return flash_redirect(request, target, "Tick the reviews to assign first.", "error")
    products = [visible_product(db, me, pid) for pid in product_id]
    if any(p is None for p in products):
        raise not_found()
    name = readmodel.staff_names(db, [reviewer_id]).get(reviewer_id, reviewer_id)
    db.close()  # no pooled connection is held while the workflows decide
    done, refused = [], []
    for pid in product_id:
        try:
            await actions.assign(
                db_engine=request.app.state.db_engine,
                client=client,
                principal=me,
                product_id=pid,
                reviewer_id=reviewer_id,
            )
            done.append(pid)
        except ServiceError as exc:
            refused.append(f"{pid} ({plain.refusal(exc.message).rstrip('.')})")
    message = f"Assigned {len(done)} review{'s' if len(done) != 1 else ''} to {name}." if done else ""
    if refused:
        message += (" " if message else "") + "Not assigned: " + "; ".join(refused) + "."
    return flash_redirect(request, target, message, "error" if refused else "ok")


@router.get("/products/{product_id}/review")
def review_page(request: Request, db: DbSession, me: PagePrincipal, product_id: str, view: str = "rendered"):
    product = visible_product(db, me, product_id)
    if product is None:
        raise not_found()
    require(me.may_see_queue(), "The review page is for the GCU; your team sees the product page.")
    shown = readmodel.version(db, product_id, None)
    review = readmodel.review_of(db, product_id)
    findings = readmodel.findings_of(db, shown) if shown else []
    reviewers = readmodel.reviewers_for(db, product)
    names = readmodel.all_staff_names(db)
    comments = readmodel.comments_of(db, product_id)
    doc = document.build(readmodel.document_text(shown) if shown else "", findings, comments, names)
    return render(
        request,
        "review.html",
        {
            "title": f"Review {product.id}",
            "product": product,
            "review": review,
            "shown": shown,
            "doc": doc,
            "view": "source" if view == "source" or not doc.rendered else "rendered",
            "groups": readmodel.grouped_findings(findings),
            "names": names,
            "actions": readmodel.actions_for(me, product, review, findings),
            "reviewers": reviewers,
            "approval_refused": readmodel.refusal_of(me, ReviewAction.APPROVE, product, review, findings),
            "comments": comments,
            "ready": readmodel.readiness(findings, review.verdict if review else None),
            "sla": sla.state_of(review),
            **readmodel.reasons_for(db, product_id, review, shown),
        },
    )


def _reviewable(db, me, product_id: str):
    product = visible_product(db, me, product_id)
    if product is None:
        raise not_found()
    return product


def _require(db, me, product_id: str, action: ReviewAction) -> None:
    """403 with the review policy's sentence unless this person could take `action` on the product."""
    require_action(me, action, _reviewable(db, me, product_id), readmodel.review_of(db, product_id))


async def _run(request: Request, db, product_id: str, make, done: str, back: str = "review"):
    if back.startswith(("/queue", "/my-reviews")):  # a worklist the action was taken from
        target = back
    else:
        target = f"/products/{product_id}/review" if back == "review" else f"/products/{product_id}"
    db.close()  # see web/routes/api.py _call: no pooled connection is held while the workflow decides
    try:
        await make()
    except ServiceError as exc:
        return flash_redirect(request, target, plain.refusal(exc.message), "error")
    return flash_redirect(request, target, done)


@router.post("/products/{product_id}/claim")
async def claim(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    back: Annotated[str, Form()] = "review",
):
    _require(db, me, product_id, ReviewAction.CLAIM)
    done = "Claimed: the review is yours." if back == "review" else f"Claimed {product_id}: it is in your reviews."
    return await _run(
        request,
        db,
        product_id,
        lambda: actions.claim(
            db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id
        ),
        done,
        back=back,
    )


@router.post("/products/{product_id}/assign")
async def assign(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    reviewer_id: Annotated[str, Form()] = "",
):
    _require(db, me, product_id, ReviewAction.ASSIGN)
    return await _run(
        request,
        db,
        product_id,
        lambda: actions.assign(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            reviewer_id=reviewer_id,
        ),
        f"Assigned to {reviewer_id}.",
    )


@router.post("/products/{product_id}/dismiss")
async def dismiss(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    rule_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
):
    require_action(
        me, ReviewAction.DISMISS_FINDING, _reviewable(db, me, product_id), readmodel.review_of(db, product_id)
    )
    return await _run(
        request,
        db,
        product_id,
        lambda: actions.dismiss(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            rule_id=rule_id,
            reason=reason,
        ),
        f"Finding {rule_id} dismissed.",
    )


@router.post("/products/{product_id}/decide")
async def decide(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    decision: Annotated[DecisionKind, Form()],
    reason: Annotated[str, Form()] = "",
):
    _require(db, me, product_id, DECISION_ACTIONS[decision])
    done = {
        DecisionKind.APPROVE: "Approved.",
        DecisionKind.RETURN: "Returned to the team.",
        DecisionKind.ESCALATE: "Escalated to the GCU head.",
    }[decision]
    if decision != DecisionKind.APPROVE and not reason.strip():
        what = "what the team must change" if decision == DecisionKind.RETURN else "why the GCU head should decide"
        return flash_redirect(
            request, f"/products/{product_id}/review", f"Please say {what}: nothing was recorded.", "error"
        )
    return await _run(
        request,
        db,
        product_id,
        lambda: actions.decide(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            decision=decision,
            reason=reason,
        ),
        done,
    )


def parse_due(value: str) -> datetime:
    """A date (end of that day, UTC) or an ISO date-time; naive times are read as UTC."""
    value = value.strip()
    try:
        if len(value) == 10:
            return datetime.combine(datetime.fromisoformat(value).date(), time(23, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError(f"The due date “{value}” is not a date (YYYY-MM-DD).") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.post("/products/{product_id}/due-date")
async def move_due_date(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    due: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
):
    _require(db, me, product_id, ReviewAction.MOVE_DUE_DATE)

    async def make():
        moved = parse_due(due)
        if moved <= datetime.now(UTC):
            raise ServiceError(f"The new due date ({moved.date().isoformat()}) must be in the future.")
        await actions.move_due_date(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            due_at=moved,
            reason=reason,
        )

    return await _run(request, db, product_id, make, f"Due date moved to {due}.")


@router.post("/products/{product_id}/comment")
async def comment(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    text: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "product",
    line: Annotated[str, Form()] = "",
):
    product = _reviewable(db, me, product_id)
    if line.isdigit() and text.strip():
        text = f"On line {int(line)}: {text.strip()}"  # web.document.COMMENT_ANCHOR: placed beside that passage
    require_action(me, ReviewAction.COMMENT, product, readmodel.review_of(db, product_id))
    return await _run(
        request,
        db,
        product_id,
        lambda: actions.comment(
            db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, text=text
        ),
        "Comment added.",
        back="review" if back == "review" else "product",
    )
