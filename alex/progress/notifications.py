"""In-app notifications any area can send: `notify(session, user_id, kind, …)`.

A notification stores its kind and a few plain values; the sentence is written when it is shown,
in the reader's language. No e-mail server is needed.

    from alex.progress.notifications import notify
    notify(session, owner_id, "action_assigned", expedition_id=exp.id, actor_id=me.id,
           subject=card.title, link=url_for("boards.board", expedition_id=exp.id))

Kinds: kudos, support_answered, meeting_scheduled, meeting_moved, action_assigned.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from babel import dates
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from alex.auth.models import User
from alex.auth.service import register_user_extra
from alex.db import utcnow
from alex.expeditions.models import Membership
from alex.progress.charts import event_label
from alex.progress.models import LINK_MAX, NOTIFICATION_KINDS, SUBJECT_MAX, Notification

LIST_LIMIT = 50


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
    if kind not in NOTIFICATION_KINDS:
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


def notify_members(
    session: Session,
    expedition_id: int,
    kind: str,
    *,
    actor_id: int | None,
    subject: str = "",
    link: str = "",
) -> int:
    """Notify everyone in the expedition but the person who acted; returns how many."""
    user_ids = session.scalars(
        select(Membership.user_id).where(Membership.expedition_id == expedition_id)
    ).all()
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


def meeting_subject(meeting, timezone: str) -> str:
    """A meeting named for a notification: its kind and when, in the actor's language."""
    number = meeting.sprint_number if meeting.kind == "zirkeltreffen" else None
    when = dates.format_datetime(
        meeting.starts_at, "short", tzinfo=ZoneInfo(timezone), locale=get_locale()
    )
    return f"{event_label(meeting.kind, number)}, {when}"


@cache
def _unread_query():
    """Built once: the header of every page runs it."""
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


register_user_extra("unread_notifications", unread_count_of_user)


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
    return subject
