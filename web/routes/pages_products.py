"""Team pages: the team's products, submitting, the product page (pre-check findings by severity),
resubmitting, the diff between versions, withdrawing; plus the document and audit history, which
every person who may see the product may read."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from models.enums import ProductType, ReviewAction, ReviewState
from service.errors import ServiceError
from store.retention import is_purged
from web import actions, readmodel
from web.access import Principal, visible_product
from web.deps import DbRoute, DbSession, FormPrincipal, PagePrincipal, TemporalClient, not_found, require, require_action
from web.idempotency import idempotency_form_field
from web.templating import flash_redirect, render
from web.uploads import MetaForm, read_limited

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


def _submit_form(request: Request, me: Principal, error: str | None = None, meta: MetaForm | None = None, status_code=200):
    teams = sorted(me.team_ids)
    # Not pre-filled: a filled field means "use these fields", which a .md with front matter refuses.
    meta = meta or MetaForm()
    return render(
        request, "submit.html",
        {"title": "Submit a product", "error": error, "meta": meta, "teams": teams, "types": list(ProductType),
         "audiences": AUDIENCES, "stages": STAGES},
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
        data = await read_limited(file, settings.max_upload_bytes)
        result = await actions.submit_upload(
            db_engine=request.app.state.db_engine, client=client, settings=settings, principal=me, data=data,
            filename=file.filename, meta=meta,
        )
    except ServiceError as exc:
        return _submit_form(request, me, exc.message, meta, status_code=exc.http_status)
    return flash_redirect(
        request, f"/products/{result.product_id}",
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
    return render(request, "product.html", {
        "title": f"{product.id}: {product.title}",
        "product": product, "review": review, "shown": shown,
        "versions": readmodel.versions(db, product_id),
        "groups": readmodel.grouped_findings(findings),
        "finding_count": len(findings),
        "actions": readmodel.actions_for(me, product, review, findings if shown.version_no == product.current_version_no
                                         else readmodel.current_findings(db, product_id)),
        "comments": readmodel.comments_of(db, product_id),
        "pending": review is not None and review.state in (ReviewState.SUBMITTED, ReviewState.RESUBMITTED),
    })


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
        readmodel.document_text(shown).encode("utf-8"), media_type="text/markdown; charset=utf-8",
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
            status_code=410, media_type="text/plain",
        )
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in shown.filename) or "product"
    return Response(shown.content, media_type=shown.media_type or "application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


@router.get("/products/{product_id}/diff")
def diff_page(request: Request, db: DbSession, me: PagePrincipal, product_id: str, base: int | None = None, version: int | None = None):
    product = _product_or_404(db, me, product_id)
    new = readmodel.version(db, product_id, version)
    if new is None:
        raise not_found("No such version.")
    old_no = base if base is not None else new.version_no - 1
    old = readmodel.version(db, product_id, old_no) if old_no >= 1 else None
    diff = readmodel.diff_versions(db, old, new) if old is not None and old.id != new.id else None
    return render(request, "diff.html", {
        "title": f"{product.id}: changes", "product": product, "diff": diff, "new": new,
        "versions": readmodel.versions(db, product_id),
    })


@router.get("/products/{product_id}/audit")
def audit_page(request: Request, db: DbSession, me: PagePrincipal, product_id: str):
    product = _product_or_404(db, me, product_id)
    return render(request, "audit.html", {
        "title": f"{product.id}: history", "product": product, "events": readmodel.audit_history(db, product_id),
    })


@router.get("/products/{product_id}/resubmit")
def resubmit_form(request: Request, db: DbSession, me: PagePrincipal, product_id: str):
    product = _product_or_404(db, me, product_id)
    require_action(me, ReviewAction.RESUBMIT, product, readmodel.review_of(db, product_id))
    return render(request, "resubmit.html", {"title": f"Resubmit {product.id}", "product": product, "meta": MetaForm(),
                                             "types": list(ProductType), "audiences": AUDIENCES, "stages": STAGES})


@router.post("/products/{product_id}/resubmit")
async def resubmit(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    file: Annotated[UploadFile, File()],
):
    product = _product_or_404(db, me, product_id)
    require_action(me, ReviewAction.RESUBMIT, product, readmodel.review_of(db, product_id))
    meta = _meta_from_form(await request.form())
    settings = request.app.state.settings
    try:
        data = await read_limited(file, settings.max_upload_bytes)
        status = await actions.resubmit_upload(
            db_engine=request.app.state.db_engine, client=client, settings=settings, principal=me,
            product_id=product_id, data=data, filename=file.filename, meta=meta,
        )
    except ServiceError as exc:
        return render(request, "resubmit.html", {
            "title": f"Resubmit {product.id}", "product": product, "meta": meta, "error": exc.message,
            "types": list(ProductType), "audiences": AUDIENCES, "stages": STAGES,
        }, status_code=exc.http_status)
    return flash_redirect(request, f"/products/{product_id}", f"Version {status.version_no} submitted; the pre-check is running.")


@router.post("/products/{product_id}/withdraw")
async def withdraw(
    request: Request, db: DbSession, me: FormPrincipal, client: TemporalClient, product_id: str,
    reason: Annotated[str, Form()] = "",
):
    require_action(me, ReviewAction.WITHDRAW, _product_or_404(db, me, product_id), readmodel.review_of(db, product_id))
    try:
        await actions.withdraw(db_engine=request.app.state.db_engine, client=client, principal=me, product_id=product_id, reason=reason)
    except ServiceError as exc:
        return flash_redirect(request, f"/products/{product_id}", exc.message, "error")
    return flash_redirect(request, f"/products/{product_id}", "Withdrawn.")

