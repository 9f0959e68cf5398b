"""Meeting series planned in one go, and members' notes on agreed actions.

`meeting.series_id` ties the meetings planned together from the sprint calendar, so one of
them can be changed "with all following". `retro_action_note` keeps what members (often those
who missed the meeting) add to an action.

Revision ID: 0741
Revises: 0731
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0741"
down_revision: str | None = "0731"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_meeting_series_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_series")),
    )
    with op.batch_alter_table("meeting_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_series_expedition_id"), ["expedition_id"], unique=False
        )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_meeting_series_id"), ["series_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_series_id_meeting_series"),
            "meeting_series",
            ["series_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "retro_action_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["retro_action.id"],
            name=op.f("fk_retro_action_note_action_id_retro_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
            name=op.f("fk_retro_action_note_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_action_note")),
    )
    with op.batch_alter_table("retro_action_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retro_action_note_action_id"), ["action_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("retro_action_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_action_note_action_id"))
    op.drop_table("retro_action_note")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_meeting_series_id_meeting_series"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_meeting_series_id"))
        batch_op.drop_column("series_id")
    with op.batch_alter_table("meeting_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_series_expedition_id"))
    op.drop_table("meeting_series")
