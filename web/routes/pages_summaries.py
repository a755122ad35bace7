"""Compliance summaries (issue 5): the stored HTML of one summary, standalone, and its PDF. A Deputy
Prosecutor opens only their own; the GCU head and administrators open any; everyone else is refused
by role (403). Another Deputy Prosecutor's summary answers 404, like a product of another team."""

import re

import nh3
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from models.summary_tables import ComplianceSummaryDetail
from web.access import Principal, visible_summary
from web.deps import DbRoute, DbSession, PagePrincipal, not_found, require
from web.headers import csp_for_stored_page
from web.templating import render

router = APIRouter(include_in_schema=False, route_class=DbRoute)

ROLE_MESSAGE = "Compliance summaries are for Deputy Prosecutors and the GCU head."
NOT_FOUND = "This compliance summary does not exist, or you do not have access to it."
MAX_ID = 2**31 - 1  # beyond a 32-bit INTEGER (PostgreSQL) no row exists; the database must not even be asked


def summary_or_404(db, me: Principal, summary_id: int) -> ComplianceSummaryDetail:
    require(me.may_see_summaries(), ROLE_MESSAGE)
    summary = visible_summary(db, me, summary_id) if 1 <= summary_id <= MAX_ID else None
    if summary is None:
        raise not_found(NOT_FOUND)
    return summary


def pdf_filename(summary) -> str:
    safe_dp = "".join(c if c.isalnum() or c in "-_" else "_" for c in summary.deputy_prosecutor_id)
    return f"compliance-summary-{safe_dp}-{summary.period_start.isoformat()}-{summary.period_end.isoformat()}.pdf"


def pdf_response(summary) -> Response:
    return Response(
        summary.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf_filename(summary)}"'},
    )


# The .pdf route comes first, and ids are integers, so "/summaries/7.pdf" never reaches the HTML route.
@router.get("/summaries/{summary_id:int}.pdf")
def summary_pdf(db: DbSession, me: PagePrincipal, summary_id: int):
    return pdf_response(summary_or_404(db, me, summary_id))


@router.get("/summaries/{summary_id:int}/standalone")
def summary_standalone(db: DbSession, me: PagePrincipal, summary_id: int):
    """The summary as generated (summaries/templates/summary.html, autoescaped): a standalone page
    (to print or keep) under the app's strict CSP, whose only allowance is the hash of its own stylesheet."""
    summary = summary_or_404(db, me, summary_id)
    return HTMLResponse(summary.html, headers={"Content-Security-Policy": csp_for_stored_page(summary.html)})


# What of a stored summary's <main> the app shows in its own layout: its structure, no styles or scripts.
_SUMMARY_TAGS = {
    "h1",
    "h2",
    "h3",
    "p",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "strong",
    "em",
    "a",
    "section",
    "span",
    "small",
    "br",
    "caption",
}


@router.get("/summaries/{summary_id:int}")
def summary_page(request: Request, db: DbSession, me: PagePrincipal, summary_id: int):
    """The summary inside the app (navigation, header): the stored page's main content, sanitised."""
    summary = summary_or_404(db, me, summary_id)
    match = re.search(r"<main>(.*)</main>", summary.html, re.S)
    body = nh3.clean(
        match.group(1) if match else summary.html,
        tags=_SUMMARY_TAGS,
        attributes={"*": {"class", "id", "aria-labelledby"}, "a": {"href"}},
        link_rel=None,
    )
    return render(
        request,
        "summary.html",
        {
            "title": f"Compliance summary {summary.period_start} to {summary.period_end}",
            "summary": summary,
            "body": Markup(body),
        },
    )
