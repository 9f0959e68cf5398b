"""A follow-up run (Anschluss-Expedition) and who of the old circle was asked to come along."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.db import Base, UTCDateTime, utcnow
from alex.expeditions.models import Expedition


class FollowUp(Base):
    """The link both ways: `previous` was continued in `following` (one follow-up each)."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    previous_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), unique=True
    )
    following_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    previous: Mapped[Expedition] = relationship(foreign_keys=[previous_id])
    following: Mapped[Expedition] = relationship(foreign_keys=[following_id])


class FollowUpInvitation(Base):
    """One member of the old circle, asked along; nobody joins without saying yes."""

    __tablename__ = "follow_up_invitation"
    __table_args__ = (UniqueConstraint("follow_up_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/joined/declined
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
