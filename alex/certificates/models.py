"""What a Teilnahmebescheinigung records: a snapshot taken when it was issued."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow

CODE_LENGTH = 12  # base32 characters: 60 random bits


class Certificate(Base):
    """One certificate of attendance for one participant of one expedition.

    Names, title, dates and counts are copied when it is issued: a document says what it said on
    the day, whatever changes later. Revoking keeps the row (the verify page says "revoked").
    `valid_slot` is 1 while valid and NULL once revoked; with the unique constraint it allows one
    valid certificate per person and expedition (NULLs never collide), so two facilitators
    issuing at once cannot make two.
    """

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id", "valid_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    valid_slot: Mapped[int | None] = mapped_column(Integer, default=1)
    holder_name: Mapped[str] = mapped_column(String(80))
    expedition_title: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(200), default="")  # the organisation, if set
    facilitator_name: Mapped[str] = mapped_column(String(80))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    start_date: Mapped[date]
    end_date: Mapped[date]
    meetings_held: Mapped[int] = mapped_column(Integer)
    meetings_attended: Mapped[int] = mapped_column(Integer)
    minutes_per_meeting: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @property
    def total_minutes(self) -> int:
        """Hours of attendance, in minutes: meetings attended × the length set when issuing."""
        return self.meetings_attended * self.minutes_per_meeting

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
