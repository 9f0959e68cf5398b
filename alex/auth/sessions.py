"""Login sessions: how long they live on the server, their devices, ending and purging them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from alex.auth.models import LoginSession
from alex.db import utcnow

# last_seen is written at most this often per session: a page view costs no write otherwise.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionLimits:
    """A login session ends after `idle` without use and `absolute` after the login."""

    idle: timedelta
    absolute: timedelta

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """The bound values of the loader's expiry condition."""
        return {"seen_after": now - self.idle, "created_after": now - self.absolute}


def limits(app: Flask) -> SessionLimits:
    """The configured lifetimes (ALEX_SESSION_IDLE_HOURS, ALEX_SESSION_MAX_DAYS)."""
    return SessionLimits(
        idle=timedelta(hours=app.config["ALEX_SESSION_IDLE_HOURS"]),
        absolute=timedelta(days=app.config["ALEX_SESSION_MAX_DAYS"]),
    )


def is_alive(login: LoginSession, rules: SessionLimits, now: datetime) -> bool:
    """Whether the session is within both limits."""
    bounds = rules.cutoffs(now)
    return login.last_seen > bounds["seen_after"] and login.created_at > bounds["created_after"]


def touch_statement(token: str, now: datetime):
    """Move last_seen to now, unless another request of the same session just did."""
    return (
        update(LoginSession)
        .where(LoginSession.token == token, LoginSession.last_seen < now - TOUCH_EVERY)
        .values(last_seen=now)
        .execution_options(synchronize_session=False)
    )


def handle(token: str) -> str:
    """A name for a session that pages may show: the token itself is a credential."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Device:
    """One signed-in browser as the account page lists it."""

    handle: str
    browser: str | None  # None: not recognised
    system: str | None
    last_seen: datetime
    created_at: datetime
    is_current: bool


# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux"),
]


def describe_user_agent(user_agent: str) -> tuple[str | None, str | None]:
    """Browser and system in plain words ("Firefox", "Windows"), None where unknown."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    return browser, system


def devices(
    session: Session, user_id: int, current_token: str | None, rules: SessionLimits
) -> list[Device]:
    """The account's live sessions, most recently used first."""
    now = utcnow()
    rows = session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user_id)
        .order_by(LoginSession.last_seen.desc())
    )
    return [
        Device(
            handle(row.token),
            *describe_user_agent(row.user_agent),
            last_seen=row.last_seen,
            created_at=row.created_at,
            is_current=row.token == current_token,
        )
        for row in rows
        if is_alive(row, rules, now)
    ]


def end_by_handle(session: Session, user_id: int, wanted: str) -> bool:
    """End one of the account's own sessions, named by its handle; False when there is none."""
    tokens = session.scalars(select(LoginSession.token).where(LoginSession.user_id == user_id))
    token = next((t for t in tokens if handle(t) == wanted), None)
    if token is None:
        return False
    session.execute(delete(LoginSession).where(LoginSession.token == token))
    return True


def end_others(session: Session, user_id: int, keep_token: str | None) -> int:
    """End every session of the account except this browser's; returns how many ended."""
    statement = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep_token:
        statement = statement.where(LoginSession.token != keep_token)
    return session.execute(statement).rowcount


def purge_expired(session: Session, rules: SessionLimits, now: datetime | None = None) -> int:
    """Delete the sessions past either limit (they no longer log anyone in); returns how many."""
    bounds = rules.cutoffs(now or utcnow())
    return session.execute(
        delete(LoginSession).where(
            or_(
                LoginSession.last_seen <= bounds["seen_after"],
                LoginSession.created_at <= bounds["created_after"],
            )
        )
    ).rowcount


def mark_second_factor(session: Session, token: str, passed: bool) -> None:
    """Record whether this browser's session proved the second factor."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.token == token)
        .values(passed_second_factor=passed)
        .execution_options(synchronize_session=False)
    )
