"""The reviewer's workspace and the document review, read from the data layer (no Temporal): the
worklist ("My reviews" as the landing page, open reviews by default, names, SLA in words, claim
and bulk assignment where allowed), the rendered document with its fields and findings linked,
plain-language messages, and the team page's due dates."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from models.enums import ReviewState
from models.tables import Product, ProductVersion, Review
from tests.web.conftest import PRODUCTS


@pytest.fixture(scope="module")
def workspace(web_db):
    """One review assigned to GX-02 (Albrecht), due within a day; one approved (decided)."""
    _settings, engine = web_db
    now = datetime.now(UTC)
    with Session(engine) as session:
        for pid, state, assignee, due in (
            ("WS-MINE-1", ReviewState.IN_REVIEW, "GX-02", now + timedelta(hours=5)),
            ("WS-DONE-1", ReviewState.APPROVED, "GX-02", now - timedelta(days=3)),
        ):
            session.add(
                Product(
                    id=pid,
                    type="IP",
                    team_id="T-KESTREL",
                    situation="Situation in Velmora",
                    author_id="KE-03",
                    title=f"Plan {pid}",
                    current_version_no=1,
                )
            )
            session.add(
                Review(
                    product_id=pid,
                    workflow_id=f"product-review-{pid}",
                    state=state,
                    assignee_id=assignee,
                    due_at=due,
                    team_id="T-KESTREL",
                    product_type="IP",
                    situation="Situation in Velmora",
                    version_no=1,
                )
            )
        session.commit()


def _row(html: str, pid: str) -> str:
    match = re.search(rf'<tr class="[^"]*">(?:(?!</tr>).)*?{pid}(?:(?!</tr>).)*</tr>', html, re.DOTALL)
    assert match, f"no row for {pid}"
    return match.group(0)


def test_a_reviewer_lands_on_my_reviews_with_names_and_sla_in_words(clients, workspace):
    reviewer = clients["gcu.albrecht"]
    landing = reviewer.get("/", follow_redirects=False)
    assert landing.headers["location"] == "/my-reviews"
    page = reviewer.get("/my-reviews")
    mine = re.search(r'<table class="worklist" id="my-reviews">(.*?)</table>', page.text, re.DOTALL).group(1)
    assert "WS-MINE-1" in mine and "WS-DONE-1" not in mine  # decided reviews are not work
    row = _row(mine, "WS-MINE-1")
    assert "GX-02" not in row and "Albrecht" in row  # the reviewer's name, not the staff id
    assert '<span class="sla sla-due-soon">Due soon: within a day</span>' in row
    assert "sla-due-soon" in row.split(">")[0]  # the row is coloured too


def test_the_queue_shows_open_reviews_by_default_without_a_dead_priority_column(clients, workspace):
    page = clients["gcu.head"].get("/queue")
    assert "WS-MINE-1" in page.text and "WS-DONE-1" not in page.text
    assert ">Priority<" not in page.text
    assert '<option value="open" selected>Open (not decided)</option>' in page.text
    every = clients["gcu.head"].get("/queue?state=all")
    assert "WS-DONE-1" in every.text
    returned = _row(page.text, PRODUCTS["T-OSPREY"])  # with the team: its date is the team's, said so
    assert '<span class="due-kind">Resubmit by</span>' in returned and 'class="sla ' not in returned
    overdue = _row(page.text, PRODUCTS["T-HERON"])  # queued, due yesterday
    assert re.search(r'<span class="sla sla-overdue">Overdue( by 1 day)?</span>', overdue)


def test_claim_is_offered_on_queued_rows_and_bulk_assignment_only_to_the_gcu_head(clients, workspace):
    reviewer = clients["gcu.albrecht"].get("/queue").text
    assert re.search(rf'action="/products/{PRODUCTS["T-HERON"]}/claim"', reviewer)
    assert not re.search(r'action="/products/WS-MINE-1/claim"', reviewer)  # already in review
    assert 'id="bulk-assign"' not in reviewer and 'name="product_id"' not in reviewer
    head = clients["gcu.head"].get("/queue").text
    assert 'id="bulk-assign"' in head and f'value="{PRODUCTS["T-HERON"]}" form="bulk-assign"' in head


def test_a_bulk_assignment_by_a_reviewer_is_refused(clients):
    reviewer = clients["gcu.albrecht"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', reviewer.get("/my-reviews").text).group(1)
    response = reviewer.post(
        "/queue/assign", data={"csrf_token": token, "product_id": PRODUCTS["T-HERON"], "reviewer_id": "GX-02"}
    )
    assert response.status_code == 403


def test_validation_errors_on_pages_read_as_plain_language(clients):
    page = clients["gcu.head"].get("/queue?page=0")
    assert page.status_code == 422
    assert "Page number must be at least 1." in page.text
    assert "Input should be" not in page.text and "page:" not in page.text


def test_the_review_page_renders_the_document_with_fields_lines_and_linked_findings(clients):
    pid = PRODUCTS["T-KESTREL"]
    page = clients["gcu.albrecht"].get(f"/products/{pid}/review").text
    # Front matter as a panel of labelled fields, with the staff name beside the id.
    assert re.search(r'<div class="field depth-1" id="F-product.team">\s*<dt>Team', page)
    # The body rendered from Markdown (a heading, not "## Summary"); the script of the text is gone.
    assert re.search(
        r'<div class="blk" id="L14">\s*<a class="ln" href="#L14"[^>]*>14</a>\s*<div class="blk-body"><h1>Plan</h1>',
        page,
    )
    rendered = page.split('<div class="rendered"')[1].split('<section aria-labelledby="findings-h"')[0]
    assert "<script" not in rendered and "alert(1)" not in rendered
    # The LANG-03 finding (line 16) links to the block holding line 16, which is highlighted.
    assert re.search(r'<dt>Where</dt><dd><a href="#L16" class="where">Line 16</a>', page)
    assert re.search(r'<div class="blk flagged" id="L16">', page)
    # Plain words: no internal location names, citation tags explained.
    assert "line:16" not in page and "field:" not in page
    assert (
        '<abbr class="tag" title="Verified: the wording was seen in the source; short quotes are verbatim.">[V]</abbr>'
        in page
    )
    # The raw source is one click away, numbered line by line.
    source = clients["gcu.albrecht"].get(f"/products/{pid}/review?view=source").text
    assert (
        '<li id="L17"><code>A first draft &lt;script&gt;alert(1)&lt;/script&gt; with a bush wives mention.</code></li>'
        in source
    )


def test_the_team_page_shows_which_due_date_it_means_and_none_once_decided(clients, web_db):
    _settings, engine = web_db
    with Session(engine) as session:
        session.add(
            Product(
                id="WS-HERON-OK",
                type="IP",
                team_id="T-HERON",
                situation="Situation in Velmora",
                author_id="HE-01",
                title="Approved plan",
                current_version_no=1,
            )
        )
        session.add(
            Review(
                product_id="WS-HERON-OK",
                workflow_id="product-review-WS-HERON-OK",
                state=ReviewState.APPROVED,
                due_at=datetime.now(UTC),
                team_id="T-HERON",
                product_type="IP",
                situation="Situation in Velmora",
                version_no=1,
            )
        )
        session.commit()
    page = clients["heron.lead"].get("/team").text
    approved = re.search(r'<tr data-product="WS-HERON-OK">.*?</tr>', page, re.DOTALL).group(0)
    assert '<td class="due nowrap" data-label="Due">—</td>' in approved
    queued = re.search(rf'<tr data-product="{PRODUCTS["T-HERON"]}">.*?</tr>', page, re.DOTALL).group(0)
    assert '<span class="due-kind">Review due</span>' in queued


def test_the_resubmit_form_is_refused_for_a_locked_product(clients):
    page = clients["heron.lead"].get("/products/WS-HERON-OK/resubmit")
    assert page.status_code == 409
    assert "was approved and is locked" in page.text
    assert 'name="file"' not in page.text


def test_the_duplicate_id_refusal_speaks_to_the_team_not_the_cli():
    from web.plain import refusal

    message = refusal(
        "product IP-X was already submitted (workflow product-review-IP-X); use `resubmit` for a new version"
    )
    assert "`resubmit`" not in message and "product-review-" not in message
    assert message.startswith("A product with the id IP-X has already been submitted.")


def test_unread_notifications_are_counted_in_the_header(clients, web_db):
    from store.notifications import create_notification

    _settings, engine = web_db
    with Session(engine) as session:
        create_notification(
            session=session,
            recipient_id="GX-02",
            kind="assignment",
            subject="Assigned WS-MINE-1",
            body="b",
            product_id="WS-MINE-1",
            dedupe_key="ws-unread-1",
        )
        session.commit()
    page = clients["gcu.albrecht"].get("/my-reviews").text
    assert re.search(
        r'Notifications <span class="count-badge" id="unread-count">\d+</span><span class="sr-only"> unread</span>',
        page,
    )


def test_the_diff_is_side_by_side_with_line_numbers_and_changed_words_marked(clients):
    page = clients["heron.lead"].get(f"/products/{PRODUCTS['T-HERON']}/diff").text
    # Line 17 changed: "... with a bush wives mention." -> "... with revised text v2."
    row = re.search(r'<tr class="change">\s*<td class="n">17</td>(.*?)</tr>', page, re.DOTALL)
    assert row, "line 17 is paired with its new version"
    assert "<del>bush</del>" in row.group(1) or "<del>bush wives mention</del>" in row.group(1)
    assert re.search(r"<ins>[^<]*revised[^<]*</ins>", row.group(1))
    assert '<td class="n">17</td>' in row.group(1)  # the new side's number
    assert re.search(r'<ul id="resolved"><li><strong>[^<]+</strong> <span class="muted">LANG-03, minor</span>', page)


def test_word_level_changes_pair_lines_and_keep_the_rest_unmarked():
    from web.sidebyside import rows

    out = rows("a\nthe cat sat\nz", "a\nthe dog sat\nz\nnew")
    change = next(r for r in out if r.kind == "change")
    assert (change.old_no, change.new_no) == (2, 2)
    assert str(change.old) == "the <del>cat</del> sat" and str(change.new) == "the <ins>dog</ins> sat"
    assert [(r.kind, r.new_no) for r in out if r.kind == "add"] == [("add", 4)]


def test_the_dashboard_has_a_period_picker_svg_charts_and_figures_that_link_to_their_lists(clients):
    page = clients["dp.marsh"].get("/dashboard").text
    assert re.search(
        r'<select id="quarter" name="quarter"><option value="\d{4}-Q[1-4]" selected>\d{4}-Q[1-4] \(this quarter\)</option>',
        page,
    )
    assert page.count('<svg class="chart"') >= 4  # the team chart and a trend per KPI
    assert (
        '<a href="/products?team=T-HERON&amp;state=with_gcu"' in page
        or '<a href="/products?team=T-HERON&state=with_gcu"' in page
    )
    heron = re.search(r'<tr data-team="T-HERON">.*?</tr>', page, re.DOTALL).group(0)
    assert '<a href="/products?team=T-HERON&amp;overdue=yes">1</a>' in heron  # the queued Heron product is overdue
    listed = clients["dp.marsh"].get("/products?team=T-HERON&overdue=yes").text
    assert PRODUCTS["T-HERON"] in listed and PRODUCTS["T-KESTREL"] not in listed
    # Another cluster's team lists nothing (the list is the person's own view).
    assert PRODUCTS["T-OSPREY"] not in clients["dp.marsh"].get("/products?team=T-OSPREY").text
    older = clients["dp.marsh"].get("/dashboard?quarter=1999-Q1")
    assert older.status_code == 422 and "Choose one of the last eight quarters" in older.text


def test_a_review_whose_workflow_stopped_says_so_and_offers_no_action(clients, web_db):
    """A terminated workflow takes no update: the pages say why nothing can be done and who restarts
    it, instead of offering buttons that can only fail."""
    _settings, engine = web_db
    with Session(engine) as session:
        session.add(
            Product(
                id="WS-STOPPED-1",
                type="IP",
                team_id="T-KESTREL",
                situation="Situation in Velmora",
                author_id="KE-03",
                title="Plan WS-STOPPED-1",
                current_version_no=1,
            )
        )
        session.add(
            Review(
                product_id="WS-STOPPED-1",
                workflow_id="product-review-WS-STOPPED-1",
                state=ReviewState.QUEUED,
                team_id="T-KESTREL",
                product_type="IP",
                situation="Situation in Velmora",
                version_no=1,
                workflow_ended="terminated",
                ended_run_id="run-1",
            )
        )
        text = b"# Plan WS-STOPPED-1\n"
        session.add(
            ProductVersion(
                product_id="WS-STOPPED-1",
                version_no=1,
                version_label="v1",
                filename="plan.md",
                media_type="text/markdown",
                sha256=hashlib.sha256(text).hexdigest(),
                size_bytes=len(text),
                submitted_by="KE-03",
                content=text,
            )
        )
        session.commit()
    page = clients["gcu.albrecht"].get("/products/WS-STOPPED-1/review")
    assert page.status_code == 200
    assert 'id="workflow-ended-panel"' in page.text
    assert "Its workflow terminated outside the review process" in page.text
    assert "gcu-review repair --restart WS-STOPPED-1" in page.text
    assert 'id="claim"' not in page.text
    queue = clients["gcu.albrecht"].get("/queue")
    assert "WS-STOPPED-1" in _row(queue.text, "WS-STOPPED-1") and "Claim" not in _row(queue.text, "WS-STOPPED-1")
    team = clients["kestrel.inv"].get("/products/WS-STOPPED-1")
    assert 'id="workflow-ended-panel"' in team.text
