"""Databases for the data-layer and activity tests: SQLite always, PostgreSQL too when
TEST_POSTGRES_URL is set. Every database is built by the migrations (store.db.migrate), exactly as
in production. Import the fixtures into a conftest: `from tests.dbutil import db_url, engine, fresh_engine`.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from store.db import make_engine, migrate, normalize_url

POSTGRES_ENV = "TEST_POSTGRES_URL"


def database_kinds() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def _libpq_url(url: str) -> str:
    return sa.make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A new, migrated, empty database; dropped (PostgreSQL) when the block ends."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_dir / f'gcu-{uuid.uuid4().hex[:8]}.db'}"
        migrate(url)
        yield url
        return
    admin_url = _libpq_url(os.environ[POSTGRES_ENV])
    name = f"gcu_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = sa.make_url(normalize_url(os.environ[POSTGRES_ENV])).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=database_kinds())
def db_url(request, tmp_path_factory) -> Iterator[str]:
    """One migrated database per kind for the whole session: tests use unique ids, never cleanup."""
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture(scope="session")
def engine(db_url) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=database_kinds())
def fresh_engine(request, tmp_path) -> Iterator[sa.Engine]:
    """A database of its own, for tests that tamper with global state (the audit chain)."""
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def uid(prefix: str = "X") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
