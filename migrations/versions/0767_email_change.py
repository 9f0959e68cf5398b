"""Pending e-mail address changes (only their tokens' hashes); the digest's last due week.

Revision ID: 0767
Revises: 0764
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0767"
down_revision: str | None = "0764"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_email_change_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_change")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_change_token_hash")),
    )
    with op.batch_alter_table("email_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_change_user_id"), ["user_id"])
    with op.batch_alter_table("digest_setting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_due_at", alex.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Until now every due week sent a digest: the last one sent was the last one due.
    op.execute("UPDATE digest_setting SET last_due_at = last_sent_at")


def downgrade() -> None:
    with op.batch_alter_table("digest_setting", schema=None) as batch_op:
        batch_op.drop_column("last_due_at")
    with op.batch_alter_table("email_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_change_user_id"))
    op.drop_table("email_change")
