"""Login sessions that expire and remember the second factor; code failures counted apart.

The hard lock (`locked_until`) becomes the time of the next allowed attempt (`next_login_at`).
Existing sessions start their idle time now and count as not having passed a second factor.

Revision ID: 0601
Revises: 0520
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0601"
down_revision: str | None = "0520"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen", alex.db.UTCDateTime(timezone=True)))
        batch_op.add_column(
            sa.Column(
                "passed_second_factor", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.execute("UPDATE login_session SET last_seen = created_at")
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.alter_column("last_seen", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f("ix_login_session_last_seen"), ["last_seen"])
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column(
            "locked_until",
            new_column_name="next_login_at",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=True,
        )
        batch_op.add_column(
            sa.Column("failed_codes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("next_code_at", alex.db.UTCDateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("next_code_at")
        batch_op.drop_column("failed_codes")
        batch_op.alter_column(
            "next_login_at",
            new_column_name="locked_until",
            existing_type=sa.DateTime(timezone=True),
            existing_nullable=True,
        )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_last_seen"))
        batch_op.drop_column("passed_second_factor")
        batch_op.drop_column("last_seen")
