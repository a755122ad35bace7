"""A command on a database that was never migrated: a development SQLite database migrates itself
on first use (as `gcu-review up` does); PostgreSQL answers one line naming `gcu-review db upgrade`
with exit code 2, and no traceback. Run through the real CLI, as an operator would."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from store.db import make_engine, schema_revisions
from tests.dbutil import POSTGRES_ENV, fresh_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROSTER = PROJECT_ROOT / "demo" / "roster.yaml"


def _cli(
    *args: str, database_url: str, tmp_path: Path, environment: str = "development"
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path),
        "ENVIRONMENT": environment,
        "SECRET_KEY": "kQ7vX2pLr9TzH4bN6yJc8dFs1gUe5aWm-schema-test",
        "TEMPORAL_PAYLOAD_KEYS": "t:" + "A" * 43 + "=",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _staff_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM staff")).scalar_one()
    finally:
        engine.dispose()


def test_a_development_sqlite_database_migrates_itself_on_first_use(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'gcu.db'}"
    done = _cli("roster", "import", str(ROSTER), database_url=url, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no such table" not in done.stderr and "Traceback" not in done.stderr
    current, heads = schema_revisions(url)
    assert current == heads
    assert _staff_count(url) > 0


def test_an_outdated_development_sqlite_database_is_brought_to_head(tmp_path):
    with fresh_database("sqlite", tmp_path, revision="0008c") as url:
        done = _cli("audit", "verify", database_url=url, tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        current, heads = schema_revisions(url)
        assert current == heads


def test_a_production_sqlite_database_is_not_migrated_behind_the_operators_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'gcu.db'}"
    done = _cli("roster", "import", str(ROSTER), database_url=url, tmp_path=tmp_path, environment="production")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: the database sqlite:///{tmp_path / 'gcu.db'} has no schema yet: run `gcu-review db upgrade` first"
    ]


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
@pytest.mark.parametrize("revision, says", [("base", "has no schema yet"), ("0008c", "is at revision 0008c")])
def test_a_postgresql_database_that_is_not_migrated_gets_one_line_naming_db_upgrade(tmp_path, revision, says):
    with fresh_database("postgres", tmp_path, revision=revision) as url:
        done = _cli("roster", "import", str(ROSTER), database_url=url, tmp_path=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        [line] = done.stderr.strip().splitlines()
        assert says in line and "run `gcu-review db upgrade` first" in line
        assert "Traceback" not in done.stderr
        assert schema_revisions(url)[0] == (set() if revision == "base" else {revision})  # nothing migrated
        upgraded = _cli("db", "upgrade", database_url=url, tmp_path=tmp_path)
        assert upgraded.returncode == 0, upgraded.stderr
        again = _cli("roster", "import", str(ROSTER), database_url=url, tmp_path=tmp_path)
        assert again.returncode == 0, again.stderr
        assert _staff_count(url) > 0


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
@pytest.mark.parametrize("command", [["worker"], ["web", "--port", "0"]])
def test_the_worker_and_the_web_app_refuse_an_unmigrated_postgresql_database(tmp_path, command):
    with fresh_database("postgres", tmp_path, revision="base") as url:
        done = _cli(*command, database_url=url, tmp_path=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.strip().splitlines()[-1].endswith("has no schema yet: run `gcu-review db upgrade` first")
