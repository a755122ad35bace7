"""compliance summaries and email deliveries (models/summary_tables.py, issue 5)

Revision ID: 0006n
Revises: 0005w
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006n"
down_revision: str | Sequence[str] | None = "0005w"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_prosecutor_id", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_summary")),
        sa.UniqueConstraint(
            "deputy_prosecutor_id",
            "period_start",
            "period_end",
            name=op.f("uq_compliance_summary_deputy_prosecutor_id_period_start_period_end"),
        ),
    )
    with op.batch_alter_table("compliance_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_summary_deputy_prosecutor_id"), ["deputy_prosecutor_id"], unique=False
        )

    op.create_table(
        "email_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("summary_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.String(), nullable=True),
        sa.Column("to_address", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"], name=op.f("fk_email_delivery_notification_id_notification")
        ),
        sa.ForeignKeyConstraint(
            ["summary_id"], ["compliance_summary.id"], name=op.f("fk_email_delivery_summary_id_compliance_summary")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_delivery")),
        sa.UniqueConstraint("key", name=op.f("uq_email_delivery_key")),
    )
    with op.batch_alter_table("email_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_delivery_notification_id"), ["notification_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_delivery_summary_id"), ["summary_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_email_delivery_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_delivery_state"))
        batch_op.drop_index(batch_op.f("ix_email_delivery_summary_id"))
        batch_op.drop_index(batch_op.f("ix_email_delivery_notification_id"))
    op.drop_table("email_delivery")
    with op.batch_alter_table("compliance_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_summary_deputy_prosecutor_id"))
    op.drop_table("compliance_summary")
