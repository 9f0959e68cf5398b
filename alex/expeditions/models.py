"""Expeditions, who takes part in them, and the invite links that bring people in."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.auth.models import User
from alex.db import Base, UTCDateTime, utcnow


class Expedition(Base):
    """One Lernzirkel's journey over a fixed period of sprints."""

    __tablename__ = "expedition"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    sprint_weeks: Mapped[int] = mapped_column(Integer, default=4)
    sprint_count: Mapped[int] = mapped_column(Integer, default=6)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    # The language of mails to people who have no account yet (invitations); None: the default.
    locale: Mapped[str | None] = mapped_column(String(5))
    pit_stops: Mapped[bool] = mapped_column(Boolean, default=False)  # Boxenstopps at ⅓ and ⅔
    # Months after the end when everything is deleted; None keeps it.
    retention_months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised on every expedition by a restore from a backup (alex.backup), which takes board
    # revisions back: the per-process caches key on it (alex.caching, docs/PERFORMANCE.md).
    cache_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Optimistic lock: two facilitators saving settings at once, the second gets 409, not a
    # silent overwrite.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="expedition", cascade="all, delete-orphan", passive_deletes=True
    )
    invites: Mapped[list[Invite]] = relationship(
        back_populates="expedition", cascade="all, delete-orphan", passive_deletes=True
    )


class Membership(Base):
    """A person's part in an expedition: participant, facilitator (Moderation), or both."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_participant: Mapped[bool] = mapped_column(Boolean, default=True)
    wip_limit: Mapped[int] = mapped_column(Integer, default=3)  # soft limit for "In Arbeit"
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised in the same transaction as every change of this person's cards or checklists
    # (alex.boards.revision): a board loaded at one revision is valid until the next.
    board_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    expedition: Mapped[Expedition] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    joined_now = False  # set by accept_invite on a membership it has just created (not a column)


class Invite(Base):
    """A link the facilitator shares; revocable, expiring, optionally single-use."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    single_use: Mapped[bool] = mapped_column(Boolean, default=False)
    as_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the invite went out by mail (one single-use link per address).
    email: Mapped[str | None] = mapped_column(String(254))

    expedition: Mapped[Expedition] = relationship(back_populates="invites")
    created_by: Mapped[User | None] = relationship()
