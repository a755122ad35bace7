"""rule impact runs (issue 16): the GCU head's `rules impact` page runs the candidate pack in the
worker and stores the run's progress and report.

Revision ID: 0011v
Revises: 0010s
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011v"
down_revision: str | Sequence[str] | None = "0010s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_impact_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_version", sa.String(), nullable=False),
        sa.Column("active_version", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("products_done", sa.Integer(), nullable=False),
        sa.Column("products_total", sa.Integer(), nullable=True),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("rule_impact_run")
