"""The operator's audit log: every console action, append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow


class AuditChangeRefused(RuntimeError):
    """An audit entry was to be changed or deleted: the log only grows."""


class OperatorAuditEntry(Base):
    """Who did what to which account, and when. Ids and action names only: no content, no
    secrets. The ids are plain numbers, not foreign keys, so deleting an account (or the
    operator's own) never changes or removes an entry."""

    __tablename__ = "operator_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # None: the command line
    action: Mapped[str] = mapped_column(String(40))
    target_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A value without content: a role's name, a policy, "set"/"removed".
    detail: Mapped[str] = mapped_column(String(80), default="")


@event.listens_for(OperatorAuditEntry, "before_update")
def _refuse_update(_mapper, _connection, _target) -> None:
    raise AuditChangeRefused("operator_audit entries cannot be changed")


@event.listens_for(OperatorAuditEntry, "before_delete")
def _refuse_delete(_mapper, _connection, _target) -> None:
    raise AuditChangeRefused("operator_audit entries cannot be deleted")
