"""A team submits only its own products: the submitter and the product's author must both be team staff
of product.team (the review policy's SUBMIT and RESUBMIT rules). Heron's leader uploading a product
whose front matter says `team: T-KESTREL` is refused with 403 and nothing is stored: through the web
form, POST /api/products and a resubmission (the CLI: tests/e2e/test_cli_lifecycle.py). On SQLite,
and on PostgreSQL when TEST_POSTGRES_URL is set."""

import uuid

import httpx
import pytest
from sqlmodel import Session, select

from models.tables import Product, ProductVersion
from service.demo import import_demo_roster
from settings import Settings
from store.accounts import create_api_token, demo_password, get_account, seed_demo_accounts
from store.db import make_engine
from tests.dbutil import database_kinds, fresh_database
from tests.web.conftest import csrf_from
from tests.web.flow import new_product_id, s1_revised, s1_text, wait_for_state
from web.app import create_app
from worker import build_worker


@pytest.fixture(params=database_kinds())
async def system(request, tmp_path, temporal_env):
    """(app, engine) on a fresh database with the demo register and accounts, and a worker."""
    with fresh_database(request.param, tmp_path) as url:
        settings = Settings(
            environment="development",
            database_url=url,
            var_dir=tmp_path,
            secret_key="test-secret-key-for-cross-team",
            task_queue=f"xteam-{uuid.uuid4().hex[:8]}",
        )
        engine = make_engine(url)
        import_demo_roster(engine)
        seed_demo_accounts(db_engine=engine)
        try:
            async with build_worker(temporal_env.client, settings, task_queue=settings.task_queue):
                yield create_app(settings, db_engine=engine, temporal_client=temporal_env.client), engine
        finally:
            engine.dispose()


def product_text(pid: str, *, team: str = "T-HERON", author: str = "HE-01", revised: bool = False) -> str:
    text = s1_revised(pid) if revised else s1_text(pid)
    return text.replace("  team: T-HERON", f"  team: {team}", 1).replace("  author: HE-01", f"  author: {author}", 1)


def upload(pid: str, text: str) -> dict:
    return {"file": (f"{pid}.md", text.encode(), "text/markdown")}


async def browser(app, username: str) -> httpx.AsyncClient:
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


def api(app, engine, username: str) -> httpx.AsyncClient:
    with Session(engine) as session:
        token = create_api_token(session=session, account=get_account(session=session, username=username), name="t")[1]
        session.commit()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


def stored(engine, pid: str) -> tuple[Product | None, int]:
    with Session(engine) as session:
        versions = session.exec(select(ProductVersion).where(ProductVersion.product_id == pid)).all()
        return session.get(Product, pid), len(versions)


INTO_KESTREL = "HE-01 may not submit this product: only the staff of team T-KESTREL may. Nothing was stored."


async def test_a_heron_leader_cannot_submit_a_kestrel_product_through_the_form(system):
    app, engine = system
    pid = new_product_id()
    heron = await browser(app, "heron.lead")
    token = csrf_from((await heron.get("/products/new")).text)
    response = await heron.post(
        "/products", data={"csrf_token": token}, files=upload(pid, product_text(pid, team="T-KESTREL"))
    )
    await heron.aclose()
    assert response.status_code == 403
    assert INTO_KESTREL in response.text
    assert stored(engine, pid) == (None, 0)


async def test_a_heron_leader_cannot_submit_a_kestrel_product_through_the_api(system):
    app, engine = system
    pid = new_product_id()
    async with api(app, engine, "heron.lead") as heron:
        response = await heron.post("/api/products", files=upload(pid, product_text(pid, team="T-KESTREL")))
    assert response.status_code == 403
    assert response.json()["detail"] == INTO_KESTREL
    assert stored(engine, pid) == (None, 0)


async def test_the_author_must_be_team_staff_of_the_product_team_too(system):
    app, engine = system
    pid = new_product_id()
    async with api(app, engine, "heron.lead") as heron:
        response = await heron.post("/api/products", files=upload(pid, product_text(pid, author="KE-01")))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "The author KE-01 is not on the staff of team T-HERON: a product's author must be team staff of the team it "
        "is submitted for. Nothing was stored."
    )
    assert stored(engine, pid) == (None, 0)


async def test_a_resubmission_naming_an_author_of_another_team_is_refused_and_stores_nothing(system):
    app, engine = system
    pid = new_product_id()
    async with api(app, engine, "heron.lead") as heron, api(app, engine, "gcu.albrecht") as reviewer:
        response = await heron.post("/api/products", files=upload(pid, product_text(pid)))
        assert response.status_code == 201, response.text
        await wait_for_state(engine, pid, "queued")
        assert (await reviewer.post(f"/api/products/{pid}/claim")).status_code == 200
        returned = await reviewer.post(
            f"/api/products/{pid}/decision", json={"decision": "return", "reason": "Revise."}
        )
        assert returned.status_code == 200, returned.text
        await wait_for_state(engine, pid, "returned")

        refused = await heron.post(
            f"/api/products/{pid}/resubmit", files=upload(pid, product_text(pid, author="KE-01", revised=True))
        )
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("The author KE-01 is not on the staff of team T-HERON")
    page = await browser(app, "heron.lead")
    token = csrf_from((await page.get(f"/products/{pid}/resubmit")).text)
    form = await page.post(
        f"/products/{pid}/resubmit",
        data={"csrf_token": token},
        files=upload(pid, product_text(pid, author="KE-01", revised=True)),
    )
    await page.aclose()
    assert form.status_code == 403 and "The author KE-01 is not on the staff of team T-HERON" in form.text
    product, versions = stored(engine, pid)
    assert product is not None and product.current_version_no == 1 and versions == 1
