"""Meetings on the expedition's calendar: Auftakt, Zirkeltreffen, Boxenstopp, Abschluss."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow

MEETING_KINDS = ("kickoff", "zirkeltreffen", "pit_stop", "closing")
MEETING_STATUSES = ("scheduled", "running", "finished")


class Meeting(Base):
    """A scheduled meeting. `version` rises on every change; live clients poll it (204 if unchanged)."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_expedition_starts", "expedition_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="zirkeltreffen")  # MEETING_KINDS
    sprint_number: Mapped[int | None] = mapped_column(Integer)  # the sprint it closes
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    location: Mapped[str] = mapped_column(String(500), default="")  # room or video link
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # MEETING_STATUSES
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
