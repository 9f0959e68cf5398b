"""Notification routing: each person's channel per kind, the expedition's defaults, the weekly
digest setting, and the reminders already given.

Revision ID: 0711
Revises: 0703 (chained after the merged reach-engine migrations)
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0711"
down_revision: str | None = "0703"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "kind"),
    )
    op.create_table(
        "expedition_notification_default",
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["expedition_id"], ["expedition.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("expedition_id", "kind"),
    )
    op.create_table(
        "digest_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "reach_nudge",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("reach_nudge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reach_nudge_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reach_nudge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reach_nudge_user_id"))
    op.drop_table("reach_nudge")
    op.drop_table("digest_setting")
    op.drop_table("expedition_notification_default")
    op.drop_table("notification_preference")
