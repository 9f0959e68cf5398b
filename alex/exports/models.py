"""What the exports area stores: the final reflection (with consents) and the report choices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow

REFLECTION_MAX = 5_000


class FinalReflection(Base):
    """A participant's look back at the end of the expedition, and what they allow others to see.

    `version` is the optimistic lock: a save made from a stale form changes nothing (409).
    """

    __tablename__ = "final_reflection"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    vorhaben_now: Mapped[str] = mapped_column(Text, default="")  # where my Vorhaben stands now
    learned: Mapped[str] = mapped_column(Text, default="")
    keep_doing: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")  # what I would tell the next Zirkel
    # Consents, both off until the person opts in.
    release_to_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    named_in_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ReportSelection(Base):
    """What a participant chose to leave out of their Lernbericht (kept per user and expedition)."""

    __tablename__ = "report_selection"
    __table_args__ = (UniqueConstraint("expedition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # Stored as exclusions, so sections and cards added later are included by default.
    excluded_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    excluded_card_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
