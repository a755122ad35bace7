"""Team pages: the team's products, submitting, the product page (pre-check findings by severity),
resubmitting, the diff between versions, withdrawing; plus the document and audit history, which
every person who may see the product may read."""

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response

from models.enums import ProductType, ReviewAction, ReviewState
from service.errors import ServiceError
from store.retention import is_purged
from web import actions, plain, readmodel, sidebyside
from web.access import Principal, visible_product
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
from web.uploads import MetaForm

router = APIRouter(include_in_schema=False, route_class=DbRoute, dependencies=[Depends(idempotency_form_field)])

AUDIENCES = ("internal", "external", "court")
STAGES = ("AWA", "DCC", "TRIAL", "OTHER")


def _meta_from_form(form) -> MetaForm:
    return MetaForm(**{k: str(form.get(f"meta_{k}", "") or "") for k in MetaForm.model_fields})


def _product_or_404(db, me: Principal, product_id: str):
    product = visible_product(db, me, product_id)
    if product is None:
        raise not_found()
    return product


@router.get("/team")
def team_page(request: Request, db: DbSession, me: PagePrincipal):
    require(me.is_team_staff, "This page is for members of a Unified Team.")
    rows = readmodel.products_for(db, me, team_ids=me.team_ids)
    return render(request, "team.html", {"title": "Your team's products", "rows": rows})


PRODUCTS_PAGE = 100
STATE_GROUPS = {"with_gcu": [str(x) for x in ("prechecked", "queued", "in_review", "escalated")]}


@router.get("/products")
def products_list(
    request: Request,
    db: DbSession,
    me: PagePrincipal,
    team: str = "",
    state: str = "",
    overdue: str = "",
    escalated: str = "",
    period: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """The products behind a dashboard figure: by team, review state, overdue or escalated, submission
    period; PRODUCTS_PAGE of them a page, with how many there are in all."""
    from store.kpi.periods import parse_period

    states = STATE_GROUPS.get(state) or ([state] if state in {str(x) for x in ReviewState} else None)
    since = until = None
    if period:
        try:
            chosen = parse_period(period)
        except ValueError:
            raise HTTPException(
                422, f"“{period}” is not a period (a year such as 2026, or a quarter such as 2026-Q3)."
            ) from None
        since, until = chosen.start, chosen.end + dt.timedelta(days=1)
    filters: dict[str, Any] = {
        "team_ids": frozenset([team]) if team else None,
        "states": states,
        "overdue": overdue == "yes",
        "escalated": escalated == "yes",
        "since": since,
        "until": until,
    }
    total = readmodel.count_products_for(db, me, **filters)
    offset = (page - 1) * PRODUCTS_PAGE
    rows = readmodel.products_for(db, me, limit=PRODUCTS_PAGE, offset=offset, **filters)
    what = [
        f"team {team}" if team else "",
        plain.STATE_WORDS.get(state, "with the GCU" if state == "with_gcu" else state),
        "overdue" if overdue == "yes" else "",
        "escalated" if escalated == "yes" else "",
        f"submitted in {period}" if period else "",
    ]
    given = {"team": team, "state": state, "overdue": overdue, "escalated": escalated, "period": period}
    query = urlencode({k: v for k, v in given.items() if v})
    return render(
        request,
        "products.html",
        {
            "title": "Products",
            "rows": rows,
            "what": ", ".join(w for w in what if w),
            "names": readmodel.all_staff_names(db),
            "pager": {
                "page": page,
                "pages": max(1, -(-total // PRODUCTS_PAGE)),
                "first": offset + 1 if rows else 0,
                "last": offset + len(rows),
                "total": total,
                "query": query + "&" if query else "",
            },
        },
    )


def _submit_form(
    request: Request, me: Principal, error: str | None = None, meta: MetaForm | None = None, status_code=200
):
    teams = sorted(me.team_ids)
    # Not pre-filled: a filled field means "use these fields", which a .md with front matter refuses.
    meta = meta or MetaForm()
    return render(
        request,
        "submit.html",
        {
            "title": "Submit a product",
            "error": error,
            "meta": meta,
            "teams": teams,
            "types": list(ProductType),
            "audiences": AUDIENCES,
            "stages": STAGES,
        },
        status_code=status_code,
    )


@router.get("/products/new")
def submit_form(request: Request, me: PagePrincipal):
    require(me.may_submit(), "Only the staff of a Unified Team submit products.")
    return _submit_form(request, me)


@router.post("/products")
async def submit(request: Request, me: FormPrincipal, client: TemporalClient, file: Annotated[UploadFile, File()]):
    require(me.may_submit(), "Only the staff of a Unified Team submit products.")
    form = await request.form()
    meta = _meta_from_form(form)
    settings = request.app.state.settings
    try:
        result = await actions.submit_upload(
            db_engine=request.app.state.db_engine,
            client=client,
            settings=settings,
            principal=me,
            file=file,
            meta=meta,
        )
    except ServiceError as exc:
        return _submit_form(request, me, plain.refusal(exc.message), meta, status_code=exc.http_status)
    return flash_redirect(
        request,
        f"/products/{result.product_id}",
        f"Submitted {result.product_id} (version {result.version_no}); the pre-check is running.",
    )


@router.get("/products/{product_id}")
def product_page(request: Request, db: DbSession, me: PagePrincipal, product_id: str, version: int | None = None):
    product = _product_or_404(db, me, product_id)
    shown = readmodel.version(db, product_id, version)
    if shown is None:
        raise not_found("No such version.")
    review = readmodel.review_of(db, product_id)
    findings = readmodel.findings_of(db, shown)
    return render(
        request,
        "product.html",
        {
            "title": f"{product.id}: {product.title}",
            "product": product,
            "review": review,
            "shown": shown,
            "versions": readmodel.versions(db, product_id),
            "groups": readmodel.grouped_findings(findings),
            "finding_count": len(findings),
            "actions": readmodel.actions_for(
                me,
                product,
                review,
                findings
                if shown.version_no == product.current_version_no
                else readmodel.current_findings(db, product_id),
            ),
            "comments": readmodel.comments_of(db, product_id),
            "pending": review is not None and review.state in (ReviewState.SUBMITTED, ReviewState.RESUBMITTED),
            "names": readmodel.all_staff_names(db),
            **readmodel.reasons_for(db, product_id, review, shown),
        },
    )


@router.get("/products/{product_id}/status")
def product_status_fragment(request: Request, db: DbSession, me: PagePrincipal, product_id: str):
    """The state badge, polled by htmx while the pre-check runs."""
    _product_or_404(db, me, product_id)
    review = readmodel.review_of(db, product_id)
    return render(request, "_status.html", {"review": review, "product_id": product_id})


@router.get("/products/{product_id}/versions/{version_no}/text")
def download_text(db: DbSession, me: PagePrincipal, product_id: str, version_no: int):
    """The checked text of a version (Markdown with its front matter), only through this access check."""
    _product_or_404(db, me, product_id)
    shown = readmodel.version(db, product_id, version_no)
    if shown is None:
        raise not_found("No such version.")
    filename = f"{product_id}-v{version_no}.md"
    return Response(
        readmodel.document_text(shown).encode("utf-8"),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/products/{product_id}/versions/{version_no}/file")
def download_file(db: DbSession, me: PagePrincipal, product_id: str, version_no: int):
    """The file as submitted (.md, .docx or .pdf), only through this access check, never inline."""
    _product_or_404(db, me, product_id)
    shown = readmodel.version(db, product_id, version_no)
    if shown is None:
        raise not_found("No such version.")
    if is_purged(shown):
        return Response(
            f"This file was removed under the data-retention policy; its SHA-256 was {shown.sha256}.\n",
            status_code=410,
            media_type="text/plain",
        )
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in shown.filename) or "product"
    return Response(
        shown.content,
        media_type=shown.media_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


@router.get("/products/{product_id}/diff")
def diff_page(
    request: Request,
    db: DbSession,
    me: PagePrincipal,
    product_id: str,
    base: int | None = None,
    version: int | None = None,
):
    product = _product_or_404(db, me, product_id)
    new = readmodel.version(db, product_id, version)
    if new is None:
        raise not_found("No such version.")
    old_no = base if base is not None else new.version_no - 1
    old = readmodel.version(db, product_id, old_no) if old_no >= 1 else None
    diff = readmodel.diff_versions(db, old, new) if old is not None and old.id != new.id else None
    side = (
        sidebyside.rows(readmodel.document_text(old), readmodel.document_text(new))
        if old is not None and diff is not None
        else []
    )
    return render(
        request,
        "diff.html",
        {
            "title": f"{product.id}: changes",
            "product": product,
            "diff": diff,
            "new": new,
            "side": side,
            "names": readmodel.all_staff_names(db),
            "versions": readmodel.versions(db, product_id),
        },
    )


@router.get("/products/{product_id}/audit")
def audit_page(request: Request, db: DbSession, me: PagePrincipal, product_id: str):
    product = _product_or_404(db, me, product_id)
    return render(
        request,
        "audit.html",
        {
            "title": f"{product.id}: history",
            "product": product,
            "events": readmodel.audit_history(db, product_id),
            "names": readmodel.all_staff_names(db),
        },
    )


@router.get("/products/{product_id}/resubmit")
def resubmit_form(request: Request, db: DbSession, me: PagePrincipal, product_id: str):
    product = _product_or_404(db, me, product_id)
    review = readmodel.review_of(db, product_id)
    require_action(me, ReviewAction.RESUBMIT, product, review)
    if ReviewAction.RESUBMIT not in readmodel.actions_for(me, product, review):
        raise HTTPException(409, _not_resubmittable(review))
    return render(
        request,
        "resubmit.html",
        {
            "title": f"Resubmit {product.id}",
            "product": product,
            "meta": MetaForm(),
            "types": list(ProductType),
            "audiences": AUDIENCES,
            "stages": STAGES,
        },
    )


def _not_resubmittable(review) -> str:
    if review is not None and review.state == ReviewState.APPROVED:
        return (
            f"Version {review.version_no} was approved and is locked: it cannot be resubmitted. "
            "Changes to an approved product are submitted as a new product."
        )
    if review is not None and review.state == ReviewState.WITHDRAWN:
        return "This product was withdrawn: it cannot be resubmitted."
    state = plain.STATE_WORDS.get(review.state, review.state) if review else "not yet recorded"
    return f"A revised version can be sent once the GCU returns the product; it is {state}."


@router.post("/products/{product_id}/resubmit")
async def resubmit(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    file: Annotated[UploadFile, File()],
):
    product = _product_or_404(db, me, product_id)
    require_action(me, ReviewAction.RESUBMIT, product, readmodel.review_of(db, product_id))
    meta = _meta_from_form(await request.form())
    settings = request.app.state.settings
    try:
        status = await actions.resubmit_upload(
            db_engine=request.app.state.db_engine,
            client=client,
            settings=settings,
            principal=me,
            product_id=product_id,
            file=file,
            meta=meta,
        )
    except ServiceError as exc:
        return render(
            request,
            "resubmit.html",
            {
                "title": f"Resubmit {product.id}",
                "product": product,
                "meta": meta,
                "error": plain.refusal(exc.message),
                "types": list(ProductType),
                "audiences": AUDIENCES,
                "stages": STAGES,
            },
            status_code=exc.http_status,
        )
    return flash_redirect(
        request, f"/products/{product_id}", f"Version {status.version_no} submitted; the pre-check is running."
    )


@router.post("/products/{product_id}/withdraw")
async def withdraw(
    request: Request,
    db: DbSession,
    me: FormPrincipal,
    client: TemporalClient,
    product_id: str,
    reason: Annotated[str, Form()] = "",
):
    require_action(me, ReviewAction.WITHDRAW, _product_or_404(db, me, product_id), readmodel.review_of(db, product_id))
    try:
        await actions.withdraw(
            db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, reason=reason
        )
    except ServiceError as exc:
        return flash_redirect(request, f"/products/{product_id}", plain.refusal(exc.message), "error")
    return flash_redirect(request, f"/products/{product_id}", "Withdrawn.")
