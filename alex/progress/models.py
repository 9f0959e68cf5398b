"""Tables of the progress area: Rückenwind (kudos), support answers, calendar tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.auth.models import User
from alex.boards.models import Card
from alex.db import Base, UTCDateTime, utcnow

# Stable keys (forms, URLs, stored rows); the labels live in alex.progress.labels.
KUDOS_KINDS = ("great_step", "brave_experiment", "learned_too", "keep_going")
SUPPORT_KINDS = ("note", "talk")
NOTE_MAX = 280


class Kudos(Base):
    """Rückenwind: encouragement one member sends another on a card or a check-in."""

    __tablename__ = "kudos"
    __table_args__ = (
        Index("ix_kudos_expedition_receiver", "expedition_id", "receiver_id", "created_at"),
        CheckConstraint("(card_id IS NULL) <> (check_in_id IS NULL)", name="exactly_one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    # Kept when the sender deletes their account: the encouragement stays, anonymised.
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    receiver_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int | None] = mapped_column(
        ForeignKey("card.id", ondelete="CASCADE"), index=True
    )
    check_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("check_in.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # KUDOS_KINDS
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User | None] = relationship(foreign_keys=[sender_id])
    card: Mapped[Card | None] = relationship()


class SupportResponse(Base):
    """An answer to an "Ich brauche Unterstützung" check-in: a short note or "Lass uns sprechen"."""

    __tablename__ = "support_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_in_id: Mapped[int] = mapped_column(
        ForeignKey("check_in.id", ondelete="CASCADE"), index=True
    )
    responder_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # SUPPORT_KINDS
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    responder: Mapped[User | None] = relationship(foreign_keys=[responder_id])


class CalendarToken(Base):
    """The secret in a member's private calendar feed URL; revoking it ends the old URL at once."""

    __tablename__ = "calendar_token"
    __table_args__ = (Index("ix_calendar_token_member", "expedition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
