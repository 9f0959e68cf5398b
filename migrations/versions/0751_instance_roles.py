"""Instance roles on the account: operator ("Betrieb"), training office ("Bildung"), listed
expedition creator, and deactivation.

Revision ID: 0751
Revises: 0741
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0751"
down_revision: str | None = "0741"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        for flag in ("is_operator", "is_training_office", "may_create_expeditions"):
            batch_op.add_column(
                sa.Column(flag, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
        batch_op.add_column(
            sa.Column("deactivated_at", alex.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        for column in ("deactivated_at", "may_create_expeditions", "is_training_office"):
            batch_op.drop_column(column)
        batch_op.drop_column("is_operator")
