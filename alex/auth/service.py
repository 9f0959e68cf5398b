"""Account domain functions: passwords, login, login sessions. No request handling here."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, Select, bindparam, delete, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from alex.auth import attempts, sessions
from alex.auth.audit import security_event
from alex.auth.hooks import hooks
from alex.auth.models import EmailChange, LoginSession, PasswordReset, User
from alex.auth.names import clean_display_name
from alex.db import request_may_write, separate_write, utcnow
from alex.extensions import db

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
EMAIL_TAKEN = _l("An account with this e-mail address already exists. Log in instead.")
# Every failed login says the same, whatever failed: no one learns which addresses exist.
LOGIN_FAILED = _l(
    "That did not work: the e-mail address or the password is wrong, or there were too many "
    "tries. Check both and try again in a moment."
)
# A deactivated account, after the right password: says no more than that it cannot log in.
ACCOUNT_DEACTIVATED = _l(
    "This account cannot log in at the moment. If you think that is a mistake, ask the people "
    "who run ALEx at your organisation."
)
# argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane). The library's default
# (RFC 9106 "low memory": 64 MiB, 3 passes, 4 lanes) took about a second per login on a busy
# two-core server, most of the 3.6 s a login took; this is a quarter of it, with a memory cost
# that still defeats GPUs. Hashes made with other parameters are replaced at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
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


# An account without a local password (made by single sign-on) stores a hash no password can
# match: argon2 refuses to read it, so every password check fails, and pages can tell (Django's
# convention). Password recovery never gives such an account a password (alex/auth/recovery.py).
UNUSABLE_PASSWORD_PREFIX = "!"


def unusable_password_hash() -> str:
    """A stored hash that no password matches and that says so."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(24)


def has_password(user: User) -> bool:
    """Whether the account can log in with a local password at all."""
    return not user.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)


# An account without a password proves it is its owner at the door instead: a login (through
# the identity provider) this recent counts as confirmation for grave steps (deleting it).
RECENT_SIGN_IN = timedelta(minutes=10)


def signed_in_recently(session: Session, user: User) -> bool:
    """Whether this browser's login session started within RECENT_SIGN_IN."""
    created = session.scalar(
        select(LoginSession.created_at).where(LoginSession.token == user.session_token)
    )
    return created is not None and utcnow() - created < RECENT_SIGN_IN


def local_login_enabled() -> bool:
    """Whether everyone may log in with a password: yes, unless the operator switched it off
    (ALEX_LOCAL_LOGIN=0), which counts only with single sign-on configured."""
    config = current_app.config
    return bool(config["ALEX_LOCAL_LOGIN"] or not config["ALEX_OIDC_ISSUER"])


def local_login_allowed(user: User) -> bool:
    """Password login for this account; with it switched off, operators keep it as their way in
    when the identity provider fails."""
    return local_login_enabled() or user.is_operator


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
        name=clean_display_name(name) or "",
        email=normalise_email(email),
        password_hash=hash_password(password),
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash no password matches, made with the same parameters as real ones."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(32))
    return _DUMMY_HASHES[key]


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _spend_a_check(password: str) -> None:
    """Take as long as a real password check, without one: answers must not tell them apart."""
    hasher = _current_hasher()
    try:
        hasher.verify(_dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        pass


def authenticate(
    session: Session,
    email: str,
    password: str,
    rule: attempts.DelayPolicy,
    known_device_of: Collection[int] = (),
) -> User:
    """Return the user for these credentials, or raise with the one message every failure gets.

    An unknown address, a wrong password and an account that must wait all cost one password
    hash and answer alike, so nobody learns which addresses have accounts. While the account
    waits after failed tries, the password is not even checked, except from a browser that has
    logged in to this account before (`known_device_of` holds its account ids): strangers'
    failures cannot lock the owner out.
    """
    user = find_user_by_email(session, email)
    if user is None:
        _spend_a_check(password)
        security_event("login_failed", reason="unknown_account")
        raise AuthError(LOGIN_FAILED)
    if (
        wait := attempts.seconds_to_wait(user, attempts.Check.PASSWORD)
    ) and user.id not in known_device_of:
        _spend_a_check(password)
        security_event("login_refused", user.id, reason="waiting", seconds=wait)
        raise AuthError(LOGIN_FAILED)
    if not verify_password(user, password):
        failures = attempts.count_failure(session, user.id, attempts.Check.PASSWORD, rule)
        security_event("login_failed", user.id, reason="wrong_password", in_a_row=failures)
        raise LoginFailed(LOGIN_FAILED)
    if user.deactivated_at is not None:
        # Only after the right password: a stranger learns nothing about the account.
        security_event("login_refused", user.id, reason="deactivated")
        raise AuthError(ACCOUNT_DEACTIVATED)
    if _current_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    attempts.reset(user, attempts.Check.PASSWORD)
    return user


def check_password(session: Session, user: User, password: str, rule: attempts.DelayPolicy) -> bool:
    """A logged-in person's password check (account pages): a failure counts like a failed login."""
    if verify_password(user, password):
        return True
    failures = attempts.count_failure(session, user.id, attempts.Check.PASSWORD, rule)
    security_event("password_check_failed", user.id, in_a_row=failures)
    return False


def start_login_session(
    session: Session, user: User, user_agent: str = "", passed_second_factor: bool = False
) -> LoginSession:
    """Open a server-side login session; its token goes into the cookie."""
    now = utcnow()
    login = LoginSession(
        token=secrets.token_urlsafe(32),
        user=user,
        user_agent=user_agent[:200],
        created_at=now,
        last_seen=now,
        passed_second_factor=passed_second_factor,
    )
    session.add(login)
    session.flush()
    user.session_token = login.token
    user.passed_second_factor = passed_second_factor
    return login


def end_login_session(session: Session, token: str) -> None:
    """Sign one browser out: its cookie stops working on every worker at once."""
    session.execute(delete(LoginSession).where(LoginSession.token == token))


def end_all_login_sessions(session: Session, user: User) -> int:
    """Sign the account out everywhere ("Überall abmelden"); returns how many sessions ended.

    Areas registered with `hooks.register_on_all_sessions_ended` drop their per-device state too
    (push subscriptions): a stolen device gets nothing more after a reset.
    """
    ended = session.execute(delete(LoginSession).where(LoginSession.user_id == user.id)).rowcount
    for hook in hooks().sessions_ended:
        hook(session, user.id)
    return ended


def void_open_resets(session: Session, user: User) -> int:
    """Every unused reset link of the account stops working (password or e-mail address changed:
    a link mailed before, perhaps to an old inbox, must not undo it); returns how many."""
    return session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password; every existing session and every open reset link of the account ends.

    So does every pending change of the e-mail address: the notice to the old address tells
    someone who did not ask for it to change the password, and that must stop the change.
    """
    user.password_hash = hash_password(new_password)
    void_open_resets(session, user)
    session.execute(
        update(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    ended = end_all_login_sessions(session, user)
    security_event("password_changed", user.id, sessions_ended=ended)


def display_name_problem(session: Session, user_id: int, name: str) -> str | None:
    """Why another area refuses this display name for the account (see hooks), or None."""
    for check in hooks().name_checks:
        if problem := check(session, user_id, name):
            return problem
    return None


# Per-user values other areas show on every page (the unread-notification badge), read in the
# loader's own statement instead of one more statement per page: name -> a function building a
# scalar subquery correlated with User.id. Areas register from create_app (their init_app),
# before the first request.
USER_EXTRAS: dict[str, Callable[[], ScalarSelect]] = {}


def register_user_extra(name: str, build: Callable[[], ScalarSelect]) -> None:
    """Have the user loader read a per-user value (see USER_EXTRAS)."""
    USER_EXTRAS[name] = build
    _user_by_token_query.cache_clear()


@dataclass(frozen=True)
class LoaderCompanion:
    """Rows of a higher area that a request needs right after its user, read in the loader's
    own statement: one statement fewer per request (on PostgreSQL one round trip fewer).

    The expeditions area reads the membership of the expedition in the URL this way, which
    every expedition page checks next. `wanted()` gives the bound values when this request
    needs the rows, else None; `columns()` the entities and columns, and `join(select)` the
    outer join that brings them (built once); `keep(user, values)` receives their values (None
    where the join found nothing), e.g. to hand them to the area's own loader through `g`.
    """

    name: str
    wanted: Callable[[], dict[str, Any] | None]
    columns: Callable[[], list]
    join: Callable[[Select], Select]
    keep: Callable[[User, list], None]


LOADER_COMPANIONS: dict[str, LoaderCompanion] = {}


def register_loader_companion(companion: LoaderCompanion) -> None:
    """Have the user loader read another area's rows when a request needs them."""
    LOADER_COMPANIONS[companion.name] = companion
    _user_by_token_query.cache_clear()


@cache
def _user_by_token_query(companions: tuple[str, ...] = ()) -> tuple[Select, tuple[int, ...]]:
    """Built once per set of companions: every page of a logged-in person runs it. Expired
    sessions find no row. Also returns how many values each companion adds to the row."""
    extras = [build().label(name) for name, build in USER_EXTRAS.items()]
    query = (
        select(User, LoginSession.last_seen, LoginSession.passed_second_factor, *extras)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.token == bindparam("token"),
            LoginSession.last_seen > bindparam("seen_after"),
            LoginSession.created_at > bindparam("created_after"),
            # A deactivated account's sessions end at once; this holds should one survive.
            User.deactivated_at.is_(None),
        )
    )
    widths = []
    for name in companions:
        companion = LOADER_COMPANIONS[name]
        columns = companion.columns()
        query = companion.join(query.add_columns(*columns))
        widths.append(len(columns))
    return query, tuple(widths)


def load_user_by_session_token(token: str) -> User | None:
    """Flask-Login's loader: one query joins the live session to its user (only the user is built)
    and brings what the request's companions want (see LoaderCompanion).

    The session's last-seen time is written only when it is a minute old or more.
    """
    now = utcnow()
    values: dict[str, Any] = {"token": token, **sessions.limits(current_app).cutoffs(now)}
    companions = []
    for companion in LOADER_COMPANIONS.values():
        wanted = companion.wanted()
        if wanted is not None:
            companions.append(companion)
            values.update(wanted)
    query, widths = _user_by_token_query(tuple(c.name for c in companions))
    row = db.session.execute(query, values).first()
    if row is None:
        return None
    user, last_seen, passed_second_factor, *rest = row
    user.session_token = token
    user.passed_second_factor = passed_second_factor
    user.loaded_extras = dict(zip(USER_EXTRAS, rest[: len(USER_EXTRAS)], strict=True))
    start = len(USER_EXTRAS)
    for companion, width in zip(companions, widths, strict=True):
        companion.keep(user, list(rest[start : start + width]))
        start += width
    if now - last_seen >= sessions.TOUCH_EVERY:
        _touch(token, now)
    return user


def _touch(token: str, now: datetime) -> None:
    """Refresh last_seen: inside a writing request's transaction, else in a short one of its own.

    A GET must not write through the request's session (on PostgreSQL it runs without a
    transaction and refuses writes), and the touch must stick even if the page fails.
    """
    statement = sessions.touch_statement(token, now)
    if request_may_write():
        db.session.execute(statement)
        return
    with separate_write(db.engine) as connection:
        connection.execute(statement)
