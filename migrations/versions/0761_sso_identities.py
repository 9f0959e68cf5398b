"""Single sign-on: accounts linked to an identity provider (issuer + sub), ID tokens per login.

Revision ID: 0761
Revises: 0751
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0761"
down_revision: str | None = "0751"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sso_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("granted_operator", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("granted_creator", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "granted_training_office", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_sso_identity_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identity")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_sso_identity_issuer_subject")),
    )
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_identity_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sso_login",
        sa.Column("login_session_token", sa.String(length=64), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["login_session_token"],
            ["login_session.token"],
            name=op.f("fk_sso_login_login_session_token_login_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("login_session_token", name=op.f("pk_sso_login")),
    )


def downgrade() -> None:
    op.drop_table("sso_login")
    with op.batch_alter_table("sso_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_identity_user_id"))
    op.drop_table("sso_identity")
