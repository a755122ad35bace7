"""The GCU head's rule-pack impact page runs `rules impact` in the worker, not in the HTTP request:
the page stores a run and starts RuleImpactWorkflow on a real dev server, the run's page shows its
progress, then the stored report; only the GCU head (and the administrator) may ask or look; a run
the worker cannot carry out ends as failed with the reason. SQLite and PostgreSQL."""

import asyncio
import datetime as dt
import re
import uuid

import httpx
import pytest
from sqlmodel import Session

from models.impact import RULE_IMPACT_WORKFLOW, RuleImpactInput
from service.demo_spu import TEAMS, interview_record
from store.accounts import demo_password
from store.db import session_scope
from store.impact_runs import create_run, get_run
from tests.dbutil import database_kinds, fresh_database
from tests.web.conftest import csrf_from
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state
from web.app import create_app
from workflows.impact import workflow_id


@pytest.fixture(params=database_kinds())
async def system(request, tmp_path, temporal_env):
    with fresh_database(request.param, tmp_path) as url:
        async with review_system(tmp_path, temporal_env, database_url=url) as (settings, engine, client):
            yield create_app(settings, db_engine=engine, temporal_client=client), engine, client, settings


async def signed_in(app, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": demo_password(username),
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
    )
    assert response.status_code == 303, response.text
    return client


async def wait_for_run(client: httpx.AsyncClient, run_id: int, timeout: float = 60.0) -> httpx.Response:
    """Poll the progress fragment as the page does until it asks for a reload (the run has ended)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        fragment = await client.get(f"/rules/impact/runs/{run_id}/progress")
        assert fragment.status_code == 200, fragment.text[:300]
        if fragment.headers.get("HX-Refresh") == "true":
            return fragment
        assert 'id="run-progress"' in fragment.text  # a progress bar while it runs
        assert asyncio.get_running_loop().time() < deadline, fragment.text
        await asyncio.sleep(0.2)


async def test_the_gcu_head_runs_a_pack_in_the_worker_and_reads_the_stored_report(system):
    app, engine, _client, _settings = system
    team, head = await signed_in(app, "heron.lead"), await signed_in(app, "gcu.head")
    # A plan both packs judge alike, and an interview record, a type pack 1.0 does not know.
    pid, ir = new_product_id(), f"IR-HERON-IMPACT-{uuid.uuid4().hex[:6].upper()}"
    record = interview_record(
        ir, TEAMS[0], kind=0, serial=1, recorded=dt.date(2026, 2, 2), submitted=dt.date(2026, 2, 5)
    )
    for product_id, text in ((pid, s1_text(pid)), (ir, record)):
        token = csrf_from((await team.get("/products/new")).text)
        response = await team.post(
            "/products",
            data={"csrf_token": token},
            files={"file": (f"{product_id}.md", text.encode(), "text/markdown")},
        )
        assert response.status_code == 303, response.text[:500]
        await wait_for_state(engine, product_id, "queued")

    page = await head.get("/rules/impact")
    assert page.status_code == 200 and 'id="start-impact"' in page.text and "No run yet." in page.text
    response = await head.post("/rules/impact", data={"csrf_token": csrf_from(page.text), "pack": "1.0"})
    assert response.status_code == 303
    run_url = response.headers["location"]
    run_id = int(re.fullmatch(r"/rules/impact/runs/(\d+)", run_url).group(1))

    final = await wait_for_run(head, run_id)
    assert 'data-state="done"' in final.text and "Done: 2 products checked." in final.text
    page = await head.get(run_url)
    assert "Pack 1.0.0 (contract 1.0) against 2.0.0" in page.text
    assert "2 products, 1 would change (1 of them in open reviews)." in page.text
    changed = re.search(r'id="products-h".*?</table>', page.text, re.S).group(0)
    assert f'<a href="/products/{ir}">{ir}</a>' in changed and "clean → format_error" in changed
    assert pid not in changed
    assert "hx-get" not in page.text  # an ended run's page does not poll
    with Session(engine) as session:
        run = get_run(session=session, run_id=run_id)
        assert (run.state, run.requested_by, run.products_done, run.products_total) == ("done", "gcu.head", 2, 2)

    listing = await head.get("/rules/impact")
    assert f'<a href="/rules/impact/runs/{run_id}">Run {run_id}</a>' in listing.text

    # Only packs of the pack folder, with the reason in plain words.
    response = await head.post("/rules/impact", data={"csrf_token": csrf_from(listing.text), "pack": "../etc"})
    assert response.status_code == 303 and response.headers["location"] == "/rules/impact"
    page = await head.get("/rules/impact")
    assert "There is no rule pack &#39;../etc&#39; in the pack folder." in page.text

    # Nobody else asks for a run or reads one.
    for username in ("gcu.albrecht", "dp.marsh", "heron.lead"):
        other = team if username == "heron.lead" else await signed_in(app, username)
        assert (await other.get("/rules/impact")).status_code == 403
        assert (await other.get(run_url)).status_code == 403
        assert (await other.get(f"{run_url}/progress")).status_code == 403
        token = csrf_from((await other.get("/account")).text)
        refused = await other.post("/rules/impact", data={"csrf_token": token, "pack": "1.0"})
        assert refused.status_code == 403 and "for the GCU head" in refused.text
        if other is not team:
            await other.aclose()
    assert (await head.get("/rules/impact/runs/999999")).status_code == 404
    await team.aclose()
    await head.aclose()


async def test_a_run_the_worker_cannot_carry_out_ends_failed_with_the_reason(system):
    app, engine, client, settings = system
    head = await signed_in(app, "gcu.head")
    with session_scope(engine) as session:
        run_id = create_run(
            session=session, candidate_version="9.9.9", active_version="2.0.0", requested_by="gcu.head"
        ).id
    await client.execute_workflow(
        RULE_IMPACT_WORKFLOW,
        RuleImpactInput(run_id=run_id),
        id=workflow_id(run_id, "test"),
        task_queue=settings.task_queue,
    )
    await wait_for_run(head, run_id, timeout=10)
    page = await head.get(f"/rules/impact/runs/{run_id}")
    assert re.search(r'data-state="failed"[^>]*>The run failed: The worker cannot load rule pack 9\.9\.9', page.text)
    await head.aclose()


class _Unreachable:
    async def start_workflow(self, *args, **kwargs):
        raise RuntimeError("connection refused: temporal:7233")


async def test_a_run_temporal_cannot_start_is_recorded_failed_in_plain_words(system):
    _app, engine, _client, settings = system
    app = create_app(settings, db_engine=engine, temporal_client=_Unreachable())
    head = await signed_in(app, "gcu.head")
    page = await head.get("/rules/impact")
    response = await head.post("/rules/impact", data={"csrf_token": csrf_from(page.text), "pack": "1.0"})
    assert response.status_code == 303
    page = await head.get(response.headers["location"])
    assert "The run could not be started; try again later." in page.text
    assert "The run failed: the worker could not be reached; the run was not started." in page.text
    assert "7233" not in page.text and "hx-get" not in page.text
    await head.aclose()


async def test_asking_again_while_a_run_of_the_pack_is_under_way_opens_that_run(system):
    """A double click, or a second person, joins the run under way instead of checking every
    product again; a run of another pack, or one that ended, does not stand in the way."""
    app, engine, _client, _settings = system
    head = await signed_in(app, "gcu.head")
    with session_scope(engine) as session:
        under_way = create_run(session=session, candidate_version="1.0.0", active_version="2.0.0", requested_by="x")
        other_pack = create_run(session=session, candidate_version="2.0.0", active_version="2.0.0", requested_by="x")
        under_way_id, other_id = under_way.id, other_pack.id
    page = await head.get("/rules/impact")
    response = await head.post("/rules/impact", data={"csrf_token": csrf_from(page.text), "pack": "1.0"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/rules/impact/runs/{under_way_id}"
    shown = await head.get(response.headers["location"])
    assert "A run of pack 1.0.0 is already under way (asked for by x): this is it." in shown.text
    with Session(engine) as session:
        assert get_run(session=session, run_id=other_id + 1) is None  # nothing new was stored
        fail = get_run(session=session, run_id=under_way_id)
        assert fail is not None
        fail.state = "failed"
        session.add(fail)
        session.commit()
    page = await head.get("/rules/impact")
    response = await head.post("/rules/impact", data={"csrf_token": csrf_from(page.text), "pack": "1.0"})
    assert response.headers["location"] not in (f"/rules/impact/runs/{under_way_id}", f"/rules/impact/runs/{other_id}")
    await head.aclose()
