"""Migration 0010s (account security): it refuses to make staff links unique while two logins share
a staff id, naming them, and runs once they are one per person."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from store.db import make_engine, migrate
from tests.dbutil import database_kinds, fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def database_kind(request):
    if request.param not in database_kinds():
        pytest.skip("TEST_POSTGRES_URL is not set")
    return request.param


def _account(connection, username, staff_id):
    connection.execute(
        sa.text(
            "INSERT INTO web_account (username, staff_id, is_admin, active, failed_logins, created_at) "
            "VALUES (:u, :s, false, true, 0, :t)"
        ),
        {"u": username, "s": staff_id, "t": datetime.now(UTC)},
    )


def test_two_logins_of_one_person_stop_the_upgrade_until_one_is_unlinked(database_kind, tmp_path):
    with fresh_database(database_kind, tmp_path, revision="0010i") as url:
        engine = make_engine(url)
        try:
            with engine.begin() as c:
                c.execute(
                    sa.text(
                        "INSERT INTO staff (id, name, roles, designations, active) VALUES "
                        "('DUP-1', 'Dup', '[]', '[]', true)"
                    )
                )
                _account(c, "first.login", "DUP-1")
                _account(c, "second.login", "DUP-1")
            with pytest.raises(RuntimeError, match=r"DUP-1 \(2 accounts\)"):
                migrate(url)
            with engine.begin() as c:
                c.execute(
                    sa.text("UPDATE web_account SET staff_id = NULL, active = false WHERE username = 'second.login'")
                )
            migrate(url)
            with engine.begin() as c, pytest.raises(sa.exc.IntegrityError):
                _account(c, "third.login", "DUP-1")
        finally:
            engine.dispose()
