"""Instance-wide settings the operator's console sets and lower layers obey.

One row (id 1) holds who may create expeditions and the announcement banner; it may be absent
(a fresh database), and then the defaults count: everyone creates, no banner. The user loader
reads the row in its own statement (`register_user_extra`), so a logged-in page costs no query
more for it. `RetentionRun` records each run of the retention purge (counts only, no titles:
the operator sees no expedition content).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from alex.auth.models import User
from alex.db import Base, UTCDateTime, upsert, utcnow

SETTINGS_ID = 1
EVERYONE, LISTED = "everyone", "listed"
CREATION_POLICIES = (EVERYONE, LISTED)
ANNOUNCEMENT_MAX = 500
# Cookie of a browser that closed the banner: holds the revision it closed.
CLOSED_COOKIE = "alex_announcement_closed"


class InstanceSettings(Base):
    """The one row of settings for the whole installation."""

    __tablename__ = "instance_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_creation: Mapped[str] = mapped_column(
        String(16), default=EVERYONE, server_default=EVERYONE
    )
    announcement: Mapped[str | None] = mapped_column(String(ANNOUNCEMENT_MAX))
    announcement_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rises with every new banner text: a browser that closed an older one sees the new one.
    announcement_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RetentionRun(Base):
    """One run of `purge-expired`: when, and how many things it deleted (never which)."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expeditions_deleted: Mapped[int] = mapped_column(Integer, default=0)
    sessions_deleted: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Announcement:
    """The banner as pages show it."""

    text: str
    until: datetime | None
    revision: int


def read_settings(session: Session) -> InstanceSettings:
    """The settings row, or a transient one with the defaults when none was saved yet."""
    row = session.get(InstanceSettings, SETTINGS_ID)
    if row is None:
        row = InstanceSettings(
            id=SETTINGS_ID, expedition_creation=EVERYONE, announcement_revision=0
        )
    return row


def save_settings(session: Session, **values: object) -> None:
    """Write some settings in one statement (the row is created on first use)."""
    upsert(
        session,
        InstanceSettings,
        {"id": SETTINGS_ID},
        {**values, "updated_at": utcnow()},
    )


def set_creation_policy(session: Session, policy: str) -> None:
    """Everyone may create expeditions, or only the listed people."""
    if policy not in CREATION_POLICIES:
        raise ValueError(policy)
    save_settings(session, expedition_creation=policy)


def set_announcement(session: Session, text: str | None, until: datetime | None) -> int:
    """Show `text` to everyone until `until` (None: until removed); empty text removes it.

    Returns the new revision: browsers that closed an earlier banner see this one.
    """
    text = (text or "").strip() or None
    revision = read_settings(session).announcement_revision + (1 if text else 0)
    save_settings(
        session,
        announcement=text,
        announcement_until=until if text else None,
        announcement_revision=revision,
    )
    return revision


def current_announcement(
    text: str | None, until: datetime | None, revision: int | None, now: datetime | None = None
) -> Announcement | None:
    """The banner that stands now, from the stored values (None: none, or it ended)."""
    if not text or (until is not None and until <= (now or utcnow())):
        return None
    return Announcement(text, until, revision or 0)


def may_create_expeditions(session: Session, user: User) -> bool:
    """Whether this person may start an expedition under the instance's policy."""
    extras = getattr(user, "loaded_extras", {}) or {}
    if "creation_policy" in extras:
        policy = extras["creation_policy"] or EVERYONE
    else:
        policy = read_settings(session).expedition_creation
    return policy == EVERYONE or bool(user.may_create_expeditions)


def record_retention_run(session: Session, expeditions: int, sessions: int) -> RetentionRun:
    """Note one run of the retention purge (the console shows the latest)."""
    run = RetentionRun(ran_at=utcnow(), expeditions_deleted=expeditions, sessions_deleted=sessions)
    session.add(run)
    return run


def latest_retention_runs(session: Session, limit: int = 5) -> list[RetentionRun]:
    """The most recent runs, newest first."""
    return list(
        session.scalars(select(RetentionRun).order_by(RetentionRun.ran_at.desc()).limit(limit))
    )


def _column(name: str):
    """A scalar subquery the user loader reads: one column of the settings row."""
    return lambda: (
        select(getattr(InstanceSettings, name))
        .where(InstanceSettings.id == SETTINGS_ID)
        .scalar_subquery()
    )


def _announcement_for_page() -> Announcement | None:
    """The banner this page shows: logged-in people everywhere, visitors on the login page;
    nothing when this browser closed the current one (a cookie, no script)."""
    if current_user.is_authenticated:
        extras = current_user.loaded_extras
        banner = current_announcement(
            extras.get("announcement"),
            extras.get("announcement_until"),
            extras.get("announcement_revision"),
        )
    elif request.endpoint in ("auth.login", "auth.login_post"):
        from sqlalchemy.exc import SQLAlchemyError

        from alex.extensions import db

        try:
            row = read_settings(db.session)
        except SQLAlchemyError:
            # The database is away and this is the outage page, which asks nothing of it.
            return None
        banner = current_announcement(
            row.announcement, row.announcement_until, row.announcement_revision
        )
    else:
        return None
    if banner is None or request.cookies.get(CLOSED_COOKIE) == str(banner.revision):
        return None
    return banner


def init_app(app: Flask) -> None:
    """Let the user loader read the settings; give templates the banner of this page."""
    from alex.auth.service import register_user_extra

    register_user_extra("creation_policy", _column("expedition_creation"))
    register_user_extra("announcement", _column("announcement"))
    register_user_extra("announcement_until", _column("announcement_until"))
    register_user_extra("announcement_revision", _column("announcement_revision"))
    app.jinja_env.globals["announcement_for_page"] = _announcement_for_page
    app.jinja_env.globals["current_user_may_create_expeditions"] = _current_user_may_create


def _current_user_may_create() -> bool:
    """For templates: whether to offer "New expedition" to the person looking."""
    from alex.extensions import db

    return current_user.is_authenticated and may_create_expeditions(db.session, current_user)
