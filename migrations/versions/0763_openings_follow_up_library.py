"""Open expeditions (Börse: listing, join requests), follow-up runs with their invitations, and
the instance library of retro formats and Expeditions-Vorlagen.

Revision ID: 0763
Revises: 0766
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0763"
down_revision: str | None = "0766"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=False),
        sa.Column("following_id", sa.Integer(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_follow_up_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["following_id"],
            ["expedition.id"],
            name=op.f("fk_follow_up_following_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["expedition.id"],
            name=op.f("fk_follow_up_previous_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint("following_id", name=op.f("uq_follow_up_following_id")),
        sa.UniqueConstraint("previous_id", name=op.f("uq_follow_up_previous_id")),
    )
    op.create_table(
        "join_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user.id"],
            name=op.f("fk_join_request_decided_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_join_request_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_join_request_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_request")),
        sa.UniqueConstraint(
            "expedition_id", "user_id", name=op.f("uq_join_request_expedition_id_user_id")
        ),
    )
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_join_request_expedition_id"), ["expedition_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_join_request_user_id"), ["user_id"], unique=False)

    op.create_table(
        "opening",
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("listed_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("listed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_opening_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listed_by_id"],
            ["user.id"],
            name=op.f("fk_opening_listed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("expedition_id", name=op.f("pk_opening")),
    )
    op.create_table(
        "follow_up_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_up.id"],
            name=op.f("fk_follow_up_invitation_follow_up_id_follow_up"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_follow_up_invitation_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_invitation")),
        sa.UniqueConstraint(
            "follow_up_id", "user_id", name=op.f("uq_follow_up_invitation_follow_up_id_user_id")
        ),
    )
    with op.batch_alter_table("follow_up_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follow_up_invitation_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "library_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("prompts", sa.Text(), nullable=False),
        sa.Column("sprint_weeks", sa.Integer(), nullable=True),
        sa.Column("sprint_count", sa.Integer(), nullable=True),
        sa.Column("pit_stops", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("retention_months", sa.Integer(), nullable=True),
        sa.Column("source_template_id", sa.Integer(), nullable=True),
        sa.Column("source_expedition_id", sa.Integer(), nullable=True),
        sa.Column("publisher_id", sa.Integer(), nullable=True),
        sa.Column("show_publisher", sa.Boolean(), nullable=False),
        sa.Column("published_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hidden_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["user.id"],
            name=op.f("fk_library_item_hidden_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["user.id"],
            name=op.f("fk_library_item_publisher_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_expedition_id"],
            ["expedition.id"],
            name=op.f("fk_library_item_source_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_template_id"],
            ["retro_template.id"],
            name=op.f("fk_library_item_source_template_id_retro_template"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_item")),
        sa.UniqueConstraint(
            "source_expedition_id", name=op.f("uq_library_item_source_expedition_id")
        ),
        sa.UniqueConstraint("source_template_id", name=op.f("uq_library_item_source_template_id")),
    )


def downgrade() -> None:
    op.drop_table("library_item")
    with op.batch_alter_table("follow_up_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_invitation_user_id"))

    op.drop_table("follow_up_invitation")
    op.drop_table("opening")
    with op.batch_alter_table("join_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_join_request_user_id"))
        batch_op.drop_index(batch_op.f("ix_join_request_expedition_id"))

    op.drop_table("join_request")
    op.drop_table("follow_up")
