"""interview_record_facts: the SPU indicator's write-time facts (contract v2 §6.1, issue 16)

One row per stored interview-record version (models/spu_tables.py), recorded by the pre-check; the
versions stored before this revision get theirs from `gcu-review kpi backfill-facts`.

Revision ID: 0010i
Revises: 0010h
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010i"
down_revision: str | Sequence[str] | None = "0010h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interview_record_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("situation", sa.String(), nullable=False),
        sa.Column("format_error", sa.Boolean(), nullable=False),
        sa.Column("record_date", sa.Date(), nullable=True),
        sa.Column("period_date", sa.Date(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("witness_key", sa.String(), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("support_during", sa.String(), nullable=True),
        sa.Column("supported", sa.Boolean(), nullable=False),
        sa.Column("needs_all_met", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_interview_record_facts_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["product_version.id"],
            name=op.f("fk_interview_record_facts_version_id_product_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_record_facts")),
        sa.UniqueConstraint("product_id", "version_no", name=op.f("uq_interview_record_facts_product_id_version_no")),
    )
    with op.batch_alter_table("interview_record_facts") as batch:
        batch.create_index("ix_interview_record_facts_period_date_team_id", ["period_date", "team_id"], unique=False)
        batch.create_index(batch.f("ix_interview_record_facts_product_id"), ["product_id"], unique=False)
        batch.create_index(batch.f("ix_interview_record_facts_version_id"), ["version_id"], unique=False)
        batch.create_index(batch.f("ix_interview_record_facts_team_id"), ["team_id"], unique=False)
        batch.create_index(batch.f("ix_interview_record_facts_situation"), ["situation"], unique=False)


def downgrade() -> None:
    op.drop_table("interview_record_facts")
