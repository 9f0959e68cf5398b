"""Certificates of attendance (Teilnahmebescheinigung): a snapshot per participant, revocable.

Revision ID: 0764
Revises: 0762
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0764"
down_revision: str | None = "0762"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("expedition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("valid_slot", sa.Integer(), nullable=True),
        sa.Column("holder_name", sa.String(length=80), nullable=False),
        sa.Column("expedition_title", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("facilitator_name", sa.String(length=80), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("meetings_held", sa.Integer(), nullable=False),
        sa.Column("meetings_attended", sa.Integer(), nullable=False),
        sa.Column("minutes_per_meeting", sa.Integer(), nullable=False),
        sa.Column("issued_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["expedition_id"],
            ["expedition.id"],
            name=op.f("fk_certificate_expedition_id_expedition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user.id"],
            name=op.f("fk_certificate_issued_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["user.id"],
            name=op.f("fk_certificate_revoked_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_certificate_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
        sa.UniqueConstraint(
            "expedition_id",
            "user_id",
            "valid_slot",
            name=op.f("uq_certificate_expedition_id_user_id_valid_slot"),
        ),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_expedition_id"), ["expedition_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certificate_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_user_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_expedition_id"))
    op.drop_table("certificate")
