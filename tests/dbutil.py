"""Databases for the data-layer and activity tests: SQLite always, PostgreSQL too when
TEST_POSTGRES_URL is set. Every database is built by the migrations (store.db.migrate), exactly as
in production. Import the fixtures into a conftest: `from tests.dbutil import db_url, engine, fresh_engine`.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
def fresh_database(kind: str, tmp_dir: Path, template: str | None = None, revision: str = "head") -> Iterator[str]:
    """A new, migrated, empty database; dropped (PostgreSQL) when the block ends.

    `template`: a database made by an enclosing fresh_database() to copy instead of migrating
    again (an SQLite file path or a PostgreSQL URL); copying is several times faster.
    `revision`: migrate only that far (for tests of a migration's upgrade)."""
    if kind == "sqlite":
        path = tmp_dir / f"gcu-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        if template:
            shutil.copyfile(sa.make_url(template).database, path)
        else:
            migrate(url, revision)
        yield url
        return
    admin_url = _libpq_url(os.environ[POSTGRES_ENV])
    name = f"gcu_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{sa.make_url(template).database}"' if template else ""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    url = sa.make_url(normalize_url(os.environ[POSTGRES_ENV])).set(database=name).render_as_string(hide_password=False)
    try:
        if not template:
            migrate(url, revision)
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


@pytest.fixture(scope="session")
def template_databases(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Migrated databases per kind, made on first use: "sqlite" and "postgres" stay unused (to be
    copied), "postgres-scratch" is emptied and reused by fresh_engine."""
    with ExitStack() as stack:
        made: dict[str, str] = {}

        class Templates(dict):
            def __missing__(self, kind: str) -> str:
                base = kind.removesuffix("-scratch")
                made[kind] = stack.enter_context(fresh_database(base, tmp_path_factory.mktemp(f"template-{base}")))
                self[kind] = made[kind]
                return made[kind]

        yield Templates()


@pytest.fixture(params=database_kinds())
def fresh_engine(request, tmp_path, template_databases) -> Iterator[sa.Engine]:
    """An empty database of its own, for tests that change global state (the audit chain, the
    register a roster import replaces). SQLite copies the migrated template file; PostgreSQL, where
    CREATE DATABASE costs half a second, reuses one scratch database emptied by TRUNCATE."""
    if request.param == "sqlite":
        with fresh_database("sqlite", tmp_path, template=template_databases["sqlite"]) as url:
            engine = make_engine(url)
            yield engine
            engine.dispose()
        return
    engine = make_engine(template_databases["postgres-scratch"])
    _empty_postgres(engine)
    yield engine
    engine.dispose()


def _empty_postgres(engine: sa.Engine) -> None:
    """Empty every table the migrations made (whoever's models they hold), then re-seed the rows the
    migrations insert: the audit chain head and the register revision."""
    from models.tables import AuditChainHead, RegisterRevision
    from store.audit import GENESIS_HASH

    tables = [t for t in sa.inspect(engine).get_table_names() if t != "alembic_version"]
    quoted = ", ".join(f'"{t}"' for t in tables)
    with engine.begin() as c:
        c.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        c.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER ALL")  # a tampering test may have disabled it
        c.execute(sa.insert(AuditChainHead.__table__).values(id=1, last_hash=GENESIS_HASH, length=0))
        # A new number, as the triggers would give: a cache built before the emptying must not match.
        c.execute(sa.insert(RegisterRevision.__table__).values(id=1, revision=uuid.uuid4().int >> 66))


def uid(prefix: str = "X") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
