"""boards and meetings core tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 17:38:58.796410
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("column", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sprint_number", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("hypothesis", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("learning", sa.Text(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_card_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_card_owner_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card")),
    )
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.create_index(
            "ix_card_board", ["expedition_id", "owner_id", "column", "position"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_card_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("next", sa.Text(), nullable=False),
        sa.Column("stuck", sa.Text(), nullable=False),
        sa.Column("needs_support", sa.Boolean(), nullable=False),
        sa.Column("support_cleared_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_check_in_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_check_in_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in")),
    )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_in_expedition_user", ["expedition_id", "user_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_check_in_user_id"), ["user_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sprint_number", sa.Integer(), nullable=True),
        sa.Column("starts_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_meeting_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user.id"],
            name=op.f("fk_meeting_moderator_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_expedition_starts", ["expedition_id", "starts_at"], unique=False
        )

    op.create_table(
        "sprint_reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sprint_number", sa.Integer(), nullable=False),
        sa.Column("focus", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("focus_set_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_sprint_reflection_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_sprint_reflection_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprint_reflection")),
        sa.UniqueConstraint(
            "expedition_id",
            "user_id",
            "sprint_number",
            name=op.f("uq_sprint_reflection_expedition_id_user_id_sprint_number"),
        ),
    )
    with op.batch_alter_table("sprint_reflection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sprint_reflection_user_id"), ["user_id"], unique=False)

    op.create_table(
        "vorhaben",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("success_signs", sa.Text(), nullable=False),
        sa.Column("support_needed", sa.Text(), nullable=False),
        sa.Column("first_steps", sa.Text(), nullable=False),
        sa.Column("updated_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_vorhaben_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_vorhaben_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vorhaben")),
        sa.UniqueConstraint(
            "expedition_id", "user_id", name=op.f("uq_vorhaben_expedition_id_user_id")
        ),
    )
    with op.batch_alter_table("vorhaben", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vorhaben_user_id"), ["user_id"], unique=False)

    op.create_table(
        "card_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("from_column", sa.String(length=16), nullable=True),
        sa.Column("to_column", sa.String(length=16), nullable=False),
        sa.Column("sprint_number", sa.Integer(), nullable=True),
        sa.Column("moved_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["card.id"], name=op.f("fk_card_move_card_id_card"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_move")),
    )
    with op.batch_alter_table("card_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_move_card_id"), ["card_id"], unique=False)

    op.create_table(
        "checklist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["card.id"],
            name=op.f("fk_checklist_item_card_id_card"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_item")),
    )
    with op.batch_alter_table("checklist_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checklist_item_card_id"), ["card_id"], unique=False)

    op.create_table(
        "vorhaben_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vorhaben_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("success_signs", sa.Text(), nullable=False),
        sa.Column("support_needed", sa.Text(), nullable=False),
        sa.Column("first_steps", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vorhaben_id"],
            ["vorhaben.id"],
            name=op.f("fk_vorhaben_version_vorhaben_id_vorhaben"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vorhaben_version")),
    )
    with op.batch_alter_table("vorhaben_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vorhaben_version_vorhaben_id"), ["vorhaben_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vorhaben_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vorhaben_version_vorhaben_id"))

    op.drop_table("vorhaben_version")
    with op.batch_alter_table("checklist_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_item_card_id"))

    op.drop_table("checklist_item")
    with op.batch_alter_table("card_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_move_card_id"))

    op.drop_table("card_move")
    with op.batch_alter_table("vorhaben", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vorhaben_user_id"))

    op.drop_table("vorhaben")
    with op.batch_alter_table("sprint_reflection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sprint_reflection_user_id"))

    op.drop_table("sprint_reflection")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_expedition_starts")

    op.drop_table("meeting")
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_user_id"))
        batch_op.drop_index("ix_check_in_expedition_user")

    op.drop_table("check_in")
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_owner_id"))
        batch_op.drop_index("ix_card_board")

    op.drop_table("card")
