"""Meeting control that holds: the countdown's length, and who is done writing in a retro.

`meeting.timer_minutes` makes "start the timer for 5 minutes" an idempotent target (a second,
identical command is a no-op). `retro_done` holds the participants who said they are done
writing ("3 von 5 fertig"); one row each, so it never conflicts with notes or votes.

Revision ID: 0731
Revises: 0721
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0731"
down_revision: str | None = "0721"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timer_minutes", sa.Integer(), nullable=True))
    op.create_table(
        "retro_done",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retro_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["retro_id"], ["retro.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("retro_id", "user_id"),
    )
    with op.batch_alter_table("retro_done", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_done_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("retro_done", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_done_user_id"))
    op.drop_table("retro_done")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("timer_minutes")
