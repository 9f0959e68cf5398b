"""Second factors of accounts, their recovery codes, and expeditions that require them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow


class TwoFactor(Base):
    """An account's TOTP secret; `enabled_at` is None while the set-up is not yet confirmed."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step a code was accepted for: the same code never works twice.
    last_used_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """A one-time code for when the phone is lost; only its hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TwoFactorRequirement(Base):
    """The facilitator requires every member of this expedition to log in with a second factor."""

    __tablename__ = "two_factor_requirement"

    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), primary_key=True
    )
    required_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
