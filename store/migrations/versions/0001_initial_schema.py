"""Initial schema: register, products and reviews, findings, decisions, audit trail, notifications.

The audit trail is append-only in the database itself: triggers refuse UPDATE and DELETE on
audit_event, and one audit_chain_head row anchors the hash chain (store/audit.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# store.audit.GENESIS_HASH, repeated so that this migration never changes with application code.
GENESIS_HASH = "0" * 64
APPEND_ONLY_MESSAGE = "audit_event is append-only"


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_event",
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("transition_seq", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("actor_id", sa.String(), nullable=True),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
        sa.UniqueConstraint("workflow_id", "transition_seq", name=op.f("uq_audit_event_workflow_id_transition_seq")),
    )
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"])
    op.create_index(op.f("ix_audit_event_product_id"), "audit_event", ["product_id"])

    op.create_table(
        "product",
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("situation", sa.String(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("current_version_no", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(), nullable=True),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
    )
    op.create_index(op.f("ix_product_situation"), "product", ["situation"])
    op.create_index(op.f("ix_product_team_id"), "product", ["team_id"])
    op.create_index(op.f("ix_product_type"), "product", ["type"])

    op.create_table(
        "staff",
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("gender", sa.String(), nullable=True),
        sa.Column("home_team_id", sa.String(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("designations", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
    )
    op.create_table(
        "team",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("situation", sa.String(), nullable=True),
        sa.Column("leader_id", sa.String(), nullable=True),
        sa.Column("sgbc_focal_point_id", sa.String(), nullable=True),
        sa.Column("cac_focal_point_id", sa.String(), nullable=True),
        sa.Column("deputy_prosecutor_id", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
    )
    op.create_index(op.f("ix_team_situation"), "team", ["situation"])

    op.create_table(
        "briefing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("briefed_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_briefing_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefing")),
        sa.UniqueConstraint("staff_id", "area", "date", name=op.f("uq_briefing_staff_id_area_date")),
    )
    op.create_index(op.f("ix_briefing_staff_id"), "briefing", ["staff_id"])

    op.create_table(
        "certification",
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("cert", sa.String(), nullable=False),
        sa.Column("issued", sa.Date(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_certification_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification")),
        sa.UniqueConstraint("staff_id", "cert", "issued", name=op.f("uq_certification_staff_id_cert_issued")),
    )
    op.create_index(op.f("ix_certification_cert"), "certification", ["cert"])
    op.create_index(op.f("ix_certification_expires"), "certification", ["expires"])
    op.create_index(op.f("ix_certification_staff_id"), "certification", ["staff_id"])

    op.create_table(
        "notification",
        sa.Column("recipient_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=True),
        sa.Column("audit_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_event_id"], ["audit_event.id"], name=op.f("fk_notification_audit_event_id_audit_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "audit_event_id", "recipient_id", "kind", name=op.f("uq_notification_audit_event_id_recipient_id_kind")
        ),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    op.create_index(op.f("ix_notification_audit_event_id"), "notification", ["audit_event_id"])
    op.create_index(op.f("ix_notification_kind"), "notification", ["kind"])
    op.create_index(op.f("ix_notification_product_id"), "notification", ["product_id"])
    op.create_index(op.f("ix_notification_recipient_id"), "notification", ["recipient_id"])

    op.create_table(
        "product_version",
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("version_label", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("front_matter", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(), nullable=True),
        sa.Column("pack_version", sa.String(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("check_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_product_version_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_version")),
        sa.UniqueConstraint("product_id", "version_no", name=op.f("uq_product_version_product_id_version_no")),
    )
    op.create_index(op.f("ix_product_version_product_id"), "product_version", ["product_id"])

    op.create_table(
        "review",
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("workflow_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("assignee_id", sa.String(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resubmission_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=True),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("product_type", sa.String(), nullable=False),
        sa.Column("situation", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_review_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("product_id", name=op.f("uq_review_product_id")),
    )
    op.create_index(op.f("ix_review_assignee_id"), "review", ["assignee_id"])
    op.create_index(op.f("ix_review_due_at"), "review", ["due_at"])
    op.create_index(op.f("ix_review_priority"), "review", ["priority"])
    op.create_index(op.f("ix_review_product_type"), "review", ["product_type"])
    op.create_index(op.f("ix_review_situation"), "review", ["situation"])
    op.create_index(op.f("ix_review_state"), "review", ["state"])
    op.create_index(op.f("ix_review_state_due_at"), "review", ["state", "due_at"])
    op.create_index(op.f("ix_review_team_id"), "review", ["team_id"])
    op.create_index(op.f("ix_review_verdict"), "review", ["verdict"])

    op.create_table(
        "team_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("staff_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_member_team_id_team"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_member")),
        sa.UniqueConstraint("team_id", "staff_id", name=op.f("uq_team_member_team_id_staff_id")),
    )
    op.create_index(op.f("ix_team_member_staff_id"), "team_member", ["staff_id"])
    op.create_index(op.f("ix_team_member_team_id"), "team_member", ["team_id"])

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_event_id"], ["audit_event.id"], name=op.f("fk_decision_audit_event_id_audit_event")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_decision_product_id_product")),
        sa.ForeignKeyConstraint(
            ["version_id"], ["product_version.id"], name=op.f("fk_decision_version_id_product_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint("audit_event_id", name=op.f("uq_decision_audit_event_id")),
    )
    op.create_index(op.f("ix_decision_decided_at"), "decision", ["decided_at"])
    op.create_index(op.f("ix_decision_decision"), "decision", ["decision"])
    op.create_index(op.f("ix_decision_product_id"), "decision", ["product_id"])
    op.create_index(op.f("ix_decision_version_id"), "decision", ["version_id"])

    op.create_table(
        "finding",
        sa.Column("finding_id", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("citation", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("pack_version", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("dismissal_reason", sa.String(), nullable=True),
        sa.Column("dismissed_by", sa.String(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_finding_product_id_product")),
        sa.ForeignKeyConstraint(
            ["version_id"], ["product_version.id"], name=op.f("fk_finding_version_id_product_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_finding_finding_id")),
    )
    op.create_index(op.f("ix_finding_product_id"), "finding", ["product_id"])
    op.create_index(op.f("ix_finding_rule_id"), "finding", ["rule_id"])
    op.create_index(op.f("ix_finding_severity"), "finding", ["severity"])
    op.create_index(op.f("ix_finding_state"), "finding", ["state"])
    op.create_index(op.f("ix_finding_version_id"), "finding", ["version_id"])

    op.bulk_insert(
        sa.table("audit_chain_head", sa.column("id"), sa.column("last_hash"), sa.column("length")),
        [{"id": 1, "last_hash": GENESIS_HASH, "length": 0}],
    )
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_index(op.f("ix_finding_version_id"), table_name="finding")
    op.drop_index(op.f("ix_finding_state"), table_name="finding")
    op.drop_index(op.f("ix_finding_severity"), table_name="finding")
    op.drop_index(op.f("ix_finding_rule_id"), table_name="finding")
    op.drop_index(op.f("ix_finding_product_id"), table_name="finding")

    op.drop_table("finding")
    op.drop_index(op.f("ix_decision_version_id"), table_name="decision")
    op.drop_index(op.f("ix_decision_product_id"), table_name="decision")
    op.drop_index(op.f("ix_decision_decision"), table_name="decision")
    op.drop_index(op.f("ix_decision_decided_at"), table_name="decision")

    op.drop_table("decision")
    op.drop_index(op.f("ix_team_member_team_id"), table_name="team_member")
    op.drop_index(op.f("ix_team_member_staff_id"), table_name="team_member")

    op.drop_table("team_member")
    op.drop_index(op.f("ix_review_verdict"), table_name="review")
    op.drop_index(op.f("ix_review_team_id"), table_name="review")
    op.drop_index(op.f("ix_review_state_due_at"), table_name="review")
    op.drop_index(op.f("ix_review_state"), table_name="review")
    op.drop_index(op.f("ix_review_situation"), table_name="review")
    op.drop_index(op.f("ix_review_product_type"), table_name="review")
    op.drop_index(op.f("ix_review_priority"), table_name="review")
    op.drop_index(op.f("ix_review_due_at"), table_name="review")
    op.drop_index(op.f("ix_review_assignee_id"), table_name="review")

    op.drop_table("review")
    op.drop_index(op.f("ix_product_version_product_id"), table_name="product_version")

    op.drop_table("product_version")
    op.drop_index(op.f("ix_notification_recipient_id"), table_name="notification")
    op.drop_index(op.f("ix_notification_product_id"), table_name="notification")
    op.drop_index(op.f("ix_notification_kind"), table_name="notification")
    op.drop_index(op.f("ix_notification_audit_event_id"), table_name="notification")

    op.drop_table("notification")
    op.drop_index(op.f("ix_certification_staff_id"), table_name="certification")
    op.drop_index(op.f("ix_certification_expires"), table_name="certification")
    op.drop_index(op.f("ix_certification_cert"), table_name="certification")

    op.drop_table("certification")
    op.drop_index(op.f("ix_briefing_staff_id"), table_name="briefing")

    op.drop_table("briefing")
    op.drop_index(op.f("ix_team_situation"), table_name="team")

    op.drop_table("team")
    op.drop_table("staff")
    op.drop_index(op.f("ix_product_type"), table_name="product")
    op.drop_index(op.f("ix_product_team_id"), table_name="product")
    op.drop_index(op.f("ix_product_situation"), table_name="product")

    op.drop_table("product")
    op.drop_index(op.f("ix_audit_event_product_id"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_action"), table_name="audit_event")

    op.drop_table("audit_event")
    op.drop_table("audit_chain_head")
