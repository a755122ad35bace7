"""the review projection records an abnormal ending of its workflow (issue 18)

A review whose workflow was terminated (by an operator, or by the server at its history limit),
timed out or failed used to stay "in review" in the database until an operator ran `gcu-review
repair --restart`. The scheduled reconciliation (workflows/review_endings.py) now records the ending
when it happens: `workflow_ended` says how the workflow ended, `ended_run_id` which run, so the
ending is recorded once. A restart's first transition clears both.

Revision ID: 0011d
Revises: 0011v
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011d"
down_revision: str | Sequence[str] | None = "0011v"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs on both databases: no rebuild of `review`, so its count triggers stay.
    op.add_column("review", sa.Column("workflow_ended", sa.String(), nullable=True))
    op.add_column("review", sa.Column("ended_run_id", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("review", "ended_run_id")
    op.drop_column("review", "workflow_ended")
