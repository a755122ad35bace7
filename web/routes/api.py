"""The JSON API: the same reads and actions as the pages, with the same checks (role: 403, object:
404), authenticated with a Bearer token. A refused action answers 409 with the workflow's reason;
bad input 400; an unreachable review service 503."""

import datetime as dt
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from models.enums import DecisionKind, ProductType, ReviewAction, ReviewState, Verdict
from models.limits import COMMENT_MAX_CHARS, REASON_MAX_CHARS
from models.messages import ReviewStatus
from models.review_policy import DECISION_ACTIONS
from models.summary_tables import ComplianceSummaryPublic
from models.tables import (
    AuditEventPublic,
    FindingPublic,
    NotificationPublic,
    ProductPublic,
    ProductVersionPublic,
    ReviewPublic,
)
from service.errors import ServiceError
from service.reviews import SubmitResult
from store import notifications as notification_store
from store import reviews as review_store
from web import actions, insights, readmodel
from web.access import Principal, visible_product
from web.api_errors import DbIdPath, TextIdPath, db_id_query, no_unknown_query_parameters, responses, text_query
from web.deps import ApiPrincipal, DbSession, TemporalClient, not_found, require, require_action
from web.heavy import run_heavy
from web.idempotency import ApiRoute, no_idempotency_key
from web.routes.pages_review import parse_due
from web.routes.pages_summaries import pdf_response, summary_or_404
from web.uploads import MetaForm

router = APIRouter(
    prefix="/api",
    tags=["gcu-review"],
    route_class=ApiRoute,
    responses=responses(401, 422, 503),
    dependencies=[Depends(no_unknown_query_parameters), Depends(no_idempotency_key)],
)
# Statuses of the review actions beyond the router's: refused content (400), role (403), unknown or
# invisible product (404), the workflow's refusal (409).
ACTION_ERRORS = responses(400, 403, 404, 409)


class Me(BaseModel):
    username: str
    staff_id: str | None
    name: str
    roles: list[str]
    team_ids: list[str]
    cluster_team_ids: list[str]
    is_admin: bool


class ProductDetail(BaseModel):
    product: ProductPublic
    review: ReviewPublic | None
    versions: list[ProductVersionPublic]
    findings: list[FindingPublic] = Field(description="findings of the current version")
    allowed_actions: list[ReviewAction] = Field(description="actions this caller could take now")


class DiffOut(BaseModel):
    old_version: int
    new_version: int
    diff: str
    resolved_rule_ids: list[str]
    new_rule_ids: list[str]
    still_open_rule_ids: list[str]


class ReasonIn(BaseModel):
    reason: str = Field(max_length=REASON_MAX_CHARS)


class CommentIn(BaseModel):
    text: str = Field(max_length=COMMENT_MAX_CHARS, description=f"the comment, 1 to {COMMENT_MAX_CHARS} characters")


class AssignIn(BaseModel):
    reviewer_id: str


class DismissIn(BaseModel):
    reason: str = Field(max_length=REASON_MAX_CHARS)


class DecisionIn(BaseModel):
    decision: DecisionKind
    reason: str | None = Field(None, max_length=REASON_MAX_CHARS)


class DueDateIn(BaseModel):
    due_at: str = Field(max_length=64, description="YYYY-MM-DD (end of that day, UTC) or an ISO 8601 date-time")
    reason: str = Field(max_length=REASON_MAX_CHARS)


class SummaryOut(ComplianceSummaryPublic):
    html: str = Field(description="the summary as generated (a standalone HTML document)")
    data: dict = Field(description="the figures the HTML and PDF were rendered from (summaries.data.SummaryData)")
    pdf_url: str


class QueueCounts(BaseModel):
    counts: dict[ReviewState, int]


def _product(db, me: Principal, product_id: str):
    product = visible_product(db, me, product_id)
    if product is None:
        raise not_found()
    return product


def _require(db, me: Principal, product_id: str, action: ReviewAction) -> None:
    """403 with the review policy's sentence unless this person could take `action` on the product."""
    require_action(me, action, _product(db, me, product_id), readmodel.review_of(db, product_id))


async def _call(db, make):
    # The request's database connection goes back to the pool while the workflow decides (which can
    # take a while): the action resolves its actor on a connection of its own, and holding both at
    # once let 20 concurrent actions exhaust the pool (bench/web_bench.py).
    db.close()
    try:
        return await make()
    except ServiceError as exc:
        raise HTTPException(exc.http_status, exc.message) from exc


@router.get("/me", response_model=Me)
def me(me: ApiPrincipal):
    return Me(
        username=me.username,
        staff_id=me.staff_id,
        name=me.name,
        roles=sorted(me.roles),
        team_ids=sorted(me.team_ids),
        cluster_team_ids=sorted(me.cluster_team_ids),
        is_admin=me.is_admin,
    )


@router.get("/queue", response_model=list[ReviewPublic], responses=responses(403))
def queue(
    db: DbSession,
    me: ApiPrincipal,
    team: Annotated[str | None, text_query()] = None,
    situation: Annotated[str | None, text_query()] = None,
    type: ProductType | None = None,
    state: ReviewState | None = None,
    verdict: Verdict | None = None,
    overdue: bool | None = None,
    sort: Annotated[str, Query(pattern="^(due_at|priority|updated_at)$")] = "due_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
):
    """The review queue: the GCU's (GCU reviewers, the GCU head) or the SPU's (SPU officers: interview
    records); every review for administrators; `limit` rows from `offset`."""
    require(me.may_see_queue(), "The review queue is for the GCU and the SPU.")
    mine = me.queue_product_types()
    types = type if mine is None or type in (mine or []) else mine
    return review_store.list_queue(
        session=db,
        team=team,
        situation=situation,
        product_type=types,
        state=state,
        verdict=verdict,
        overdue=overdue,
        order_by=sort,
        limit=limit,
        offset=offset,
    )


@router.get("/queue/counts", response_model=QueueCounts, responses=responses(403))
def queue_counts(
    db: DbSession,
    me: ApiPrincipal,
    team: Annotated[str | None, text_query()] = None,
    situation: Annotated[str | None, text_query()] = None,
    type: ProductType | None = None,
):
    """Reviews per state in the caller's queue (as `/api/queue` lists it with the same filters)."""
    require(me.may_see_queue(), "The review queue is for the GCU and the SPU.")
    mine = me.queue_product_types()
    types = type if mine is None or type in (mine or []) else mine
    return QueueCounts(
        counts=review_store.counts_by_state(session=db, team=team, situation=situation, product_type=types)
    )


@router.get("/products", response_model=list[ProductPublic])
def products(db: DbSession, me: ApiPrincipal):
    """Every product the caller may see: their teams', their cluster's, or all for the GCU."""
    return [ProductPublic.model_validate(p, from_attributes=True) for p, _r in readmodel.products_for(db, me)]


@router.get("/products/{product_id}", response_model=ProductDetail, responses=responses(404))
def product(db: DbSession, me: ApiPrincipal, product_id: TextIdPath):
    p = _product(db, me, product_id)
    review = readmodel.review_of(db, product_id)
    current = readmodel.version(db, product_id, None)
    findings = readmodel.findings_of(db, current) if current else []
    review_out = None
    if review is not None:
        review_out = ReviewPublic.model_validate(
            {
                **review.model_dump(),
                "title": p.title,
                "author_id": p.author_id,
                "overdue": review_store.is_overdue(review, datetime.now(dt.UTC)),
            }
        )
    return ProductDetail(
        product=ProductPublic.model_validate(p, from_attributes=True),
        review=review_out,
        versions=[
            ProductVersionPublic.model_validate(v, from_attributes=True) for v in readmodel.versions(db, product_id)
        ],
        findings=[FindingPublic.model_validate(f, from_attributes=True) for f in findings],
        allowed_actions=sorted(readmodel.actions_for(me, p, review, findings)),
    )


@router.get(
    "/products/{product_id}/versions/{version_no}/findings",
    response_model=list[FindingPublic],
    responses=responses(404),
)
def version_findings(db: DbSession, me: ApiPrincipal, product_id: TextIdPath, version_no: DbIdPath):
    _product(db, me, product_id)
    v = readmodel.version(db, product_id, version_no)
    if v is None:
        raise not_found("No such version.")
    return [FindingPublic.model_validate(f, from_attributes=True) for f in readmodel.findings_of(db, v)]


@router.get(
    "/products/{product_id}/versions/{version_no}/text",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}}, **responses(404)},
)
def version_text(db: DbSession, me: ApiPrincipal, product_id: TextIdPath, version_no: DbIdPath):
    """The checked text of a version (Markdown with front matter)."""
    _product(db, me, product_id)
    v = readmodel.version(db, product_id, version_no)
    if v is None:
        raise not_found("No such version.")
    return Response(readmodel.document_text(v).encode("utf-8"), media_type="text/markdown; charset=utf-8")


@router.get("/products/{product_id}/diff", response_model=DiffOut, responses=responses(404))
def diff(
    db: DbSession,
    me: ApiPrincipal,
    product_id: TextIdPath,
    base: Annotated[int | None, db_id_query("the older version (default: the one before `version`)")] = None,
    version: Annotated[int | None, db_id_query("the newer version (default: the current one)")] = None,
):
    _product(db, me, product_id)
    new = readmodel.version(db, product_id, version)
    old = readmodel.version(db, product_id, base if base is not None else (new.version_no - 1 if new else 0))
    if new is None or old is None or old.id == new.id:
        raise not_found("There is no earlier version to compare with.")
    d = readmodel.diff_versions(db, old, new)
    return DiffOut(
        old_version=old.version_no,
        new_version=new.version_no,
        diff="\n".join(text for _k, text in d.lines),
        resolved_rule_ids=[f.rule_id for f in d.resolved],
        new_rule_ids=[f.rule_id for f in d.new_findings],
        still_open_rule_ids=[f.rule_id for f in d.still_open],
    )


@router.get("/products/{product_id}/audit", response_model=list[AuditEventPublic], responses=responses(404))
def audit(db: DbSession, me: ApiPrincipal, product_id: TextIdPath):
    _product(db, me, product_id)
    return readmodel.audit_history(db, product_id)


@router.get("/notifications", response_model=list[NotificationPublic])
def notifications(db: DbSession, me: ApiPrincipal, unread_only: bool = False):
    if not me.staff_id:
        return []
    return notification_store.list_for(session=db, recipient_id=me.staff_id, unread_only=unread_only, limit=500)


@router.post("/notifications/{notification_id}/read", status_code=204, responses=responses(404))
def notification_read(db: DbSession, me: ApiPrincipal, notification_id: DbIdPath):
    if not me.staff_id or not notification_store.mark_read(
        session=db, notification_id=notification_id, recipient_id=me.staff_id
    ):
        raise not_found("No such notification.")
    db.commit()


@router.get("/dashboard", responses=responses(403))
async def dashboard(
    request: Request, db: DbSession, me: ApiPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict:
    """The Deputy Prosecutor's dashboard: review figures per team, overdue and escalated reviews,
    teams without focal points, certification gaps, KPIs 10-12 (null while not computed). The
    lists hold `limit` entries at most (soonest due, or by person); `totals` says how many there are."""
    require(me.may_see_dashboard(), "The dashboard is for Deputy Prosecutors and the GCU head.")
    return await run_heavy(request, _dashboard, db, me, limit)


def _dashboard(db, me: Principal, limit: int) -> dict:
    try:
        return _dashboard_body(db, me, limit)
    finally:
        db.close()


def _dashboard_body(db, me: Principal, limit: int) -> dict:
    scope = me.dashboard_team_ids()
    today = dt.date.today()
    figures = insights.review_figures(db, scope)
    overdue, escalated = insights.overdue_and_escalated(db, scope, limit=limit)
    gaps = insights.certification_gaps(db, scope, today, limit=limit)
    kpis = insights.kpi_panels(db, scope, today)
    return {
        "teams": None if scope is None else sorted(scope),
        "figures": [vars(f) for f in figures],
        "overdue": [r.model_dump(mode="json") for r in overdue],
        "escalated": [r.model_dump(mode="json") for r in escalated],
        "teams_without_focal_points": [
            {"team_id": t.id, "missing": areas} for t, areas in insights.teams_without_focal_points(db, scope)
        ],
        "certification_gaps": [g.model_dump(mode="json") for g in gaps.people],
        "certification_gap_figures": gaps.figures.model_dump(mode="json"),
        "totals": {
            "overdue": sum(f.overdue for f in figures),
            "escalated": sum(f.escalated for f in figures),
            "certification_gaps": gaps.figures.people,
        },
        "kpis": [vars(k) for k in kpis],
        "compliance_summaries": [
            s.model_dump(mode="json") for s in insights.compliance_summaries(db, me.summaries_owner())
        ]
        if me.may_see_summaries()
        else [],
    }


@router.get("/summaries", response_model=list[ComplianceSummaryPublic], responses=responses(403))
def summaries(db: DbSession, me: ApiPrincipal, limit: Annotated[int, Query(ge=1, le=500)] = 100):
    """Compliance summaries, newest period first: a Deputy Prosecutor's own; everyone's for the GCU
    head and administrators. Headline figures only; open one for its HTML and figures."""
    require(me.may_see_summaries(), "Compliance summaries are for Deputy Prosecutors and the GCU head.")
    return insights.compliance_summaries(db, me.summaries_owner(), limit)


@router.get("/summaries/{summary_id}", response_model=SummaryOut, responses=responses(403, 404))
def summary(db: DbSession, me: ApiPrincipal, summary_id: DbIdPath):
    s = summary_or_404(db, me, summary_id)
    return SummaryOut(**s.model_dump(exclude={"pdf"}), pdf_url=f"/api/summaries/{s.id}/pdf")


@router.get(
    "/summaries/{summary_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(403, 404)},
)
def summary_pdf(db: DbSession, me: ApiPrincipal, summary_id: DbIdPath):
    return pdf_response(summary_or_404(db, me, summary_id))


@router.get("/certifications", responses=responses(403))
async def certifications(
    request: Request,
    db: DbSession,
    me: ApiPrincipal,
    expiring_within: Annotated[int, Query(ge=0, le=3650)] = 90,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict:
    """The register of the caller's teams, one page: `limit` records from `offset` (by team, person,
    certificate) and the certification gaps of the same page of people; `total` and `total_gaps`
    say how many there are."""
    require(me.may_see_certifications(), "The certification register is for the GCU, Deputy Prosecutors and teams.")
    return await run_heavy(request, _certifications, db, me, expiring_within, limit, offset)


def _certifications(db, me: Principal, expiring_within: int, limit: int, offset: int) -> dict:
    try:
        return _certifications_body(db, me, expiring_within, limit, offset)
    finally:
        db.close()


def _certifications_body(db, me: Principal, expiring_within: int, limit: int, offset: int) -> dict:
    scope = me.visible_team_ids()
    today = dt.date.today()
    per_team = insights.certifications(db, scope, today, limit=limit, offset=offset)
    gaps = insights.certification_gaps(db, scope, today, expiring_within, limit=limit, offset=offset)
    return {
        "on": today.isoformat(),
        "total": insights.count_certifications(db, scope, today),
        "limit": limit,
        "offset": offset,
        "teams": {t.id: [r.model_dump(mode="json") for r in rows] for t, rows in per_team},
        "gaps": [g.model_dump(mode="json") for g in gaps.people],
        "total_gaps": gaps.figures.people,
        "gap_figures": gaps.figures.model_dump(mode="json"),
    }


# ---------------------------------------------------------------- actions


def _meta(form_fields: dict) -> MetaForm:
    return MetaForm(**{k: v or "" for k, v in form_fields.items()})


@router.post("/products", response_model=SubmitResult, status_code=201, responses=responses(400, 403, 409))
async def submit(
    request: Request,
    db: DbSession,
    me: ApiPrincipal,
    client: TemporalClient,
    file: Annotated[UploadFile, File()],
    meta_id: Annotated[str, Form()] = "",
    meta_type: Annotated[str, Form()] = "",
    meta_title: Annotated[str, Form()] = "",
    meta_team: Annotated[str, Form()] = "",
    meta_situation: Annotated[str, Form()] = "",
    meta_version: Annotated[str, Form()] = "",
    meta_author: Annotated[str, Form()] = "",
    meta_submitted_on: Annotated[str, Form()] = "",
    meta_audience: Annotated[str, Form()] = "",
    meta_stage: Annotated[str, Form()] = "",
    meta_extra_yaml: Annotated[str, Form()] = "",
):
    """Submit a product: a .md file, or a .docx/.pdf with the meta_* fields (product-format.md §2.1)
    and any further front matter as YAML in meta_extra_yaml."""
    require(me.may_submit(), "Only the staff of a Unified Team submit products.")
    settings = request.app.state.settings
    meta = _meta(
        {
            "id": meta_id,
            "type": meta_type,
            "title": meta_title,
            "team": meta_team,
            "situation": meta_situation,
            "version": meta_version,
            "author": meta_author,
            "submitted_on": meta_submitted_on,
            "audience": meta_audience,
            "stage": meta_stage,
            "extra_yaml": meta_extra_yaml,
        }
    )

    async def make():
        return await actions.submit_upload(
            db_engine=request.app.state.db_engine,
            client=client,
            settings=settings,
            principal=me,
            file=file,
            meta=meta,
        )

    return await _call(db, make)


@router.post("/products/{product_id}/resubmit", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def resubmit(
    request: Request,
    db: DbSession,
    me: ApiPrincipal,
    client: TemporalClient,
    product_id: TextIdPath,
    file: Annotated[UploadFile, File()],
    meta_id: Annotated[str, Form()] = "",
    meta_type: Annotated[str, Form()] = "",
    meta_title: Annotated[str, Form()] = "",
    meta_team: Annotated[str, Form()] = "",
    meta_situation: Annotated[str, Form()] = "",
    meta_version: Annotated[str, Form()] = "",
    meta_author: Annotated[str, Form()] = "",
    meta_submitted_on: Annotated[str, Form()] = "",
    meta_audience: Annotated[str, Form()] = "",
    meta_stage: Annotated[str, Form()] = "",
    meta_extra_yaml: Annotated[str, Form()] = "",
):
    _require(db, me, product_id, ReviewAction.RESUBMIT)
    settings = request.app.state.settings
    meta = _meta(
        {
            "id": meta_id,
            "type": meta_type,
            "title": meta_title,
            "team": meta_team,
            "situation": meta_situation,
            "version": meta_version,
            "author": meta_author,
            "submitted_on": meta_submitted_on,
            "audience": meta_audience,
            "stage": meta_stage,
            "extra_yaml": meta_extra_yaml,
        }
    )

    async def make():
        return await actions.resubmit_upload(
            db_engine=request.app.state.db_engine,
            client=client,
            settings=settings,
            principal=me,
            product_id=product_id,
            file=file,
            meta=meta,
        )

    return await _call(db, make)


@router.post("/products/{product_id}/withdraw", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def withdraw(
    request: Request, db: DbSession, me: ApiPrincipal, client: TemporalClient, product_id: TextIdPath, body: ReasonIn
):
    _require(db, me, product_id, ReviewAction.WITHDRAW)
    return await _call(
        db,
        lambda: actions.withdraw(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            reason=body.reason,
        ),
    )


@router.post("/products/{product_id}/comments", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def comment(
    request: Request, db: DbSession, me: ApiPrincipal, client: TemporalClient, product_id: TextIdPath, body: CommentIn
):
    """Comment on the review (the assignee, the GCU head or the submitting team, until it is approved
    or withdrawn); recorded in its history with the text as the reason."""
    _require(db, me, product_id, ReviewAction.COMMENT)
    return await _call(
        db,
        lambda: actions.comment(
            db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, text=body.text
        ),
    )


@router.post("/products/{product_id}/claim", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def claim(request: Request, db: DbSession, me: ApiPrincipal, client: TemporalClient, product_id: TextIdPath):
    _require(db, me, product_id, ReviewAction.CLAIM)
    return await _call(
        db,
        lambda: actions.claim(
            db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id
        ),
    )


@router.post("/products/{product_id}/assign", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def assign(
    request: Request, db: DbSession, me: ApiPrincipal, client: TemporalClient, product_id: TextIdPath, body: AssignIn
):
    _require(db, me, product_id, ReviewAction.ASSIGN)
    return await _call(
        db,
        lambda: actions.assign(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            reviewer_id=body.reviewer_id,
        ),
    )


@router.post("/products/{product_id}/findings/{rule_id}/dismiss", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def dismiss(
    request: Request,
    db: DbSession,
    me: ApiPrincipal,
    client: TemporalClient,
    product_id: TextIdPath,
    rule_id: TextIdPath,
    body: DismissIn,
):
    _require(db, me, product_id, ReviewAction.DISMISS_FINDING)
    return await _call(
        db,
        lambda: actions.dismiss(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            rule_id=rule_id,
            reason=body.reason,
        ),
    )


@router.post("/products/{product_id}/decision", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def decision(
    request: Request, db: DbSession, me: ApiPrincipal, client: TemporalClient, product_id: TextIdPath, body: DecisionIn
):
    require_action(
        me, DECISION_ACTIONS[body.decision], _product(db, me, product_id), readmodel.review_of(db, product_id)
    )
    return await _call(
        db,
        lambda: actions.decide(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            decision=body.decision,
            reason=body.reason,
        ),
    )


@router.post("/products/{product_id}/due-date", response_model=ReviewStatus, responses=ACTION_ERRORS)
async def due_date(
    request: Request, db: DbSession, me: ApiPrincipal, client: TemporalClient, product_id: TextIdPath, body: DueDateIn
):
    _require(db, me, product_id, ReviewAction.MOVE_DUE_DATE)

    async def make():
        return await actions.move_due_date(
            db_engine=request.app.state.db_engine,
            client=client,
            principal=me,
            product_id=product_id,
            due_at=parse_due(body.due_at),
            reason=body.reason,
        )

    return await _call(db, make)
