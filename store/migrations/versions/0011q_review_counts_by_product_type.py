"""review_state_count per product type (issue 16: each unit's queue counts its own reviews), and
partial indexes of the open reviews in due order (issue 13: the worklists list open reviews only)

The per-state counts at the top of a queue came from review_state_count, one row per (team,
situation, state): an SPU officer, whose queue lists interview records only, saw the GCU's counts,
and a GCU reviewer's counts included the interview records their queue leaves out. The kept counts
now have a product-type dimension, so a queue's counts are read for the types it lists.

The rows are counted again from `review` in the upgrade, and the triggers of 0008c are replaced by
ones that follow product_type too. On PostgreSQL the table is altered in place (its grants stay);
on SQLite it is created again (SQLite cannot change a primary key).

The queue's default view and each reviewer's worklist filter on the open states: the planners then
read every open review through the state index and sorted them (16 ms a page on SQLite at 10,000).
ix_review_open_due and ix_review_open_assignee_due hold only open reviews, in the queue's due order.

Revision ID: 0011q
Revises: 0011d
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011q"
down_revision: str | Sequence[str] | None = "0011d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_SQLITE_TRIGGERS = ("review_state_count_insert", "review_state_count_delete", "review_state_count_update")


def _sqlite_triggers(columns: tuple[str, ...]) -> dict[str, str]:
    """The three triggers keeping one count row per `columns` + state (0008c's, or this revision's)."""
    key = ", ".join((*columns, "state"))
    add = (
        f"INSERT INTO review_state_count ({key}, reviews) VALUES ("
        + ", ".join(f"{{row}}.{c}" for c in (*columns, "state"))
        + f", {{delta}}) ON CONFLICT ({key}) DO UPDATE SET reviews = review_state_count.reviews + {{delta}};"
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (*columns, "state"))
    return {
        "review_state_count_insert": "AFTER INSERT ON review BEGIN " + add.format(row="NEW", delta=1) + " END",
        "review_state_count_delete": "AFTER DELETE ON review BEGIN " + add.format(row="OLD", delta=-1) + " END",
        "review_state_count_update": (
            f"AFTER UPDATE OF {key} ON review WHEN {changed} BEGIN "
            + add.format(row="OLD", delta=-1)
            + " "
            + add.format(row="NEW", delta=1)
            + " END"
        ),
    }


def _postgres_functions(columns: tuple[str, ...]) -> tuple[str, str]:
    key = ", ".join((*columns, "state"))
    params = ", ".join(f"p_{c} text" for c in (*columns, "state"))
    values = ", ".join(f"p_{c}" for c in (*columns, "state"))
    old = ", ".join(f"OLD.{c}" for c in (*columns, "state"))
    new = ", ".join(f"NEW.{c}" for c in (*columns, "state"))
    add = f"""
CREATE FUNCTION review_state_count_add({params}, delta integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO review_state_count ({key}, reviews) VALUES ({values}, delta)
    ON CONFLICT ({key}) DO UPDATE SET reviews = review_state_count.reviews + delta
$$
"""
    follow = f"""
CREATE FUNCTION review_state_count_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM review_state_count_add({new}, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM review_state_count_add({old}, -1);
    ELSIF ({old}) IS DISTINCT FROM ({new}) THEN
        -- Both rows in key order: no deadlock between opposite moves.
        IF ({old}) < ({new}) THEN
            PERFORM review_state_count_add({old}, -1);
            PERFORM review_state_count_add({new}, 1);
        ELSE
            PERFORM review_state_count_add({new}, 1);
            PERFORM review_state_count_add({old}, -1);
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""
    return add, follow


def _rebuild(columns: tuple[str, ...]) -> None:
    """review_state_count keyed by `columns` + state, counted from `review`, with its triggers."""
    key = ", ".join((*columns, "state"))
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in _OLD_SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.drop_table("review_state_count")
        op.create_table(
            "review_state_count",
            *(sa.Column(c, sa.String(), nullable=False) for c in (*columns, "state")),
            sa.Column("reviews", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(*columns, "state", name=op.f("pk_review_state_count")),
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS review_state_count_follow ON review")
        op.execute("DROP FUNCTION IF EXISTS review_state_count_follow()")
        op.execute("DROP FUNCTION IF EXISTS review_state_count_add(text, text, text, integer)")
        op.execute("DROP FUNCTION IF EXISTS review_state_count_add(text, text, text, text, integer)")
        # No trigger runs now; the table is emptied and counted again below, so no change is lost
        # while the upgrade holds it (review is locked against writes for the whole transaction).
        op.execute("LOCK TABLE review IN SHARE MODE")
        op.execute("DELETE FROM review_state_count")
        op.execute("ALTER TABLE review_state_count DROP CONSTRAINT pk_review_state_count")
        if "product_type" in columns:
            op.execute("ALTER TABLE review_state_count ADD COLUMN product_type varchar NOT NULL")
        else:
            op.execute("ALTER TABLE review_state_count DROP COLUMN product_type")
        op.execute(f"ALTER TABLE review_state_count ADD CONSTRAINT pk_review_state_count PRIMARY KEY ({key})")
    op.execute(f"INSERT INTO review_state_count ({key}, reviews) SELECT {key}, count(*) FROM review GROUP BY {key}")
    if sqlite:
        for name, body in _sqlite_triggers(columns).items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        return
    for function in _postgres_functions(columns):
        op.execute(function)
    op.execute(
        f"CREATE TRIGGER review_state_count_follow AFTER INSERT OR DELETE OR UPDATE OF {key} "
        "ON review FOR EACH ROW EXECUTE FUNCTION review_state_count_follow()"
    )


# models/tables.py OPEN_REVIEW_SQL, as it was written here.
_OPEN = "state NOT IN ('approved', 'withdrawn')"
_OPEN_INDEXES: dict[str, list[str | sa.TextClause]] = {
    "ix_review_open_due": [sa.text("(due_at IS NULL)"), "due_at", "id"],
    "ix_review_open_assignee_due": ["assignee_id", sa.text("(due_at IS NULL)"), "due_at", "id"],
}


def upgrade() -> None:
    _rebuild(("team_id", "situation", "product_type"))
    for name, columns in _OPEN_INDEXES.items():
        op.create_index(name, "review", columns, sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))


def downgrade() -> None:
    for name in _OPEN_INDEXES:
        op.drop_index(name, table_name="review")
    _rebuild(("team_id", "situation"))
