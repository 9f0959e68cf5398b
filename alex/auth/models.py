"""Accounts and their login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.db import Base, UTCDateTime, utcnow


class User(Base):
    """A person with an account; takes part in expeditions through memberships."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))  # None: follow the browser
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Failed checks and the growing wait they cause live in the database, so they hold across
    # workers and servers. Passwords and second-factor codes count apart: the right password
    # must never reset the count of wrong codes (see SECURITY.md).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    next_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_codes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_code_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the mail server refused the address permanently (5xx); the account page says so.
    email_undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_undeliverable_reason: Mapped[str | None] = mapped_column(String(200))
    # Instance roles. An operator ("Betrieb") runs the instance and sees no expedition content
    # unless also a member; the training office ("Bildung") sees only aggregate figures. Both are
    # granted in the operator's console or by the identity provider's role claim (alex.sso).
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_training_office: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Counts only when the instance lets "listed people" create expeditions (the console decides).
    may_create_expeditions: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # A deactivated account cannot log in by any way; its data stay until it is deleted.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    login_sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Flask-Login protocol. The cookie carries a login-session token, not the user id, so that a
    # session can be ended on the server (logout, password change, "Überall abmelden").
    is_active = True
    is_anonymous = False
    is_authenticated = True
    session_token = None  # set by the loader: the token of this request's LoginSession
    passed_second_factor = False  # set by the loader: whether this LoginSession passed it
    loaded_extras: dict = {}  # set by the loader, per user: auth.service.USER_EXTRAS (never mutated)

    def get_id(self) -> str | None:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginSession(Base):
    """One signed-in browser; deleting the row signs that browser out everywhere at once."""

    __tablename__ = "login_session"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed at most once a minute; the idle limit counts from here.
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # Whether this browser proved the second factor: what an expedition's requirement checks.
    passed_second_factor: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    user: Mapped[User] = relationship(back_populates="login_sessions")


class PasswordReset(Base):
    """A password-reset link: only the SHA-256 of its token is kept; it works once, briefly."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EmailChange(Base):
    """A pending change of the account's e-mail address: the link went to the new address.

    Like a password reset, only the SHA-256 of the link's token is kept; it works once, for a
    day, and only for the account that asked (alex/auth/email_change.py says why).
    """

    __tablename__ = "email_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
