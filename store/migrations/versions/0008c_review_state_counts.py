"""per-state review counts kept by triggers (models/tables.py ReviewStateCount, issue 6)

Every GCU queue page showed the number of reviews in each state by grouping the whole review
table: 1.5 ms of PostgreSQL time per page at 10,000 reviews, and growing with every review ever
decided. The counts now live in review_state_count, one row per (team, situation, state), which
triggers on review keep exact in the same transaction as the change they count.

On PostgreSQL a state change touches two count rows; the trigger changes them in key order, so
two transactions moving reviews in opposite directions (escalate one, assign another) wait for
each other instead of deadlocking.

Revision ID: 0008c
Revises: 0007q
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008c"
down_revision: str | Sequence[str] | None = "0007q"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "(team_id, situation, state)"
_SQLITE_ADD = (
    "INSERT INTO review_state_count (team_id, situation, state, reviews) VALUES ({row}.team_id, {row}.situation, "
    "{row}.state, {delta}) ON CONFLICT " + _KEY + " DO UPDATE SET reviews = review_state_count.reviews + {delta};"
)
_SQLITE_TRIGGERS = {
    "review_state_count_insert": "AFTER INSERT ON review BEGIN " + _SQLITE_ADD.format(row="NEW", delta=1) + " END",
    "review_state_count_delete": "AFTER DELETE ON review BEGIN " + _SQLITE_ADD.format(row="OLD", delta=-1) + " END",
    "review_state_count_update": (
        "AFTER UPDATE OF team_id, situation, state ON review "
        "WHEN OLD.team_id IS NOT NEW.team_id OR OLD.situation IS NOT NEW.situation OR OLD.state IS NOT NEW.state "
        "BEGIN " + _SQLITE_ADD.format(row="OLD", delta=-1) + " " + _SQLITE_ADD.format(row="NEW", delta=1) + " END"
    ),
}
_POSTGRES_FUNCTIONS = (
    """
CREATE FUNCTION review_state_count_add(t text, s text, st text, delta integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO review_state_count (team_id, situation, state, reviews) VALUES (t, s, st, delta)
    ON CONFLICT (team_id, situation, state) DO UPDATE SET reviews = review_state_count.reviews + delta
$$
""",
    """
CREATE FUNCTION review_state_count_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM review_state_count_add(NEW.team_id, NEW.situation, NEW.state, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM review_state_count_add(OLD.team_id, OLD.situation, OLD.state, -1);
    ELSIF (OLD.team_id, OLD.situation, OLD.state) IS DISTINCT FROM (NEW.team_id, NEW.situation, NEW.state) THEN
        -- Both rows in key order: no deadlock between opposite moves.
        IF (OLD.team_id, OLD.situation, OLD.state) < (NEW.team_id, NEW.situation, NEW.state) THEN
            PERFORM review_state_count_add(OLD.team_id, OLD.situation, OLD.state, -1);
            PERFORM review_state_count_add(NEW.team_id, NEW.situation, NEW.state, 1);
        ELSE
            PERFORM review_state_count_add(NEW.team_id, NEW.situation, NEW.state, 1);
            PERFORM review_state_count_add(OLD.team_id, OLD.situation, OLD.state, -1);
        END IF;
    END IF;
    RETURN NULL;
END
$$
""",
)


def upgrade() -> None:
    op.create_table(
        "review_state_count",
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("situation", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "situation", "state", name=op.f("pk_review_state_count")),
    )
    op.execute(
        "INSERT INTO review_state_count (team_id, situation, state, reviews) "
        "SELECT team_id, situation, state, count(*) FROM review GROUP BY team_id, situation, state"
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        return
    for function in _POSTGRES_FUNCTIONS:
        op.execute(function)
    op.execute(
        "CREATE TRIGGER review_state_count_follow AFTER INSERT OR DELETE OR UPDATE OF team_id, situation, state "
        "ON review FOR EACH ROW EXECUTE FUNCTION review_state_count_follow()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS review_state_count_follow ON review")
        op.execute("DROP FUNCTION IF EXISTS review_state_count_follow()")
        op.execute("DROP FUNCTION IF EXISTS review_state_count_add(text, text, text, integer)")
    op.drop_table("review_state_count")
