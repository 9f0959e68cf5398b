"""Expedition cache epoch: raised by a restore from a backup, so the per-process caches never
serve an entry from before the restore (a restore takes board revisions back).

Revision ID: 0503
Revises: 0502
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0503"
down_revision: str | None = "0502"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("expedition", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cache_epoch", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("expedition", schema=None) as batch_op:
        batch_op.drop_column("cache_epoch")
