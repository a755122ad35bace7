"""A database outage (the probe: every request got a plain-text `500 Internal Server Error`): the API
answers 503 with a short JSON body and Retry-After, a page a short HTML one, /healthz names the
database as down, and everything answers again once the database is back.

A real outage each time: on PostgreSQL the app reaches the server through a TCP proxy that the test
cuts (every connection reset, new ones refused); on SQLite the database's folder goes away and the
pooled connections are dropped, as after a restart with the volume missing."""

import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from service.demo import import_demo_roster
from settings import Settings
from store.db import make_engine
from tests.dbutil import database_kinds, fresh_database
from tests.faults.harness import TcpProxy, through_proxy
from web.deps import session_signer
from web.outage import DATABASE_UNAVAILABLE, is_database_outage


class Outage:
    """Cuts and restores the app's database, whichever kind it is."""

    def __init__(self, kind: str, url: str, folder: Path):
        self.kind, self.url, self.folder = kind, url, folder
        self.proxy: TcpProxy | None = None

    async def start(self) -> str:
        if self.kind == "sqlite":
            return self.url
        target = sa.make_url(self.url)
        self.proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        await self.proxy.start()
        return through_proxy(self.url, self.proxy)

    async def cut(self, engine: sa.Engine) -> None:
        if self.proxy is not None:
            await self.proxy.cut()
        else:
            self.folder.rename(self.folder.with_name(self.folder.name + ".gone"))
            engine.dispose()

    async def restore(self) -> None:
        if self.proxy is not None:
            await self.proxy.restore()
        else:
            self.folder.with_name(self.folder.name + ".gone").rename(self.folder)

    async def close(self) -> None:
        if self.proxy is not None:
            await self.proxy.close()


@pytest.fixture(params=database_kinds())
async def outage_app(request, tmp_path):
    from store.accounts import create_api_token, get_account, seed_demo_accounts
    from web.app import create_app

    folder = tmp_path / "data"
    folder.mkdir()
    with fresh_database(request.param, folder) as url:
        outage = Outage(request.param, url, folder)
        # Seeded directly: the proxy runs on this test's event loop, which these synchronous calls block.
        seeding = make_engine(url)
        import_demo_roster(seeding)
        seed_demo_accounts(db_engine=seeding)
        with Session(seeding) as session:
            _row, token = create_api_token(
                session=session, account=get_account(session=session, username="gcu.head"), name="t"
            )
            session.commit()
        seeding.dispose()
        app_url = await outage.start()
        engine = make_engine(app_url)
        settings = Settings(
            environment="development",
            database_url=app_url,
            var_dir=tmp_path,
            secret_key="outage-" + uuid.uuid4().hex,
            temporal_address="127.0.0.1:1",
        )
        app = create_app(settings, db_engine=engine)
        cookie = session_signer(settings).dumps("some-session-id")
        try:
            yield app, engine, outage, {"Authorization": f"Bearer {token}"}, {settings.session_cookie_name: cookie}
        finally:
            await outage.close()
            engine.dispose()


async def test_a_database_outage_is_a_503_that_says_so_and_health_names_the_database(outage_app):
    app, engine, outage, headers, cookies = outage_app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
        cookies=cookies,
    ) as client:
        assert (await client.get("/api/me", headers=headers)).status_code == 200
        healthy = await client.get("/healthz")
        assert healthy.status_code == 200 and healthy.json()["dependencies"]["database"] == {"ok": True}

        await outage.cut(engine)
        for path in ("/api/me", "/api/products", "/api/queue"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 503, (path, response.text)
            assert response.json() == {"detail": DATABASE_UNAVAILABLE}
            assert int(response.headers["retry-after"]) > 0
        page = await client.get("/queue")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert DATABASE_UNAVAILABLE in page.text and "retry-after" in page.headers
        health = await client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["ok"] is False and "database" in health.json()["down"]
        assert health.json()["dependencies"]["database"]["ok"] is False
        # Liveness stays apart: the web supervisor probes /livez and must not restart processes that
        # merely wait for the database.
        assert (await client.get("/livez")).status_code == 200

        await outage.restore()
        assert (await client.get("/api/me", headers=headers)).status_code == 200
        assert (await client.get("/healthz")).json()["dependencies"]["database"] == {"ok": True}


def test_health_names_temporal_when_it_is_down_while_pages_still_serve(tmp_path):
    from fastapi.testclient import TestClient

    from store.db import migrate
    from web.app import create_app

    url = f"sqlite:///{tmp_path / 'h.db'}"
    migrate(url)
    app = create_app(Settings(database_url=url, var_dir=tmp_path, temporal_address="127.0.0.1:1"))
    response = TestClient(app).get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["down"] == ["temporal"]
    assert response.json()["dependencies"]["temporal"]["ok"] is False


def test_a_database_defect_is_not_disguised_as_an_outage():
    import sqlite3

    syntax = sa.exc.OperationalError("SELEC 1", {}, sqlite3.OperationalError('near "SELEC": syntax error'))
    locked = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert not is_database_outage(syntax)
    assert is_database_outage(locked)
    assert not is_database_outage(sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
