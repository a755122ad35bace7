"""deploy/postgres/init-roles.sh and deploy/backup.sh, run for real against the test PostgreSQL.

The roles script must leave the application role able to do its work and unable to tamper with the
audit trail: it is not the owner, so it cannot disable the append-only triggers, and it has no
TRUNCATE (which bypasses row triggers). Each run uses its own role and database names."""

import os
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from models.tables import utcnow
from store.audit import append_event, verify_chain
from store.db import make_engine, migrate, normalize_url, session_scope
from tests.dbutil import POSTGRES_ENV

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INIT_ROLES = PROJECT_ROOT / "deploy/postgres/init-roles.sh"
BACKUP = PROJECT_ROOT / "deploy/backup.sh"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set"),
    pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed"),
]


def _admin() -> sa.URL:
    return sa.make_url(normalize_url(os.environ[POSTGRES_ENV]))


def _libpq_env(url: sa.URL, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432), **extra}
    if url.password:
        env["PGPASSWORD"] = url.password
    return env


@pytest.fixture(scope="module")
def roles(tmp_path_factory):
    """The roles script run once with unique names; yields (owner URL, app URL, names)."""
    admin = _admin()
    tag = uuid.uuid4().hex[:8]
    names = {
        "owner": f"gcu_owner_{tag}",
        "app": f"gcu_app_{tag}",
        "temporal": f"temporal_{tag}",
        "db": f"gcu_review_{tag}",
    }
    env = _libpq_env(
        admin,
        POSTGRES_USER=admin.username or "postgres",
        GCU_OWNER_ROLE=names["owner"],
        GCU_APP_ROLE=names["app"],
        TEMPORAL_ROLE=names["temporal"],
        GCU_DB=names["db"],
        GCU_OWNER_DB_PASSWORD="owner-pw-" + tag,
        GCU_APP_DB_PASSWORD="app-pw-" + tag,
        TEMPORAL_DB_PASSWORD="t-pw-" + tag,
    )
    done = subprocess.run(["sh", str(INIT_ROLES)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    base = admin.set(drivername="postgresql+psycopg", database=names["db"])
    owner = base.set(username=names["owner"], password="owner-pw-" + tag)
    app = base.set(username=names["app"], password="app-pw-" + tag)
    try:
        yield owner, app, names
    finally:
        libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
            for role in ("app", "owner", "temporal"):
                c.execute(f'DROP ROLE IF EXISTS "{names[role]}"')


@pytest.fixture(scope="module")
def migrated(roles):
    owner, app, names = roles
    migrate(owner.render_as_string(hide_password=False))
    engine = make_engine(app.render_as_string(hide_password=False))
    yield engine, names
    engine.dispose()


def _refused(engine, sql: str) -> str:
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as c:
        c.exec_driver_sql(sql)
    return str(caught.value.orig)


def test_the_app_role_writes_the_audit_trail_through_the_data_layer(migrated):
    engine, _ = migrated
    with session_scope(engine) as session:
        for seq in (1, 2):
            append_event(
                session=session,
                workflow_id=f"wf-{uuid.uuid4().hex[:6]}",
                transition_seq=seq,
                action="claim",
                actor_id="GX-02",
                from_state="queued",
                to_state="in_review",
                at=utcnow() + timedelta(seconds=seq),
            )
    with session_scope(engine) as session:
        report = verify_chain(session=session)
    assert report.ok and report.checked >= 2, report.problem


def test_the_app_role_may_use_every_table_the_migrations_made(migrated):
    engine, names = migrated
    with engine.connect() as c:
        tables = [t for t in sa.inspect(c).get_table_names() if t != "alembic_version"]
        missing = [
            (t, p)
            for t in tables
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE")
            if not c.execute(
                sa.text("SELECT has_table_privilege(:r, :t, :p)"), {"r": names["app"], "t": t, "p": p}
            ).scalar()
        ]
    assert len(tables) > 10
    assert missing == []


def test_the_triggers_that_keep_counts_and_the_register_revision_work_for_the_app_role(migrated):
    """They run with the writer's rights: the app role's writes must be able to fire them."""
    engine, _ = migrated
    team = f"T-{uuid.uuid4().hex[:6]}"
    with engine.begin() as c:
        before = c.exec_driver_sql("SELECT revision FROM register_revision").scalar_one()
        c.exec_driver_sql(f"INSERT INTO team (id, name, situation, active) VALUES ('{team}', 'Team', 'S', true)")
        c.exec_driver_sql(
            f"INSERT INTO product (id, type, team_id, situation, author_id, title, current_version_no, "
            f"created_at) VALUES ('P-{team}', 'IP', '{team}', 'S', 'A-01', 't', 1, now())"
        )
        c.exec_driver_sql(
            f"INSERT INTO review (product_id, workflow_id, state, priority, escalation_level, version_no, "
            f"team_id, product_type, situation, updated_at) VALUES "
            f"('P-{team}', 'wf', 'queued', 0, 0, 1, '{team}', 'IP', 'S', now())"
        )
        c.exec_driver_sql(f"UPDATE review SET state = 'in_review' WHERE product_id = 'P-{team}'")
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT revision FROM register_revision").scalar_one() != before
        counts = dict(
            c.exec_driver_sql(f"SELECT state, reviews FROM review_state_count WHERE team_id = '{team}'").all()
        )
    assert counts == {"queued": 0, "in_review": 1}


def test_the_app_role_cannot_edit_or_delete_audit_events(migrated):
    engine, _ = migrated
    message = _refused(engine, "UPDATE audit_event SET reason = 'nothing happened'")
    assert "audit" in message.lower()
    assert "audit" in _refused(engine, "DELETE FROM audit_event").lower()


@pytest.mark.parametrize(
    "attack",
    [
        "ALTER TABLE audit_event DISABLE TRIGGER ALL",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "DROP TRIGGER audit_event_append_only ON audit_event",
        "TRUNCATE audit_event CASCADE",
        "DROP TABLE audit_event CASCADE",
        "CREATE TABLE sneaky (id int)",
    ],
)
def test_the_app_role_cannot_lift_the_triggers_or_change_the_schema(migrated, attack):
    engine, _ = migrated
    message = _refused(engine, attack)
    assert "must be owner" in message or "permission denied" in message, message


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_the_backup_script_dumps_verifies_and_checksums(roles, migrated, tmp_path):
    _, _, names = roles
    admin = _admin()
    env = _libpq_env(
        admin,
        PGUSER=admin.username or "postgres",
        BACKUP_DIR=str(tmp_path),
        BACKUP_DATABASES=names["db"],
        BACKUP_KEEP_DAYS="14",
    )
    old = tmp_path / "20000101T000000Z"
    old.mkdir()
    os.utime(old, (0, 0))
    done = subprocess.run(["sh", str(BACKUP)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    runs = sorted(p for p in tmp_path.iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("Z"), runs  # the expired run is gone, no .partial left
    dump = runs[0] / f"{names['db']}.dump"
    assert dump.stat().st_size > 0
    assert f"{names['db']}.dump" in (runs[0] / "SHA256SUMS").read_text()
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    assert "TABLE public audit_event" in listing.stdout


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_failed_backup_leaves_no_complete_looking_run(tmp_path):
    admin = _admin()
    env = _libpq_env(
        admin,
        PGUSER=admin.username or "postgres",
        BACKUP_DIR=str(tmp_path),
        BACKUP_DATABASES="no_such_db_" + uuid.uuid4().hex[:6],
    )
    done = subprocess.run(["sh", str(BACKUP)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".partial")] == []
