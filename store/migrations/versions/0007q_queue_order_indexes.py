"""indexes for the orderings of the GCU queue (models/tables.py QUEUE_ORDER_INDEXES, issue 6)

The queue sorted by due date put reviews without one last with a CASE expression no index could
serve, so every page sorted all open reviews (4.7 ms on SQLite, 9.7 ms on PostgreSQL at 10,000).
The query now orders by `due_at IS NULL` and these indexes hold exactly its orderings.

Revision ID: 0007q
Revises: 0006n
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007q"
down_revision: str | Sequence[str] | None = "0006n"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_review_queue_due", "review", [sa.text("(due_at IS NULL)"), "due_at", "id"])
    op.create_index(
        "ix_review_queue_priority", "review", [sa.text("priority DESC"), sa.text("(due_at IS NULL)"), "due_at", "id"]
    )
    op.create_index("ix_review_queue_updated", "review", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_review_queue_updated", table_name="review")
    op.drop_index("ix_review_queue_priority", table_name="review")
    op.drop_index("ix_review_queue_due", table_name="review")
