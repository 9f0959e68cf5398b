"""What the reach area keeps: which reminder went to whom (each goes out once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow


class NudgeSent(Base):
    """One reminder given; its key names the occasion (e.g. `check_in:<meeting>:<user>`)."""

    __tablename__ = "reach_nudge"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
