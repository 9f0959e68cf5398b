"""The operator's console: instance settings (who may create expeditions, the banner), the
retention purge's runs, and the append-only audit log of operator actions.

Revision ID: 0762
Revises: 0763
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alex.db

revision: str = "0762"
down_revision: str | None = "0763"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "expedition_creation", sa.String(length=16), server_default="everyone", nullable=False
        ),
        sa.Column("announcement", sa.String(length=500), nullable=True),
        sa.Column("announcement_until", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("announcement_revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", alex.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_settings")),
    )
    op.create_table(
        "retention_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expeditions_deleted", sa.Integer(), nullable=False),
        sa.Column("sessions_deleted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run")),
    )
    op.create_index(op.f("ix_retention_run_ran_at"), "retention_run", ["ran_at"], unique=False)
    op.create_table(
        "operator_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", alex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_audit")),
    )
    op.create_index(
        op.f("ix_operator_audit_created_at"), "operator_audit", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_operator_audit_target_user_id"),
        "operator_audit",
        ["target_user_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Append-only below the application too: a hand-written UPDATE or DELETE is refused.
        # (TRUNCATE is left to the database owner; SQLite relies on the model's guard.)
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER operator_audit_append_only BEFORE UPDATE OR DELETE ON operator_audit "
            "FOR EACH ROW EXECUTE FUNCTION operator_audit_refuse_change()"
        )


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION operator_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'operator_audit is append-only';
END;
$$ LANGUAGE plpgsql
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER operator_audit_append_only ON operator_audit")
        op.execute("DROP FUNCTION operator_audit_refuse_change()")
    op.drop_index(op.f("ix_operator_audit_target_user_id"), table_name="operator_audit")
    op.drop_index(op.f("ix_operator_audit_created_at"), table_name="operator_audit")
    op.drop_table("operator_audit")
    op.drop_index(op.f("ix_retention_run_ran_at"), table_name="retention_run")
    op.drop_table("retention_run")
    op.drop_table("instance_settings")
