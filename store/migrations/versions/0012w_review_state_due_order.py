"""An index of reviews by state in the queue's due order (issue 13: the worklist's "waiting" list)

The worklist (/my-reviews) lists the ten queued reviews due soonest. The planners read every
queued review through ix_review_state_due_at (state, due_at) and sorted them, since the queue's
order puts reviews without a due date last (`due_at IS NULL` first in the key): 2.4 ms a page on
SQLite at 10,000 open reviews, growing with the queue. ix_review_state_due_order holds the same
key as the queue's order within each state, so a state's first page is read off the index; the
queue filtered by one state (`/queue?state=queued`) uses it too.

On PostgreSQL, statistics on the queue's type filter: it is matched as an expression,
coalesce(product_type, ''), so that no planner reads a unit's reviews through the type index, and
without statistics PostgreSQL guessed that a unit's types match 0.5% of reviews per type. A
reviewer's worklist (584 reviews in review at 10,000) was then estimated at 20 rows, read by a
bitmap scan and sorted (4.2 ms) instead of walked off ix_review_open_assignee_due (0.4 ms).

Revision ID: 0012w
Revises: 0011q
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012w"
down_revision: str | Sequence[str] | None = "0011q"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_review_state_due_order", "review", ["state", sa.text("(due_at IS NULL)"), "due_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS review_product_type_expr ON (coalesce(product_type, '')) FROM review"
        )
        op.execute("ANALYZE review")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS review_product_type_expr")
    op.drop_index("ix_review_state_due_order", table_name="review")
