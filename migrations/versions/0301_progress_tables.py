"""progress: Rückenwind (kudos), support responses, notifications, calendar tokens

Revision ID: 0301
Revises: 0201
Create Date: 2026-11-24 17:45:52.509658
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0301"
down_revision: str | None = "0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_calendar_token_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_calendar_token_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_token")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_token_token")),
    )
    with op.batch_alter_table("calendar_token", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calendar_token_member", ["expedition_id", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calendar_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
            name=op.f("fk_notification_actor_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_notification_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notification_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_expedition_id"), ["expedition_id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_user_read", ["user_id", "read_at", "created_at"], unique=False
        )

    op.create_table(
        "kudos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("check_in_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=280), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(card_id IS NULL) <> (check_in_id IS NULL)", name=op.f("ck_kudos_exactly_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["card.id"], name=op.f("fk_kudos_card_id_card"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["check_in_id"],
            ["check_in.id"],
            name=op.f("fk_kudos_check_in_id_check_in"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_kudos_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["user.id"], name=op.f("fk_kudos_receiver_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["user.id"], name=op.f("fk_kudos_sender_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos")),
    )
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kudos_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kudos_check_in_id"), ["check_in_id"], unique=False)
        batch_op.create_index(
            "ix_kudos_expedition_receiver",
            ["expedition_id", "receiver_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_kudos_receiver_id"), ["receiver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kudos_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "support_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_in_id", sa.Integer(), nullable=False),
        sa.Column("responder_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=280), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_in_id"],
            ["check_in.id"],
            name=op.f("fk_support_response_check_in_id_check_in"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responder_id"],
            ["user.id"],
            name=op.f("fk_support_response_responder_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_response")),
    )
    with op.batch_alter_table("support_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_response_check_in_id"), ["check_in_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_response_responder_id"), ["responder_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_response_responder_id"))
        batch_op.drop_index(batch_op.f("ix_support_response_check_in_id"))

    op.drop_table("support_response")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kudos_sender_id"))
        batch_op.drop_index(batch_op.f("ix_kudos_receiver_id"))
        batch_op.drop_index("ix_kudos_expedition_receiver")
        batch_op.drop_index(batch_op.f("ix_kudos_check_in_id"))
        batch_op.drop_index(batch_op.f("ix_kudos_card_id"))

    op.drop_table("kudos")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_read")
        batch_op.drop_index(batch_op.f("ix_notification_expedition_id"))

    op.drop_table("notification")
    with op.batch_alter_table("calendar_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_token_user_id"))
        batch_op.drop_index("ix_calendar_token_member")

    op.drop_table("calendar_token")
