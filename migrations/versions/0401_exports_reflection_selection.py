"""exports: final reflection (with consents) and the Lernbericht choices per person

Revision ID: 0401
Revises: 0301
Create Date: 2026-11-24 17:46:43.175502
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0401"
down_revision: str | None = "0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "final_reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("vorhaben_now", sa.Text(), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("keep_doing", sa.Text(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=False),
        sa.Column("release_to_summary", sa.Boolean(), nullable=False),
        sa.Column("named_in_reports", sa.Boolean(), nullable=False),
        sa.Column("updated_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_final_reflection_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_final_reflection_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_reflection")),
        sa.UniqueConstraint(
            "expedition_id", "user_id", name=op.f("uq_final_reflection_expedition_id_user_id")
        ),
    )
    with op.batch_alter_table("final_reflection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_final_reflection_user_id"), ["user_id"], unique=False)

    op.create_table(
        "report_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("excluded_sections", sa.JSON(), nullable=False),
        sa.Column("excluded_card_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_report_selection_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_report_selection_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_selection")),
        sa.UniqueConstraint(
            "expedition_id", "user_id", name=op.f("uq_report_selection_expedition_id_user_id")
        ),
    )
    with op.batch_alter_table("report_selection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_selection_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_selection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_selection_user_id"))

    op.drop_table("report_selection")
    with op.batch_alter_table("final_reflection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_final_reflection_user_id"))

    op.drop_table("final_reflection")
