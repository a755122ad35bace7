"""The pool pings a PostgreSQL connection only when it sat idle (store.db.PING_AFTER_IDLE_SECONDS):
one just given back is handed out again as it is; an idle one that died is replaced before anyone
uses it; a death inside the window fails that statement as a disconnection (a 503 in the web app),
and the next checkout has a working connection."""

import os

import psycopg
import pytest
import sqlalchemy as sa

from store import db as store_db
from store.db import make_engine
from tests.dbutil import POSTGRES_ENV, fresh_database
from web.outage import is_database_outage


def _pings(engine: sa.Engine, monkeypatch) -> list[object]:
    seen: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: seen.append(connection) or ping(connection))
    return seen


def test_a_connection_given_back_within_the_window_is_not_pinged_and_an_idle_one_is(tmp_path, monkeypatch):
    """The window's logic, on SQLite (where make_engine installs no pings: a file does not go away)."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    store_db._ping_unless_just_used(engine)
    pings = _pings(engine, monkeypatch)
    try:
        with engine.connect() as connection:  # a new connection: never pinged
            connection.execute(sa.text("SELECT 1"))
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        assert pings == []
        monkeypatch.setattr(store_db, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        assert len(pings) == 1
    finally:
        engine.dispose()


@pytest.fixture
def postgres(tmp_path):
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"{POSTGRES_ENV} is not set")
    with fresh_database("postgres", tmp_path) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            yield engine
        finally:
            engine.dispose()


def _backend(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(engine: sa.Engine, pid: int) -> None:
    admin = sa.make_url(os.environ[POSTGRES_ENV]).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        assert connection.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


def test_an_idle_connection_that_died_is_replaced_before_use(postgres, monkeypatch):
    first = _backend(postgres)
    _terminate(postgres, first)
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection has sat idle
    assert _backend(postgres) != first


def test_a_connection_that_died_inside_the_window_fails_one_statement_as_an_outage(postgres, monkeypatch):
    monkeypatch.setattr(store_db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # however slow this machine is
    pings = _pings(postgres, monkeypatch)
    first = _backend(postgres)
    _terminate(postgres, first)
    with pytest.raises(sa.exc.DBAPIError) as failed, postgres.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    assert pings == [] and is_database_outage(failed.value)
    assert _backend(postgres) != first
