"""Personal access tokens: a person's key for the read-only JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow

NAME_MAX = 80


class ApiToken(Base):
    """One personal access token; only the SHA-256 of the secret is kept.

    `scope` is "read" for now (the only one there is), stored so that more can come without a
    new column. `with_second_factor`: the login session that made it had passed the second
    factor, so the token reaches expeditions that require one, as that session did.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(20), default="read")
    with_second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
