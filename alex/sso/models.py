"""Links between accounts and their identity provider, and the ID token of each SSO login."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from alex.db import Base, UTCDateTime, utcnow


class SsoIdentity(Base):
    """An account's person at an identity provider: issuer and `sub` never change, the e-mail may.

    The `granted_*` flags say which instance roles the role claim gave (and so may take away
    again when the claim no longer names them); a role set in the operator's console is not
    marked and stays whatever the claim says.
    """

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    granted_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    granted_creator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    granted_training_office: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class SsoLogin(Base):
    """The ID token behind one login session: the provider's logout asks for it (id_token_hint).

    Kept in the database, not the cookie (a kilobyte more on every request); it goes with its
    login session.
    """

    __tablename__ = "sso_login"

    login_session_token: Mapped[str] = mapped_column(
        ForeignKey("login_session.token", ondelete="CASCADE"), primary_key=True
    )
    id_token: Mapped[str] = mapped_column(Text)
