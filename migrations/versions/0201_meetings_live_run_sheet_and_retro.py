"""meetings: live run-sheet, attendance and moods, retro with items, votes, groups, actions, templates

Revision ID: 0201
Revises: 0003
Create Date: 2026-11-24 17:45:19.206460
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0201"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retro_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prompts", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_retro_template_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_template")),
        sa.UniqueConstraint(
            "expedition_id", "name", name=op.f("uq_retro_template_expedition_id_name")
        ),
    )
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("checked_in_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_attendance_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_meeting_attendance_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
        sa.UniqueConstraint(
            "meeting_id", "user_id", name=op.f("uq_meeting_attendance_meeting_id_user_id")
        ),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendance_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "retro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=24), nullable=False),
        sa.Column("prompts", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("votes_enabled", sa.Boolean(), nullable=False),
        sa.Column("vote_limit", sa.Integer(), nullable=False),
        sa.Column("discussing_item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_retro_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_retro_meeting_id")),
    )
    op.create_table(
        "retro_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["retro_id"],
            ["retro.id"],
            name=op.f("fk_retro_group_retro_id_retro"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_group")),
    )
    with op.batch_alter_table("retro_group", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_group_retro_id"), ["retro_id"], unique=False)

    op.create_table(
        "retro_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("prompt", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
            name=op.f("fk_retro_item_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["retro_group.id"],
            name=op.f("fk_retro_item_group_id_retro_group"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["retro_id"],
            ["retro.id"],
            name=op.f("fk_retro_item_retro_id_retro"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_item")),
    )
    with op.batch_alter_table("retro_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_item_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_retro_item_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_retro_item_retro_id"), ["retro_id"], unique=False)

    op.create_table(
        "retro_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.String(length=500), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["card.id"], name=op.f("fk_retro_action_card_id_card"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["retro_item.id"],
            name=op.f("fk_retro_action_item_id_retro_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_retro_action_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
            name=op.f("fk_retro_action_owner_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_action")),
    )
    with op.batch_alter_table("retro_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retro_action_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_retro_action_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "retro_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["retro_item.id"],
            name=op.f("fk_retro_vote_item_id_retro_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_retro_vote_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_vote")),
    )
    with op.batch_alter_table("retro_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_vote_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_retro_vote_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("step", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("skipped_steps", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("review_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("timer_ends_at", alex.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("started_at", alex.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("finished_at", alex.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_review_user_id_user"),
            "user",
            ["review_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meeting_review_user_id_user"), type_="foreignkey")
        for column in (
            "finished_at",
            "started_at",
            "timer_ends_at",
            "review_user_id",
            "skipped_steps",
            "step",
        ):
            batch_op.drop_column(column)
    # Dependants first; indexes go with their tables.
    for table in (
        "retro_vote",
        "retro_action",
        "retro_item",
        "retro_group",
        "retro",
        "meeting_attendance",
        "retro_template",
    ):
        op.drop_table(table)
