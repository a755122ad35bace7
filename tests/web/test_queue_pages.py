"""The review queue is served a page at a time (a queue of thousands is never built and rendered
whole: bench/web_bench.py), keeping its filters from page to page; the API takes limit and offset."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from models.enums import ReviewState
from models.tables import Product, Review

TEAM = "T-HERON"


@pytest.fixture(scope="module")
def many_reviews(web_db):
    _settings, engine = web_db
    now = datetime.now(UTC)
    with Session(engine) as session:
        for i in range(120):
            pid = f"QPAGE-{i:03d}"
            session.add(
                Product(
                    id=pid,
                    type="IP",
                    team_id=TEAM,
                    situation="Situation in Velmora",
                    author_id="HE-01",
                    title=f"Plan {i}",
                    current_version_no=1,
                )
            )
            session.add(
                Review(
                    product_id=pid,
                    workflow_id=f"product-review-{pid}",
                    state=ReviewState.QUEUED,
                    due_at=now + timedelta(days=30, minutes=i),
                    team_id=TEAM,
                    product_type="IP",
                    situation="Situation in Velmora",
                    version_no=1,
                )
            )
        session.commit()


def _ids(html: str) -> list[str]:
    return sorted({part.split("/")[0] for part in html.split('href="/products/QPAGE-')[1:]})


def _rows(html: str) -> int:
    return len(re.findall(r'<td class="nowrap"><a href="/products/[^"]+/review">', html))


def test_the_queue_page_shows_fifty_reviews_and_links_the_next_page(clients, many_reviews):
    reviewer = clients["gcu.albrecht"]
    first = reviewer.get(f"/queue?team={TEAM}&state=queued")
    assert first.status_code == 200
    shown = _ids(first.text)
    assert _rows(first.text) == 50  # this team's other queued product is on the first page too
    assert f'href="/queue?team={TEAM}&amp;state=queued&amp;page=2"' in first.text
    assert 'rel="prev"' not in first.text
    pages = [reviewer.get(f"/queue?team={TEAM}&state=queued&page={n}").text for n in (2, 3)]
    assert 'rel="prev"' in pages[0] and 'rel="next"' in pages[0]
    assert 'rel="next"' not in pages[1]
    everything = shown + _ids(pages[0]) + _ids(pages[1])
    assert sorted(everything) == [f"{i:03d}" for i in range(120)]


def test_the_api_queue_takes_limit_and_offset(app, tokens, many_reviews):
    from fastapi.testclient import TestClient

    with TestClient(app) as api:
        headers = {"Authorization": f"Bearer {tokens['gcu.albrecht']}"}
        everything = api.get(f"/api/queue?team={TEAM}&state=queued&limit=500", headers=headers).json()
        window = api.get(f"/api/queue?team={TEAM}&state=queued&limit=10&offset=20", headers=headers).json()
        assert window == everything[20:30]
        assert api.get("/api/queue?limit=0", headers=headers).status_code == 422
