"""Web Push subscriptions: one row per device (browser) a person turned push on for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow

ENDPOINT_MAX = 1000
USER_AGENT_MAX = 300


class PushSubscription(Base):
    """Where a push service accepts messages for one browser, and the keys to encrypt them to it.

    `p256dh` (the browser's public ECDH key) and `auth` (its 16-byte secret) are base64url as
    the browser's PushSubscription.toJSON() gives them. `show_content`: this device's lock screen
    may show what a message is about; otherwise only a neutral sentence.
    """

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(ENDPOINT_MAX), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(30))
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")  # names the device
    show_content: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
