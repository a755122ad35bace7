"""The register at scale (issue 15: a 50,000-person register made /api/certifications 24 MB and the
dashboard 16 MB): every list is paged or bounded, the review figures are counted by the database,
and the slow reads keep to their own threads (web/heavy.py)."""

import datetime as dt
from collections import Counter

import anyio
import pytest

from web import insights
from web.heavy import heavy_limiter


def _api(clients, tokens, user, path):
    response = clients[user].get(path, headers={"Authorization": f"Bearer {tokens[user]}"})
    assert response.status_code == 200, response.text
    return response.json()


def _records(body) -> list[tuple]:
    return [(team, r["id"]) for team, rows in body["teams"].items() for r in rows]


def test_the_certification_register_api_pages_through_every_record_once(clients, tokens):
    everything = _api(clients, tokens, "gcu.head", "/api/certifications?limit=1000")
    total = everything["total"]
    assert total == len(_records(everything)) > 5
    seen = []
    for offset in range(0, total, 4):
        page = _api(clients, tokens, "gcu.head", f"/api/certifications?limit=4&offset={offset}")
        assert page["total"] == total and page["limit"] == 4 and len(_records(page)) <= 4
        seen += _records(page)
    assert sorted(seen) == sorted(_records(everything))
    assert len(set(seen)) == total


def test_the_dashboard_lists_are_bounded_and_say_how_many_there_are(clients, tokens):
    body = _api(clients, tokens, "gcu.head", "/api/dashboard?limit=1")
    assert len(body["certification_gaps"]) <= 1 and len(body["overdue"]) <= 1 and len(body["escalated"]) <= 1
    assert body["totals"]["certification_gaps"] >= len(body["certification_gaps"])
    assert body["totals"]["certification_gaps"] == len(
        _api(clients, tokens, "gcu.head", "/api/dashboard?limit=1000")["certification_gaps"]
    )


def test_the_register_page_is_paged(clients):
    first = clients["gcu.head"].get("/certifications")
    assert first.status_code == 200 and "Certification register" in first.text
    assert clients["gcu.head"].get("/certifications?page=0").status_code == 422


def test_review_figures_counted_in_sql_match_a_count_of_the_rows(web_db):
    from sqlmodel import Session, select

    from models.tables import Review
    from store import reviews as review_store

    _settings, engine = web_db
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        figures = {f.team_id: f for f in insights.review_figures(session, None, now)}
        for review in session.exec(select(Review)):
            pending = review.state in insights.PENDING
            f = figures[review.team_id]
            assert f.in_review >= int(pending) and f.overdue >= int(review_store.is_overdue(review, now))
        reviews = list(session.exec(select(Review)))
    assert sum(f.in_review for f in figures.values()) == sum(r.state in insights.PENDING for r in reviews)
    assert sum(f.approved for f in figures.values()) == sum(r.state == "approved" for r in reviews)
    assert sum(f.returned for f in figures.values()) == sum(r.state == "returned" for r in reviews)


@pytest.mark.parametrize("threads", [1, 2])
def test_slow_reads_never_take_more_than_their_own_threads(app, threads):
    class _Request:
        def __init__(self, app):
            self.app = app

    original = app.state.settings
    app.state.heavy_reads = None
    app.state.settings = original.model_copy(update={"web_heavy_threads": threads})
    limiter = heavy_limiter(_Request(app))
    assert limiter.total_tokens == threads
    running, most = 0, 0

    def slow():
        nonlocal running, most
        running += 1
        most = max(most, running)
        import time

        time.sleep(0.05)
        running -= 1

    async def many():
        from web.heavy import run_heavy

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(run_heavy, _Request(app), slow)

    try:
        anyio.run(many)
    finally:
        app.state.heavy_reads, app.state.settings = None, original
    assert 1 <= most <= threads


def test_the_products_behind_a_figure_are_paged_and_say_how_many(clients, monkeypatch):
    """The list behind a dashboard figure was cut at 500 with no way to the rest: now a page at a
    time, "showing n of N", every product once."""
    import re

    from web.routes import pages_products

    monkeypatch.setattr(pages_products, "PRODUCTS_PAGE", 2)
    client = clients["gcu.head"]
    first = client.get("/products").text
    shown = re.search(r"Showing 1–2 of (\d+) products", first)
    assert shown, first
    total = int(shown.group(1))
    assert total > 2 and 'rel="next"' in first
    seen = []
    for page in range(1, -(-total // 2) + 1):
        text = client.get(f"/products?page={page}").text
        seen += re.findall(r'<tr data-product="([^"]+)"', text)
    assert len(seen) == len(set(seen)) == total
    assert client.get("/products?page=0").status_code == 422
    # Filters stay with the pages.
    overdue = client.get("/products?overdue=yes").text
    assert "overdue" in overdue and "page=" not in overdue.split('id="product-list"')[0]


def test_the_dashboard_lists_show_n_of_n_and_link_to_all_of_them(clients, monkeypatch):
    import re

    from web.routes import pages_misc

    monkeypatch.setattr(pages_misc, "DASHBOARD_LIST", 1)
    page = clients["gcu.head"].get("/dashboard").text
    gaps = int(re.search(r"Certification gaps \((\d+) (?:person|people)\)", page).group(1))
    assert gaps > 1
    assert f'Showing 1 of {gaps} · <a href="/certifications">all {gaps}' in page
    assert len(re.findall(r"<td><ul>", page.split('id="gap-h"')[1])) == 1
    overdue = int(re.search(r"Overdue reviews \((\d+)\)", page).group(1))
    if overdue > 1:
        assert f'Showing 1 of {overdue}, soonest due first · <a href="/products?overdue=yes">' in page
    listed = clients["gcu.head"].get("/products?escalated=yes")
    assert listed.status_code == 200 and "escalated" in listed.text


def test_the_gaps_are_paged_and_counted_by_the_database(clients, tokens):
    """/api/certifications: every person with gaps once across the pages, in order; the figures
    (per requirement and status, per team) count what the pages list."""
    everything = _api(clients, tokens, "gcu.head", "/api/certifications?limit=1000")
    people = everything["gaps"]
    assert everything["total_gaps"] == everything["gap_figures"]["people"] == len(people) > 3
    seen = []
    for offset in range(0, len(people) + 3, 3):
        page = _api(clients, tokens, "gcu.head", f"/api/certifications?limit=3&offset={offset}")
        assert page["total_gaps"] == len(people) and len(page["gaps"]) <= 3
        seen += page["gaps"]
    assert seen == people
    counted = Counter((gap["requirement"], gap["status"]) for person in people for gap in person["gaps"])
    figures = everything["gap_figures"]
    assert {(f["requirement"], f["status"]): f["people"] for f in figures["by_requirement"]} == counted
    per_team = Counter(team for person in people for team in person["teams"])
    assert {t["team_id"]: t["people"] for t in figures["by_team"]} == per_team
    dashboard = _api(clients, tokens, "gcu.head", "/api/dashboard?limit=2")
    assert dashboard["certification_gap_figures"] == figures
    assert dashboard["certification_gaps"] == people[:2]


def test_the_pages_show_the_gap_figures(clients):
    for path in ("/dashboard", "/certifications"):
        page = clients["gcu.head"].get(path)
        assert page.status_code == 200
        assert "People with gaps, by requirement and status" in page.text, path
