"""Engines, sessions and migrations for SQLite (development, tests) and PostgreSQL (production)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

T = TypeVar("T")

STORE_DIR = Path(__file__).resolve().parent
SQLITE_BUSY_TIMEOUT_SECONDS = 30
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def normalize_url(url: str) -> str:
    """PostgreSQL always goes through psycopg 3; `postgres://` and `postgresql://` are accepted."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs) -> sa.Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            # Activities run in worker threads; a connection is never shared by two at a time.
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            **kwargs,
        )
        in_memory = sa.make_url(url).database in (None, "", ":memory:")
        sa.event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
        return engine
    # A database that does not answer (a dropped route, not a refusal) fails a connection attempt
    # after this long instead of holding the request for the operating system's TCP timeout.
    connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS, **kwargs.pop("connect_args", {})}
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    _ping_unless_just_used(engine)
    return engine


# A pooled connection that came back this recently is handed out again without a ping (HikariCP's
# `aliveBypassWindowMs`, 500 ms, does the same). Pinging at every checkout (`pool_pre_ping`) cost a
# round trip per checkout: two per page and three per reviewer action, almost always on a
# connection used a few milliseconds before. A database that went away inside the window fails
# the statement instead, which invalidates the pool as a failed ping would (a 503 for that page).
PING_AFTER_IDLE_SECONDS = 0.5
_RETURNED_AT = "gcu_returned_at"


def _ping_unless_just_used(engine: sa.Engine) -> None:
    dialect = engine.dialect

    @sa.event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record) -> None:
        if dbapi_connection is not None:  # None: invalidated, its record reconnects on next use
            record.info[_RETURNED_AT] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def ping(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # never returned: just connected (as pool_pre_ping, a fresh connection is not pinged)
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                # As pool_pre_ping: every pooled connection is suspect; this one reconnects now.
                raise sa.exc.InvalidatePoolError() from exc
            raise


def _sqlite_pragmas(*, wal: bool):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if wal:
                # Readers (web pages) do not block the single writer (activities), and vice versa.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def alembic_config() -> Config:
    config = Config(str(STORE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(STORE_DIR / "migrations"))
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """`alembic upgrade head` on `database_url` (creating an SQLite file's folder if needed)."""
    url = normalize_url(database_url)
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
        Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Batch migrations rebuild tables; foreign keys must not cascade while they do.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


class SchemaNotReady(Exception):
    """The database's schema is missing or older than this code, and will not be migrated here."""


def schema_revisions(database_url: str) -> tuple[set[str], set[str]]:
    """(the revisions the database is at, the heads of our migrations). An empty first set: never
    migrated (no alembic_version table, or an empty one)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    sa_url = sa.make_url(normalize_url(database_url))
    if (
        sa_url.get_backend_name() == "sqlite"
        and sa_url.database not in (None, "", ":memory:")
        and not Path(sa_url.database).exists()
    ):
        return set(), heads  # connecting would create an empty file (or fail on a missing folder)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    return current, heads


def ensure_schema(database_url: str, *, migrate_sqlite: bool) -> None:
    """Before a command uses the database: a development SQLite database is migrated on first use
    (as `gcu-review up` does); any other database must have been migrated by its operator, and
    SchemaNotReady says so in one line. A database ahead of this code (a newer release migrated
    it) is left alone."""
    from alembic.script import ScriptDirectory

    current, heads = schema_revisions(database_url)
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current == heads or (current and not current <= known):
        return
    if migrate_sqlite and sa.make_url(normalize_url(database_url)).get_backend_name() == "sqlite":
        migrate(database_url)
        return
    shown = sa.make_url(normalize_url(database_url)).render_as_string(hide_password=True)
    if not current:
        raise SchemaNotReady(f"the database {shown} has no schema yet: run `gcu-review db upgrade` first")
    raise SchemaNotReady(
        f"the database {shown} is at revision {', '.join(sorted(current))}, this version needs "
        f"{', '.join(sorted(heads))}: run `gcu-review db upgrade` first"
    )


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_existing(session: Session, model: type[T], key: object, **options: Any) -> T:
    """`session.get` for a row the caller's own earlier step wrote or read: its absence is a bug or a
    concurrent deletion, so it fails loudly here instead of as an AttributeError on None later."""
    row = session.get(model, key, **options)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} does not exist")
    return row


def execute_dml(session: Session, statement: sa.Executable) -> sa.CursorResult:
    """Run an INSERT/UPDATE/DELETE through the session; its result is a CursorResult (rowcount),
    which Session.execute's signature does not say."""
    return cast(sa.CursorResult, session.execute(statement))
