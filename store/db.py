"""Engines, sessions and migrations for SQLite (development, tests) and PostgreSQL (production)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session

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
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


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
