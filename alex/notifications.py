"""In-app notifications any area can send: `notify(session, user_id, kind, …)`.

A notification stores its kind and a few plain values; the sentence is written when it is shown,
in the reader's language. No e-mail server is needed. This module sits just above `auth` (a
notification belongs to a user) and imports no other area, so every area may call it.

    from alex.notifications import notify
    notify(session, owner_id, "action_assigned", expedition_id=exp.id, actor_id=me.id,
           subject=card.title, link=url_for("boards.board", expedition_id=exp.id))

A new kind: add it to KINDS and its sentence to `notification_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, String, bindparam, func, select, update
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from alex.auth.models import User
from alex.auth.service import register_user_extra
from alex.db import Base, UTCDateTime, utcnow

KINDS = (
    "kudos",
    "support_answered",
    "meeting_scheduled",
    "meeting_moved",
    "action_assigned",
    "member_joined",
)
SUBJECT_MAX = 200
LINK_MAX = 500
LIST_LIMIT = 50


class Notification(Base):
    """An in-app message for one person; the text is rendered from `kind` in the reader's language."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    expedition_id: Mapped[int | None] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # KINDS
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX), default="")  # e.g. a card title
    link: Mapped[str] = mapped_column(String(LINK_MAX), default="")  # a local path
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


def init_app(app: Flask) -> None:
    """Have the user loader read each person's unread count (the header badge on every page)."""
    register_user_extra("unread_notifications", unread_count_of_user)


def notify(
    session: Session,
    user_id: int,
    kind: str,
    *,
    expedition_id: int | None = None,
    actor_id: int | None = None,
    subject: str = "",
    link: str = "",
) -> Notification | None:
    """Add a notification for a person (none when they caused it themselves)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if actor_id is not None and actor_id == user_id:
        return None
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("notification links are local paths")
    notification = Notification(
        user_id=user_id,
        expedition_id=expedition_id,
        kind=kind,
        actor_id=actor_id,
        subject=subject.strip()[:SUBJECT_MAX],
        link=link[:LINK_MAX],
    )
    session.add(notification)
    return notification


def notify_all(
    session: Session,
    user_ids: Iterable[int],
    kind: str,
    *,
    expedition_id: int | None = None,
    actor_id: int | None = None,
    subject: str = "",
    link: str = "",
) -> int:
    """Notify several people (the one who acted is left out); returns how many."""
    sent = [
        notify(
            session,
            uid,
            kind,
            expedition_id=expedition_id,
            actor_id=actor_id,
            subject=subject,
            link=link,
        )
        for uid in user_ids
    ]
    return sum(1 for n in sent if n is not None)


@cache
def _unread_query():
    """Built once: a request that writes counts again for the header badge."""
    return select(func.count(Notification.id)).where(
        Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
    )


def unread_count_of_user():
    """The unread count as a subquery beside the user (the loader reads it for the badge)."""
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(session: Session, user_id: int) -> int:
    """How many notifications the person has not read yet (one cheap indexed count)."""
    return session.execute(_unread_query(), {"user_id": user_id}).scalar() or 0


def notifications_for(
    session: Session, user_id: int, limit: int = LIST_LIMIT
) -> list[Notification]:
    """The person's newest notifications, unread and read, with who caused them."""
    return list(
        session.scalars(
            select(Notification)
            .options(joinedload(Notification.actor))  # the actor's name in each line, not N+1
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of the person as read; returns how many changed.

    A conditional UPDATE: two tabs marking at once change each row once and overwrite nothing.
    """
    statement = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return session.execute(statement).rowcount or 0


def notification_text(notification: Notification) -> str:
    """The sentence a notification shows, in the current language."""
    name = notification.actor.name if notification.actor else _("Someone")
    subject = notification.subject
    if notification.kind == "kudos":
        if subject:
            return _("%(name)s sent you Rückenwind for „%(subject)s“.", name=name, subject=subject)
        return _("%(name)s sent you Rückenwind for your check-in.", name=name)
    if notification.kind == "support_answered":
        return _("%(name)s answered your request for support.", name=name)
    if notification.kind == "meeting_scheduled":
        return _("New meeting: %(subject)s.", subject=subject)
    if notification.kind == "meeting_moved":
        return _("A meeting has moved: %(subject)s.", subject=subject)
    if notification.kind == "action_assigned":
        return _(
            "%(name)s gave you an action from the retro: „%(subject)s“.", name=name, subject=subject
        )
    if notification.kind == "member_joined":
        return _("%(name)s joined „%(subject)s“.", name=name, subject=subject)
    return subject
