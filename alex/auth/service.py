"""Account domain functions: passwords, lockout, login sessions. No request handling here."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from math import ceil

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import ScalarSelect, bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from alex.auth.models import LoginSession, User
from alex.db import utcnow
from alex.extensions import db

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
EMAIL_TAKEN = _l("An account with this e-mail address already exists. Log in instead.")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Only the test suite may ask for this (never settable from the environment): the real cost,
# ~1 s on a busy CI machine, would make each login in thousands of tests expensive.
_cheap_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def _current_hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("ALEX_CHEAP_PASSWORD_HASHING"):
        return _cheap_hasher
    return _hasher


class AuthError(Exception):
    """A login or account change that cannot go ahead; the message is shown to the user."""


class LoginFailed(AuthError):
    """A wrong password: the failure was counted and must be committed."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _current_hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password against the stored hash."""
    try:
        return _current_hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, user_inputs: list[str]) -> str | None:
    """Why a new password is too weak, or None. Works offline (zxcvbn)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(_l("Use at most %(count)d characters.", count=MAX_PASSWORD_LENGTH))
    # zxcvbn is slow on very long input; the first 100 characters decide anyway.
    # Parts of the name and address count as known words: "adalorenz2026" is weak for Ada Lorenz.
    words = {w for u in user_inputs if u for w in [u, *re.split(r"[\s@._+-]+", u)] if w}
    if zxcvbn(password[:100], user_inputs=sorted(words))["score"] < 3:
        return str(_l("This password is too easy to guess. Try a short sentence of several words."))
    return None


def normalise_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively."""
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account with this e-mail address, if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(
    session: Session, name: str, email: str, password: str, locale: str | None = None
) -> User:
    """Create an account; the e-mail address must be free."""
    if find_user_by_email(session, email) is not None:
        raise AuthError(EMAIL_TAKEN)
    user = User(
        name=name.strip(),
        email=normalise_email(email),
        password_hash=hash_password(password),
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int
    minutes: int


def authenticate(session: Session, email: str, password: str, policy: LockoutPolicy) -> User:
    """Return the user for these credentials, counting failures and locking the account.

    The counter is updated with a single UPDATE statement, so failures from several workers at
    once are all counted.
    """
    user = find_user_by_email(session, email)
    now = utcnow()
    if user is None:
        _current_hasher().hash(
            password
        )  # spend the same time as a real check: no account enumeration
        raise AuthError(_l("E-mail address or password is wrong."))
    if user.locked_until and user.locked_until > now:
        minutes = max(1, ceil((user.locked_until - now).total_seconds() / 60))
        raise AuthError(
            ngettext(
                "Too many failed attempts: this account is locked. Try again in %(num)d minute.",
                "Too many failed attempts: this account is locked. Try again in %(num)d minutes.",
                minutes,
            )
        )
    if not verify_password(user, password):
        failed = session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        ).scalar_one()
        if failed >= policy.threshold:
            session.execute(
                update(User)
                .where(User.id == user.id)
                .values(locked_until=now + timedelta(minutes=policy.minutes), failed_logins=0)
            )
        # The caller commits even though the login failed: the count must stick.
        raise LoginFailed(_l("E-mail address or password is wrong."))
    if _current_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    return user


def start_login_session(session: Session, user: User, user_agent: str = "") -> LoginSession:
    """Open a server-side login session; its token goes into the cookie."""
    login = LoginSession(token=secrets.token_urlsafe(32), user=user, user_agent=user_agent[:200])
    session.add(login)
    session.flush()
    user.session_token = login.token
    return login


def end_login_session(session: Session, token: str) -> None:
    """Sign one browser out: its cookie stops working on every worker at once."""
    session.execute(delete(LoginSession).where(LoginSession.token == token))


def end_all_login_sessions(session: Session, user: User) -> int:
    """Sign the account out everywhere ("Überall abmelden"); returns how many sessions ended."""
    return session.execute(delete(LoginSession).where(LoginSession.user_id == user.id)).rowcount


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password; every existing session of the account ends."""
    user.password_hash = hash_password(new_password)
    end_all_login_sessions(session, user)


def count_login_sessions(session: Session, user: User) -> int:
    """How many browsers are signed in to this account."""
    return (
        session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
        )
        or 0
    )


# Per-user values other areas show on every page (the unread-notification badge), read in the
# loader's own statement instead of one more statement per page: name -> a function building a
# scalar subquery correlated with User.id. Areas register at import time, before the first request.
USER_EXTRAS: dict[str, Callable[[], ScalarSelect]] = {}


def register_user_extra(name: str, build: Callable[[], ScalarSelect]) -> None:
    """Have the user loader read a per-user value (see USER_EXTRAS)."""
    USER_EXTRAS[name] = build
    _user_by_token_query.cache_clear()


@cache
def _user_by_token_query():
    """Built once: every page of a logged-in person runs it."""
    extras = [build().label(name) for name, build in USER_EXTRAS.items()]
    return (
        select(User, *extras)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token == bindparam("token"))
    )


def load_user_by_session_token(token: str) -> User | None:
    """Flask-Login's loader: one query joins the session to its user (only the user is built)."""
    row = db.session.execute(_user_by_token_query(), {"token": token}).first()
    if row is None:
        return None
    user, *values = row
    user.session_token = token
    user.loaded_extras = dict(zip(USER_EXTRAS, values, strict=True))
    return user


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Whether the account is locked right now."""
    return bool(user.locked_until and user.locked_until > (now or utcnow()))
