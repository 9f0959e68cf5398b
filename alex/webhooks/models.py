"""Webhooks of an expedition and the record of their last deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow

URL_MAX = 500
SECRET_MAX = 80
ERROR_MAX = 200


class Webhook(Base):
    """A URL told of an expedition's events, signed with its own secret (Standard Webhooks).

    The secret stays readable in the database: signing needs it (HMAC), so it cannot be kept
    as a hash. It is shown once, when the webhook is made.
    """

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(URL_MAX))
    events: Mapped[list] = mapped_column(JSON, default=list)  # names from alex.events.EVENTS
    secret: Mapped[str] = mapped_column(String(SECRET_MAX))  # "whsec_" + base64
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # "" while enabled; "manual" or "failures" (turned off after failing again and again).
    disabled_reason: Mapped[str] = mapped_column(String(16), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts in a row
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One attempt to deliver one event (the settings page lists the last few)."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhook.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(40))  # the webhook-id header, same on retries
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: no HTTP answer at all
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(String(ERROR_MAX), default="")
