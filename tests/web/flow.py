"""Shared set-up for the tests that run the real review workflow behind the web app: a fresh
migrated database with the demo register and accounts, a worker on its own task queue, and a demo
product (S1, Heron's investigation plan) under a unique id."""

import asyncio
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from sqlmodel import Session

from models.tables import Review
from service.demo import DEMO_DIR, import_demo_roster
from settings import Settings
from store.accounts import seed_demo_accounts
from store.db import make_engine, migrate

S1 = DEMO_DIR / "products" / "S1-IP-heron.md"


def s1_text(product_id: str) -> str:
    return S1.read_text(encoding="utf-8").replace("IP-HERON-2025-02", product_id)


def s1_revised(product_id: str) -> str:
    """Version 2: the team drops the term 'bush wives' (LANG-03) and bumps the version label."""
    text = s1_text(product_id).replace('version: "0.4"', 'version: "0.5"')
    return text.replace("so-called bush\nwives of", "victims of forced marriage to").replace(
        "bush wives", "forced marriage victims"
    )


def new_product_id() -> str:
    return f"IP-WEB-{uuid.uuid4().hex[:8].upper()}"


@asynccontextmanager
async def review_system(tmp_path: Path, env, database_url: str | None = None, roster: Path | None = None):
    """(settings, engine, client) with a worker polling a task queue of its own.

    `database_url`: an already migrated database (tests.dbutil.fresh_database) instead of a new
    SQLite file; `roster`: a register to import instead of the demo's."""
    from worker import build_worker

    settings = Settings(
        environment="development",
        database_url=database_url or f"sqlite:///{tmp_path / 'flow.db'}",
        var_dir=tmp_path,
        secret_key="test-secret-key-for-web-flow",
        task_queue=f"web-{uuid.uuid4().hex[:8]}",
    )
    if database_url is None:
        migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    if roster is None:
        import_demo_roster(engine)
    else:
        import_demo_roster(engine, roster)
    seed_demo_accounts(db_engine=engine)
    try:
        async with build_worker(env.client, settings, task_queue=settings.task_queue):
            yield settings, engine, env.client
    finally:
        engine.dispose()  # a PostgreSQL test database is dropped after this


async def wait_for_state(engine, product_id: str, *states: str, timeout: float = 20.0) -> Review:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with Session(engine) as session:
            from store.reviews import get_review

            review = get_review(session=session, product_id=product_id)
            if review is not None and review.state in states:
                return review
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{product_id} did not reach {states}; it is {review.state if review else None}")
        await asyncio.sleep(0.1)
