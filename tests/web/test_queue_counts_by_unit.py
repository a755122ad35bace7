"""Every count a queue shows is the number of reviews its link opens, for the unit that reads it
(issue 16): the GCU's counts leave out the interview records only the SPU reviews, an SPU officer's
count only interview records; on the queue page, the reviewer's worklist and the API, on SQLite and
PostgreSQL."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.enums import ReviewState
from models.messages import ReviewWorkflowState
from models.tables import Product
from service.demo import import_demo_roster
from service.demo_spu import seed_spu_accounts
from store.accounts import seed_demo_accounts
from store.db import make_engine
from store.products import create_version
from store.reviews import upsert_review
from tests.dbutil import database_kinds, fresh_database
from tests.web.conftest import make_settings, sign_in
from web.app import create_app

# (type, team, state, how many): the GCU's and the SPU's reviews side by side in the same teams.
# Those in review or escalated are the signed-in GCU reviewer's (GX-02) or SPU officer's (SP-01),
# except VELDE's: more than a worklist page for another GCU reviewer (GX-03).
VELDE = 57
REVIEWS = [
    ("IP", "T-HERON", ReviewState.QUEUED, 3),
    ("CH", "T-KESTREL", ReviewState.QUEUED, 1),
    ("IP", "T-HERON", ReviewState.IN_REVIEW, 2),
    ("IP", "T-OSPREY", ReviewState.RETURNED, 1),
    ("IR", "T-HERON", ReviewState.QUEUED, 4),
    ("IR", "T-KESTREL", ReviewState.IN_REVIEW, 2),
    ("IR", "T-OSPREY", ReviewState.ESCALATED, 1),
    ("IR", "T-HERON", ReviewState.APPROVED, 1),
    ("CH", "T-OSPREY", ReviewState.IN_REVIEW, VELDE),
]
AUTHORS = {"T-HERON": "HE-01", "T-KESTREL": "KE-03", "T-OSPREY": "OS-01"}
GCU_TYPES, SPU_TYPES = {"IP", "CH"}, {"IR"}


def seed_units(engine) -> None:
    """The register, the demo accounts (the SPU officer's too) and REVIEWS, written as rows."""
    import_demo_roster(engine)
    seed_demo_accounts(db_engine=engine)
    seed_spu_accounts(db_engine=engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        n = 0
        for kind, team, state, count in REVIEWS:
            for _ in range(count):
                n += 1
                pid = f"CNT-{kind}-{n:02d}"
                version = create_version(
                    session=session,
                    product_id=pid,
                    product_type=kind,
                    team_id=team,
                    situation="Situation in Velmora",
                    author_id=AUTHORS[team],
                    title=f"{kind} {n}",
                    version_label="1",
                    filename=f"{pid}.md",
                    media_type="text/markdown",
                    content=b"---\n---\n",
                    front_matter={"product": {"id": pid, "type": kind}},
                    submitted_by=AUTHORS[team],
                )
                assignee = None
                if state in (ReviewState.IN_REVIEW, ReviewState.ESCALATED):
                    assignee = "SP-01" if kind in SPU_TYPES else "GX-03" if count == VELDE else "GX-02"
                upsert_review(
                    session=session,
                    product=session.get(Product, pid),
                    workflow_id=f"product-review-{pid}",
                    state_after=ReviewWorkflowState(
                        state=state,
                        version_id=version.id,
                        version_no=1,
                        version_label="1",
                        title=f"{kind} {n}",
                        assignee=assignee,
                        due_at=now + timedelta(days=n),
                    ),
                    at=now,
                )
        session.commit()


@pytest.fixture(scope="module", params=database_kinds())
def units_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"counts-{request.param}")
    with fresh_database(request.param, tmp) as url:
        settings = make_settings(tmp, database_url=url)
        engine = make_engine(url)
        seed_units(engine)
        app = create_app(settings, db_engine=engine)
        try:
            yield app
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def signed_in(units_app):
    made = {}
    for username in ("gcu.albrecht", "spu.esquerra"):
        client = TestClient(units_app)
        assert sign_in(client, username).status_code == 303
        made[username] = client
    yield made
    for client in made.values():
        client.close()


def _expected(types: set[str], state: ReviewState) -> int:
    return sum(count for kind, _team, s, count in REVIEWS if kind in types and s == state)


def _count_links(page: str) -> dict[str, tuple[str, int]]:
    """Each count the page shows: state -> (the link, the number)."""
    found = re.findall(r'<a href="(/queue\?[^"]*)"><span class="badge state-(\w+)">[^<]*</span> (\d+)</a>', page)
    return {state: (html.unescape(href), int(n)) for href, state, n in found}


def _listed(client: TestClient, href: str) -> list[str]:
    """The review ids a queue link lists, every page followed."""
    ids: list[str] = []
    while href:
        page = client.get(href)
        assert page.status_code == 200
        ids += re.findall(r'<td class="nowrap"><a href="/products/([^"/]+)/review">', page.text)
        following = re.search(r'<a rel="next" href="([^"]+)"', page.text)
        href = html.unescape(following.group(1)) if following else ""
    return ids


@pytest.mark.parametrize(("username", "types"), [("gcu.albrecht", GCU_TYPES), ("spu.esquerra", SPU_TYPES)])
def test_each_count_on_the_queue_is_the_list_its_link_opens(signed_in, username, types):
    client = signed_in[username]
    counts = _count_links(client.get("/queue").text)
    assert set(counts) == {str(s) for s in ReviewState}
    for state, (href, number) in counts.items():
        assert number == _expected(types, ReviewState(state)), (username, state)
        listed = _listed(client, href + "&state=all" if "state=" not in href else href)
        assert len(listed) == number, (username, state, href)
        assert {pid.split("-")[1] for pid in listed} <= types


@pytest.mark.parametrize(("username", "types"), [("gcu.albrecht", GCU_TYPES), ("spu.esquerra", SPU_TYPES)])
def test_counts_follow_the_queue_filters_and_keep_them_in_their_links(signed_in, username, types):
    client = signed_in[username]
    counts = _count_links(client.get("/queue?team=T-HERON").text)
    for state, (href, number) in counts.items():
        assert "team=T-HERON" in href
        expected = sum(c for k, t, s, c in REVIEWS if k in types and t == "T-HERON" and s == state)
        assert number == len(_listed(client, href)) == expected, (username, state)


def test_a_type_outside_the_unit_is_not_counted_even_when_asked_for(signed_in):
    """An SPU officer asking for the GCU's plans gets the SPU's queue and its counts, as the list."""
    client = signed_in["spu.esquerra"]
    counts = _count_links(client.get("/queue?type=IP").text)
    assert counts["queued"][1] == _expected(SPU_TYPES, ReviewState.QUEUED)


@pytest.mark.parametrize(("username", "types"), [("gcu.albrecht", GCU_TYPES), ("spu.esquerra", SPU_TYPES)])
def test_the_worklist_counts_and_lists_only_the_units_reviews(signed_in, username, types):
    client = signed_in[username]
    page = client.get("/my-reviews").text
    counts = _count_links(page)
    assert set(counts) == {"queued", "escalated"}
    for state, (href, number) in counts.items():
        assert number == _expected(types, ReviewState(state)) == len(_listed(client, href)), (username, state)
    listed = re.findall(r'<td class="nowrap"><a href="/products/([^"/]+)/review">', page)
    assert listed and {pid.split("-")[1] for pid in listed} <= types
    mine = sum(
        c
        for k, _t, s, c in REVIEWS
        if k in types and c != VELDE and s in (ReviewState.IN_REVIEW, ReviewState.ESCALATED)
    )
    assert f"Assigned to me ({mine})" in page and 'id="mine-more"' not in page


def test_a_long_worklist_shows_a_page_says_how_many_and_links_them_all(units_app):
    """GX-03 holds more than a page: the worklist lists the 50 due soonest, counts them all, and
    links the queue's "assigned to me" view, which lists exactly those."""
    client = TestClient(units_app)
    assert sign_in(client, "gcu.velde").status_code == 303
    page = client.get("/my-reviews").text
    assert f"Assigned to me ({VELDE})" in page
    mine = page.split('id="waiting-h"')[0]
    assert len(re.findall(r'<td class="nowrap"><a href="/products/', mine)) == 50
    link = re.search(r'<p id="mine-more">[^<]*<a href="([^"]+)">all (\d+) assigned to you</a>', page)
    assert link and int(link.group(2)) == VELDE
    listed = _listed(client, html.unescape(link.group(1)))
    assert len(listed) == len(set(listed)) == VELDE
    assert {pid.split("-")[1] for pid in listed} == {"CH"}


@pytest.mark.parametrize(("username", "types"), [("gcu.albrecht", GCU_TYPES), ("spu.esquerra", SPU_TYPES)])
def test_the_api_counts_are_the_api_queue(units_app, username, types):
    from store.accounts import create_api_token, get_account

    with Session(units_app.state.db_engine) as session:
        _row, token = create_api_token(
            session=session, account=get_account(session=session, username=username), name="counts test"
        )
        session.commit()
    client = TestClient(units_app, headers={"Authorization": f"Bearer {token}"})
    counts = client.get("/api/queue/counts").json()["counts"]
    for state in ReviewState:
        listed = client.get("/api/queue", params={"state": str(state), "limit": 500}).json()
        assert counts[str(state)] == len(listed) == _expected(types, state), (username, state)
