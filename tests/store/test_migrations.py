import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from models.tables import utcnow
from store.audit import append_event
from store.db import alembic_config, make_engine, migrate, normalize_url, session_scope
from tests.dbutil import uid

EXPECTED_TABLES = {
    "team",
    "team_member",
    "staff",
    "certification",
    "briefing",
    "product",
    "product_version",
    "review",
    "finding",
    "decision",
    "audit_event",
    "audit_chain_head",
    "notification",
    "review_state_count",
    "register_revision",
}


def test_migrations_create_every_table_at_head(engine):
    tables = set(sa.inspect(engine).get_table_names())
    assert tables >= EXPECTED_TABLES
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == head


def test_migrating_again_is_a_no_op(db_url, engine):
    migrate(db_url)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM audit_chain_head")).scalar_one() == 1


def test_postgres_urls_use_psycopg3():
    assert normalize_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    migrate(url)
    engine = make_engine(url)
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET reason = 'rewritten' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"],
)
def test_the_database_refuses_to_change_audit_events(engine, statement):
    with session_scope(engine) as session:
        event = append_event(session=session, workflow_id=uid("wf"), transition_seq=1, action="submit", at=utcnow())
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
        c.execute(sa.text(statement), {"id": event.id})
