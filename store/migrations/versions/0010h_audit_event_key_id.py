"""audit events name the HMAC key that sealed them (store/audit_keys.py, issue 15)

The chain was plain SHA-256, which anyone with write access to the database can recompute. New
events are sealed with an HMAC whose key the application holds; `key_id` names the key, so keys
can rotate. Existing events keep NULL (sealed with SHA-256) and still verify.

Revision ID: 0010h
Revises: 0009r
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010h"
down_revision: str | Sequence[str] | None = "0009r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no table rebuild, so the append-only triggers stay.
    op.add_column("audit_event", sa.Column("key_id", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_event", "key_id")
