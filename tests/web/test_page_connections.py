"""What a page costs the connection pool (issue 13: on PostgreSQL each checkout was a ping, a BEGIN
and a ROLLBACK around a page's few statements): who is signed in, read in a thread hop of its own,
and the route, whose page header counts the unread notifications on the route's own connection."""

import asyncio
import re
import uuid

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from store.db import make_engine
from tests.web.conftest import _NoTemporal, sign_in
from web.app import create_app

UNREAD = re.compile(r'id="unread-count">(\d+)<')


@pytest.fixture(scope="module")
def unread(web_db) -> None:
    """The reviewer has an unread notification, so every page's header counts it."""
    from store.notifications import create_notification

    _settings, engine = web_db
    with Session(engine) as session:
        create_notification(
            session=session,
            recipient_id="GX-02",
            kind="assignment",
            subject="Assigned PC-1",
            body="b",
            product_id="PC-1",
            dedupe_key=f"page-connections-{uuid.uuid4().hex}",
        )
        session.commit()


@pytest.mark.parametrize("path", ["/queue", "/my-reviews"])
def test_a_page_checks_out_one_connection_for_who_is_signed_in_and_one_for_the_route(web_db, unread, path):
    settings, _engine = web_db
    engine = make_engine(settings.database_url)
    checkouts: list[int] = []
    sa.event.listen(engine, "checkout", lambda _dbapi, record, _proxy: checkouts.append(id(record)))
    try:
        with TestClient(create_app(settings, db_engine=engine, temporal_client=_NoTemporal())) as client:
            assert sign_in(client, "gcu.albrecht").status_code == 303
            checkouts.clear()
            page = client.get(path)
    finally:
        engine.dispose()
    assert page.status_code == 200
    assert (match := UNREAD.search(page.text)) and int(match.group(1)) >= 1
    assert len(checkouts) == 2, checkouts


async def test_pages_with_their_unread_count_are_served_from_a_single_pooled_connection(web_db, unread):
    """With one connection and one route thread, 20 page requests at once. The header's count took
    a second connection while the route held its own: with one, every page waited out the pool."""
    import anyio.to_thread

    settings, _engine = web_db
    one_connection = make_engine(settings.database_url, pool_size=1, max_overflow=0, pool_timeout=5)
    app = create_app(settings, db_engine=one_connection, temporal_client=_NoTemporal())
    with TestClient(app) as signing_in:
        assert sign_in(signing_in, "gcu.albrecht").status_code == 303
        cookies = dict(signing_in.cookies.items())
    anyio.to_thread.current_default_thread_limiter().total_tokens = 1
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=cookies
        ) as client:
            paths = ["/queue", "/my-reviews"] * 10
            pages = await asyncio.wait_for(asyncio.gather(*(client.get(p) for p in paths)), 60)
    finally:
        one_connection.dispose()
    assert [p.status_code for p in pages] == [200] * 20
    assert all(UNREAD.search(p.text) for p in pages)
