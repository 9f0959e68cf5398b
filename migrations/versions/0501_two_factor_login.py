"""two-factor login: TOTP secrets, hashed recovery codes, per-expedition requirement

Revision ID: 0501
Revises: 0401
Create Date: 2026-11-24 18:06:51.199469
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0501"
down_revision: str | None = "0401"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_recovery_code_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)

    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("enabled_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_step", sa.Integer(), nullable=True),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_two_factor_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_two_factor")),
    )
    op.create_table(
        "two_factor_requirement",
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("required_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_two_factor_requirement_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["required_by_id"],
            ["user.id"],
            name=op.f("fk_two_factor_requirement_required_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("expedition_id", name=op.f("pk_two_factor_requirement")),
    )


def downgrade() -> None:
    op.drop_table("two_factor_requirement")
    op.drop_table("two_factor")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))

    op.drop_table("recovery_code")
