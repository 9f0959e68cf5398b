"""Anonymous retro notes: no time stored on a note, and a keyed author link kept on the server.

`retro_item.created_at` (microseconds, matchable against check-ins and other rows) goes;
`author_key` lets the server show people their own anonymous notes on any device, instead of a
list of note ids in the (signed, readable) session cookie. New notes get random ids (in the
model); the ids of notes written before stay as they were.

Revision ID: 0520
Revises: 0503
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0520"
down_revision: str | None = "0503"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("retro_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_key", sa.String(length=32), nullable=True))
        batch_op.drop_column("created_at")


def downgrade() -> None:
    # The times are gone for good; notes written before the downgrade get the downgrade's time.
    with op.batch_alter_table("retro_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                server_default=sa.func.current_timestamp(),
                nullable=False,
            )
        )
        batch_op.drop_column("author_key")
