"""KPI register and certification notices (issue 4): certification_notice (sent expiry notices,
one per certificate and threshold), product_facts (KPI 10 write-time facts), charge_unit (KPI 11
register), kpi_snapshot (stored KPI values).

Revision ID: 0004k
Revises: 0001
Create Date: 2026-11-27 19:58:24.462243
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004k"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_key", sa.String(), nullable=False),
        sa.Column("kpi", sa.String(), nullable=False),
        sa.Column("period_label", sa.String(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_snapshot")),
        sa.UniqueConstraint("snapshot_key", name=op.f("uq_kpi_snapshot_snapshot_key")),
    )
    with op.batch_alter_table("kpi_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_kpi_snapshot_kpi_scope_taken_on", ["kpi", "scope", "taken_on"], unique=False)

    op.create_table(
        "charge_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_key", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=True),
        sa.Column("version_no", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.String(), nullable=True),
        sa.Column("situation", sa.String(), nullable=True),
        sa.Column("suspect", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("count_no", sa.Integer(), nullable=True),
        sa.Column("article", sa.String(), nullable=True),
        sa.Column("crime", sa.String(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("is_sgbc", sa.Boolean(), nullable=False),
        sa.Column("is_cac", sa.Boolean(), nullable=False),
        sa.Column("sgbc_basis", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("filing_date", sa.Date(), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("source_doc", sa.String(), nullable=True),
        sa.Column("linked_unit_prev_stage", sa.Integer(), nullable=True),
        sa.Column("in_source", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_unit_prev_stage"],
            ["charge_unit.id"],
            name=op.f("fk_charge_unit_linked_unit_prev_stage_charge_unit"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_charge_unit_product_id_product"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_unit")),
        sa.UniqueConstraint("unit_key", name=op.f("uq_charge_unit_unit_key")),
    )
    with op.batch_alter_table("charge_unit", schema=None) as batch_op:
        batch_op.create_index("ix_charge_unit_case_id_suspect_stage", ["case_id", "suspect", "stage"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_charge_unit_linked_unit_prev_stage"), ["linked_unit_prev_stage"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_charge_unit_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_unit_situation"), ["situation"], unique=False)
        batch_op.create_index("ix_charge_unit_stage_filing_date", ["stage", "filing_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_unit_team_id"), ["team_id"], unique=False)

    op.create_table(
        "certification_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("cert", sa.String(), nullable=False),
        sa.Column("threshold", sa.String(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("swept_on", sa.Date(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certification.id"],
            name=op.f("fk_certification_notice_certification_id_certification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_notice")),
        sa.UniqueConstraint(
            "certification_id", "threshold", name=op.f("uq_certification_notice_certification_id_threshold")
        ),
    )
    with op.batch_alter_table("certification_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_notice_certification_id"), ["certification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certification_notice_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "product_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("product_type", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("situation", sa.String(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("relevance_reason", sa.String(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("execution_date", sa.Date(), nullable=True),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("engagement_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_facts_product_id_product"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["product_version.id"],
            name=op.f("fk_product_facts_version_id_product_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_facts")),
        sa.UniqueConstraint("product_id", "version_no", name=op.f("uq_product_facts_product_id_version_no")),
    )
    with op.batch_alter_table("product_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_facts_product_id_submitted_on_version_no",
            ["product_id", "submitted_on", "version_no"],
            unique=False,
        )
        batch_op.create_index("ix_product_facts_reference_date_team_id", ["reference_date", "team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_facts_situation"), ["situation"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_facts_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_facts_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("product_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_facts_version_id"))
        batch_op.drop_index(batch_op.f("ix_product_facts_team_id"))
        batch_op.drop_index(batch_op.f("ix_product_facts_situation"))
        batch_op.drop_index("ix_product_facts_reference_date_team_id")
        batch_op.drop_index("ix_product_facts_product_id_submitted_on_version_no")

    op.drop_table("product_facts")
    with op.batch_alter_table("certification_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_notice_staff_id"))
        batch_op.drop_index(batch_op.f("ix_certification_notice_certification_id"))

    op.drop_table("certification_notice")
    with op.batch_alter_table("charge_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charge_unit_team_id"))
        batch_op.drop_index("ix_charge_unit_stage_filing_date")
        batch_op.drop_index(batch_op.f("ix_charge_unit_situation"))
        batch_op.drop_index(batch_op.f("ix_charge_unit_product_id"))
        batch_op.drop_index(batch_op.f("ix_charge_unit_linked_unit_prev_stage"))
        batch_op.drop_index("ix_charge_unit_case_id_suspect_stage")

    op.drop_table("charge_unit")
    with op.batch_alter_table("kpi_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_snapshot_kpi_scope_taken_on")

    op.drop_table("kpi_snapshot")
