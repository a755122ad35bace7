"""account security (issue 17): one login per staff id, read-only API tokens, an idle timeout for
sessions, administrator-approved identity-provider links, the sign-in event log, and the channel
(web, api, cli, system) of every audit event.

A register person with two logins is a way to act as someone else, so the unique index is refused
while duplicates exist: the upgrade names them, and an administrator deactivates one and unlinks it
(`UPDATE web_account SET staff_id = NULL, active = false WHERE username = ...`) before upgrading.

Revision ID: 0010s
Revises: 0010i
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010s"
down_revision: str | Sequence[str] | None = "0010i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refuse_shared_staff_links() -> None:
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT staff_id, COUNT(*) FROM web_account WHERE staff_id IS NOT NULL GROUP BY staff_id HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if shared:
        names = ", ".join(f"{staff_id} ({count} accounts)" for staff_id, count in shared)
        raise RuntimeError(
            f"several accounts are linked to the same staff id: {names}. Keep one login per person: "
            "unlink the others (staff_id NULL, active false) and run the upgrade again."
        )


def upgrade() -> None:
    _refuse_shared_staff_links()
    with op.batch_alter_table("web_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_account_staff_id"))
        batch_op.create_index(batch_op.f("ix_web_account_staff_id"), ["staff_id"], unique=True)
        batch_op.add_column(sa.Column("oidc_link_email", sa.String(), nullable=True))
    op.add_column("web_api_token", sa.Column("read_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("web_session", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    # A plain ADD COLUMN (no table rebuild): audit_event keeps its append-only triggers.
    op.add_column("audit_event", sa.Column("channel", sa.String(), nullable=True))
    op.create_table(
        "web_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in")),
    )
    with op.batch_alter_table("web_sign_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sign_in_at"), ["at"], unique=False)
        batch_op.create_index("ix_web_sign_in_address_at", ["address", "at"], unique=False)


def downgrade() -> None:
    op.drop_table("web_sign_in")
    op.drop_column("audit_event", "channel")
    op.drop_column("web_session", "last_seen_at")
    op.drop_column("web_api_token", "read_only")
    with op.batch_alter_table("web_account", schema=None) as batch_op:
        batch_op.drop_column("oidc_link_email")
        batch_op.drop_index(batch_op.f("ix_web_account_staff_id"))
        batch_op.create_index(batch_op.f("ix_web_account_staff_id"), ["staff_id"], unique=False)
