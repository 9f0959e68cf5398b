"""What the Börse and the instance library keep: listings, join requests, published items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.auth.models import User
from alex.db import Base, UTCDateTime, utcnow
from alex.expeditions.models import Expedition

MESSAGE_MAX = 500
LISTING_TEXT_MAX = 2000
NAME_MAX = 120


class Opening(Base):
    """An expedition listed on the Börse: places offered, until when, and a word about it.

    `seats_taken` rises only through a conditional UPDATE (`seats_taken < seats`) when a
    facilitator accepts a request, so two acceptances for the last place cannot both win.
    """

    __tablename__ = "opening"

    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), primary_key=True
    )
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    seats: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deadline: Mapped[date]  # the last day to ask, in the expedition's time zone
    description: Mapped[str] = mapped_column(Text, default="")
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    listed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    expedition: Mapped[Expedition] = relationship()


class JoinRequest(Base):
    """Someone asks to join a listed expedition; one request per person and expedition."""

    __tablename__ = "join_request"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # or accepted, declined
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LibraryItem(Base):
    """A retro format or an Expeditions-Vorlage a facilitator shared with the whole instance.

    A copy taken when it was shared: the prompts of a format, or the settings of an expedition
    (no title, no description, nothing its members wrote). The source is kept only to offer
    "unpublish" where it was shared; deleting the source deletes the item.
    """

    __tablename__ = "library_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "retro_format" or "vorlage"
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    note: Mapped[str] = mapped_column(String(LISTING_TEXT_MAX), default="")  # a word on use
    prompts: Mapped[str] = mapped_column(Text, default="")  # retro formats: one a line
    sprint_weeks: Mapped[int | None] = mapped_column(Integer)
    sprint_count: Mapped[int | None] = mapped_column(Integer)
    pit_stops: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    retention_months: Mapped[int | None] = mapped_column(Integer)
    source_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("retro_template.id", ondelete="CASCADE"), unique=True
    )
    source_expedition_id: Mapped[int | None] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), unique=True
    )
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    show_publisher: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An operator took it out of the library (it stays with its publisher, marked hidden).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    publisher: Mapped[User | None] = relationship(foreign_keys=[publisher_id])
