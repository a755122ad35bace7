"""register revision kept by triggers (models/tables.py RegisterRevision, issue 6)

Every pre-check rebuilt the whole register (teams, members, staff, certifications, briefings)
from five queries, though it changes a few times a week. register_revision holds one number that
triggers on those five tables replace with every change, in the changing transaction; the worker
keeps the register it built with the number it read first, and builds again only when the number
has changed (store/roster_view.py RosterCache). The number is random, not counted up: a database
restored from a backup must not reach again a number that a running worker has cached.

Revision ID: 0009r
Revises: 0008c
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009r"
down_revision: str | Sequence[str] | None = "0008c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the rule engine reads of the register (store/roster_view.py roster_from_db).
REGISTER_TABLES = ("team", "team_member", "staff", "certification", "briefing")
_SQLITE_BUMP = "UPDATE register_revision SET revision = random() WHERE id = 1"
_POSTGRES_BUMP = "UPDATE register_revision SET revision = (random() * 4611686018427387904)::bigint WHERE id = 1"
_SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "register_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_revision")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("INSERT INTO register_revision (id, revision) VALUES (1, 0)")
    op.execute(_SQLITE_BUMP if sqlite else _POSTGRES_BUMP)
    if sqlite:
        for table in REGISTER_TABLES:
            for event in _SQLITE_EVENTS:
                op.execute(
                    f"CREATE TRIGGER register_revision_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {_SQLITE_BUMP}; END"
                )
        return
    op.execute(
        f"CREATE FUNCTION register_revision_bump() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {_POSTGRES_BUMP}; RETURN NULL; END $$"
    )
    for table in REGISTER_TABLES:
        # Once per statement: a roster import of hundreds of rows changes the number once per table.
        op.execute(
            f"CREATE TRIGGER register_revision_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION register_revision_bump()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in REGISTER_TABLES:
            for event in _SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS register_revision_{table}_{event.lower()}")
    else:
        for table in REGISTER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS register_revision_bump ON {table}")
        op.execute("DROP FUNCTION IF EXISTS register_revision_bump()")
    op.drop_table("register_revision")
