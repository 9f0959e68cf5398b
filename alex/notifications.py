"""In-app notifications any area can send: `notify(session, user_id, kind, …)`.

A notification stores its kind and a few plain values; the sentence is written when it is shown,
in the reader's language. No e-mail server is needed. This module sits just above `auth` (a
notification belongs to a user) and imports no other area, so every area may call it.

    from alex.notifications import notify
    notify(session, owner_id, "action_assigned", expedition_id=exp.id, actor_id=me.id,
           subject=card.title, link=url_for("boards.board", expedition_id=exp.id))

A new kind: add it to KINDS and its sentence to `kind_sentence`. A series kind
(`meeting_series_scheduled`, `meeting_series_moved`) tells of several meetings at once; its
subject is `series_subject(count, first)` and it goes where the person sends the single kind.

Routing: each person chooses per kind where a notification goes (CHANNELS): in the app, by
e-mail at once, into the weekly digest, as a push message, or nowhere. What they did not choose
comes from the expedition's defaults (set by its facilitators), else from DEFAULT_CHANNELS.
Every channel except "off" keeps the in-app row; "email" and "push" also write an outbox row in
the caller's transaction (alex.outbox), so a rolled-back change sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import dates
from flask import Flask, current_app, has_request_context, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship
from werkzeug.routing import BuildError

from alex import outbox
from alex.auth.models import User
from alex.auth.service import register_user_extra
from alex.db import Base, UTCDateTime, upsert, utcnow

DIRECT_KINDS = (
    "support_requested",
    "support_answered",
    "action_assigned",
    "meeting_scheduled",
    "meeting_moved",
    "meeting_cancelled",
    "kudos",
    "member_joined",
    # The Börse (alex.openings) and follow-up runs (alex.follow_up).
    "join_requested",
    "join_accepted",
    "join_declined",
    "follow_up_invited",
)
# Reminders in the circle's rhythm (alex.reach.nudges); they are never put into the digest.
NUDGE_KINDS = (
    "nudge_check_in",
    "nudge_support_unanswered",
    "nudge_action_untouched",
    "nudge_self_assessment",
    "nudge_report",
)
# One message for several meetings planned or moved at once (a series); routed as the choice
# for one meeting of that kind (ROUTED_AS), so the settings page does not list them.
SERIES_KINDS = ("meeting_series_scheduled", "meeting_series_moved")
ROUTED_AS = {
    "meeting_series_scheduled": "meeting_scheduled",
    "meeting_series_moved": "meeting_moved",
}
CHOICE_KINDS = DIRECT_KINDS + NUDGE_KINDS  # what people and facilitators choose a channel for
# Notices for facilitators about the installation's plumbing (a webhook turned off): in the app
# only, not a choice on the settings page.
NOTICE_KINDS = ("webhook_disabled",)
KINDS = CHOICE_KINDS + SERIES_KINDS + NOTICE_KINDS
CHANNELS = ("app", "email", "digest", "push", "off")
NUDGE_CHANNELS = ("app", "email", "push", "off")
# What a kind does when neither the person nor the expedition chose: direct news and nudges by
# e-mail (they are meant to reach people between visits), Rückenwind in the app and the digest,
# a new member in the app.
DEFAULT_CHANNELS = dict.fromkeys(KINDS, "email") | {
    "kudos": "digest",
    "member_joined": "app",
    "webhook_disabled": "app",
    "join_requested": "app",
}
WEEKDAYS = range(7)  # Monday = 0, as datetime.weekday()
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


class NotificationPreference(Base):
    """Where one person wants one kind of notification (CHANNELS); no row: the defaults."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))


class ExpeditionNotificationDefault(Base):
    """The facilitators' default channel of a kind for the members of their expedition."""

    __tablename__ = "expedition_notification_default"

    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))


class DigestSetting(Base):
    """A person's weekly digest: on or off, the weekday, when the last one was due and when the
    last one went out (a week with nothing to tell is due but sends nothing: alex/reach/digest)."""

    __tablename__ = "digest_setting"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday = 0
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def init_app(app: Flask) -> None:
    """Have the user loader read each person's unread count (the header badge on every page)."""
    register_user_extra("unread_notifications", unread_count_of_user)
    app.jinja_env.globals["kind_sentence"] = kind_sentence
    app.jinja_env.globals["local_when"] = local_when
    app.jinja_env.globals["kind_label"] = kind_label
    app.jinja_env.globals["absolute"] = absolute
    app.jinja_env.globals["meeting_label"] = meeting_label
    app.jinja_env.globals["series_subject"] = series_subject
    app.jinja_env.globals["settings_path"] = settings_path


def absolute(path: str) -> str:
    """A local path made absolute with ALEX_BASE_URL (mails are read outside the app)."""
    base = (current_app.config.get("ALEX_BASE_URL") or "").rstrip("/")
    return f"{base}{path}"


def settings_path() -> str:
    """Where a person changes what reaches them (the account page if that area is not there)."""
    try:
        return local_link("reach.settings")
    except BuildError:
        return local_link("auth.account")


def local_link(endpoint: str, **values) -> str:
    """A local path for a notification, inside a request or in a background job alike."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def local_when(iso: str, timezone: str, style: str = "full") -> str:
    """A moment stored as ISO text, in the reader's language and the expedition's time zone."""
    moment = datetime.fromisoformat(iso)
    date_part = dates.format_date(moment.astimezone(ZoneInfo(timezone)), style, locale=get_locale())
    time_part = dates.format_time(moment, "short", tzinfo=ZoneInfo(timezone), locale=get_locale())
    return f"{date_part}, {time_part}"


def choice_kind(kind: str) -> str:
    """The kind whose chosen channel a kind follows (a series kind: the single meeting's)."""
    return ROUTED_AS.get(kind, kind)


def series_subject(count: int, first: str) -> str:
    """The subject of a series kind: how many meetings, and the first one (see kind_sentence)."""
    return f"{count}|{first}"


def _split_series_subject(subject: str) -> tuple[int, str]:
    count, bar, first = subject.partition("|")
    if bar and count.isdigit():
        return int(count), first
    return 0, subject


def allowed_channels(kind: str) -> tuple[str, ...]:
    """The choices a kind offers: nudges are about now, so they never wait for the digest."""
    return NUDGE_CHANNELS if kind in NUDGE_KINDS else CHANNELS


@cache
def _channel_query():
    """The person's choice, else the expedition's default, for several people at once (and
    their names: notify_all names the actor from the same query)."""
    own = (
        select(NotificationPreference.channel)
        .where(
            NotificationPreference.user_id == User.id,
            NotificationPreference.kind == bindparam("kind"),
        )
        .scalar_subquery()
    )
    expedition = (
        select(ExpeditionNotificationDefault.channel)
        .where(
            ExpeditionNotificationDefault.expedition_id == bindparam("expedition_id"),
            ExpeditionNotificationDefault.kind == bindparam("kind"),
        )
        .scalar_subquery()
    )
    return select(User.id, func.coalesce(own, expedition, literal("")), User.name).where(
        User.id.in_(bindparam("user_ids", expanding=True))
    )


def _routes(
    session: Session, ids: list[int], kind: str, expedition_id: int | None
) -> dict[int, tuple[str, str]]:
    """user id → (where `kind` goes for them, their name); one query."""
    kind = choice_kind(kind)
    rows = session.execute(
        _channel_query(), {"user_ids": ids, "kind": kind, "expedition_id": expedition_id or 0}
    )
    default = DEFAULT_CHANNELS[kind]
    allowed = allowed_channels(kind)
    return {
        uid: (channel if channel in allowed else default, name) for uid, channel, name in rows.all()
    }


def channels_for(
    session: Session, user_ids: Iterable[int], kind: str, expedition_id: int | None
) -> dict[int, str]:
    """Where `kind` goes for each of these people (one query, whatever their number)."""
    ids = list(user_ids)
    if not ids:
        return {}
    return {
        uid: channel for uid, (channel, _name) in _routes(session, ids, kind, expedition_id).items()
    }


def preferences_of(session: Session, user_id: int) -> dict[str, str]:
    """The person's own choices, kind → channel (kinds left to the defaults are missing)."""
    return dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )


def expedition_defaults(session: Session, expedition_id: int) -> dict[str, str]:
    """The expedition's defaults, kind → channel (kinds left to the app's defaults are missing)."""
    return dict(
        session.execute(
            select(ExpeditionNotificationDefault.kind, ExpeditionNotificationDefault.channel).where(
                ExpeditionNotificationDefault.expedition_id == expedition_id
            )
        ).all()
    )


def _check_choice(kind: str, channel: str) -> None:
    if kind not in KINDS or (channel and channel not in allowed_channels(kind)):
        raise ValueError(f"no channel {channel!r} for {kind!r}")


def set_preference(session: Session, user_id: int, kind: str, channel: str) -> None:
    """Store one person's choice for a kind; an empty channel goes back to the defaults.

    One upsert: the same choice sent twice at once (two tabs) is no IntegrityError.
    """
    _check_choice(kind, channel)
    if not channel:
        session.execute(
            delete(NotificationPreference).where(
                NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
            )
        )
        return
    upsert(
        session, NotificationPreference, {"user_id": user_id, "kind": kind}, {"channel": channel}
    )


def set_expedition_default(session: Session, expedition_id: int, kind: str, channel: str) -> None:
    """Store the expedition's default for a kind; an empty channel goes back to the app's."""
    _check_choice(kind, channel)
    row = session.get(ExpeditionNotificationDefault, (expedition_id, kind))
    if not channel:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            ExpeditionNotificationDefault(expedition_id=expedition_id, kind=kind, channel=channel)
        )
    else:
        row.channel = channel
    session.flush()


def digest_setting(session: Session, user_id: int) -> DigestSetting:
    """The person's digest setting (a fresh default one, not yet stored, if they never chose)."""
    setting = session.get(DigestSetting, user_id)
    return setting or DigestSetting(user_id=user_id, enabled=True, weekday=0)


def set_digest(session: Session, user_id: int, *, enabled: bool, weekday: int) -> None:
    """Turn the weekly digest on or off and choose its day (one upsert: no race on PostgreSQL)."""
    if weekday not in WEEKDAYS:
        raise ValueError(f"no weekday {weekday!r}")
    upsert(
        session,
        DigestSetting,
        {"user_id": user_id},
        {"enabled": enabled, "weekday": weekday},
        on_insert={"last_sent_at": None},
    )


def notify(
    session: Session,
    user_id: int,
    kind: str,
    *,
    expedition_id: int | None = None,
    actor_id: int | None = None,
    subject: str = "",
    link: str = "",
    details: dict | None = None,
    attachments: Sequence[tuple[str, str, bytes | str]] = (),
    channel: str | None = None,
) -> Notification | None:
    """Add a notification for a person (none when they caused it themselves), routed.

    `details` (plain JSON values) and `attachments` go only into an e-mail; `channel` is the
    already looked-up choice (notify_all looks up everyone's at once).
    """
    _check_notification(kind, link)
    if actor_id is not None and actor_id == user_id:
        return None
    if channel is None:
        channel = channels_for(session, (user_id,), kind, expedition_id).get(user_id)
    if channel is None or channel == "off":
        return None
    notification = Notification(
        user_id=user_id,
        expedition_id=expedition_id,
        kind=kind,
        actor_id=actor_id,
        subject=subject.strip()[:SUBJECT_MAX],
        link=link[:LINK_MAX],
    )
    session.add(notification)
    if channel in ("email", "push"):
        _send(session, notification, channel, details or {}, attachments)
    return notification


def _check_notification(kind: str, link: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("notification links are local paths")


def _mail_context(kind: str, actor_name: str, subject: str, link: str, details: dict) -> dict:
    """What the outbox row of a notification carries (the mail is written at delivery)."""
    return {"kind": kind, "actor_name": actor_name, "subject": subject, "link": link, **details}


def _send(
    session: Session,
    notification: Notification,
    channel: str,
    details: dict,
    attachments: Sequence[tuple[str, str, bytes | str]],
) -> None:
    """The outbox row that carries a notification by e-mail or push (sent after the commit)."""
    with session.no_autoflush:  # one SELECT for the actor's name, no flush per recipient
        actor = session.get(User, notification.actor_id) if notification.actor_id else None
    n = notification
    outbox.enqueue(
        session,
        channel=channel,
        kind=n.kind,
        template="notification",
        context=_mail_context(n.kind, actor.name if actor else "", n.subject, n.link, details),
        user_id=n.user_id,
        attachments=list(attachments) if channel == "email" else [],
    )


@cache
def _insert_notification():
    return insert(Notification.__table__)


def notify_all(
    session: Session,
    user_ids: Iterable[int],
    kind: str,
    *,
    expedition_id: int | None = None,
    actor_id: int | None = None,
    subject: str = "",
    link: str = "",
    details: dict | None = None,
    attachments: Sequence[tuple[str, str, bytes | str]] = (),
) -> int:
    """Notify several people (the one who acted is left out); returns how many.

    Routed like `notify`, set-based: one query for everyone's choice and the actor's name, one
    INSERT of the in-app rows, one of the outbox rows per channel, whatever the number of people.
    """
    _check_notification(kind, link)
    ids = [uid for uid in dict.fromkeys(user_ids) if uid != actor_id]
    if not ids:
        return 0
    asked = ids + [actor_id] if actor_id is not None else ids
    routes = _routes(session, asked, kind, expedition_id)
    chosen = {uid: routes[uid][0] for uid in ids if uid in routes and routes[uid][0] != "off"}
    if not chosen:
        return 0
    subject = subject.strip()[:SUBJECT_MAX]
    link = link[:LINK_MAX]
    now = utcnow()
    session.execute(
        _insert_notification(),
        [
            {
                "user_id": uid,
                "expedition_id": expedition_id,
                "kind": kind,
                "actor_id": actor_id,
                "subject": subject,
                "link": link,
                "created_at": now,
                "read_at": None,
            }
            for uid in chosen
        ],
    )
    actor_name = routes[actor_id][1] if actor_id in routes else ""
    context = _mail_context(kind, actor_name, subject, link, details or {})
    for channel in ("email", "push"):
        outbox.enqueue_many(
            session,
            channel=channel,
            kind=kind,
            template="notification",
            contexts={uid: context for uid, c in chosen.items() if c == channel},
            attachments=list(attachments) if channel == "email" else [],
        )
    return len(chosen)


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
    name = notification.actor.name if notification.actor else ""
    return kind_sentence(notification.kind, name, notification.subject)


def kind_sentence(kind: str, name: str, subject: str) -> str:
    """One notification as a sentence in the current language (the app's list and the mails)."""
    name = name or _("Someone")
    if kind == "kudos":
        if subject:
            return _("%(name)s sent you Rückenwind for „%(subject)s“.", name=name, subject=subject)
        return _("%(name)s sent you Rückenwind for your check-in.", name=name)
    if kind == "support_requested":
        return _("%(name)s asks the Zirkel for support.", name=name)
    if kind == "support_answered":
        return _("%(name)s answered your request for support.", name=name)
    if kind == "meeting_scheduled":
        return _("New meeting: %(subject)s.", subject=subject)
    if kind == "meeting_moved":
        return _("A meeting has moved: %(subject)s.", subject=subject)
    if kind == "meeting_cancelled":
        return _("A meeting was cancelled: %(subject)s.", subject=subject)
    if kind in SERIES_KINDS:
        count, first = _split_series_subject(subject)
        if kind == "meeting_series_scheduled":
            return ngettext(
                "%(num)d meeting planned, the first: %(subject)s.",
                "%(num)d meetings planned, the first: %(subject)s.",
                count,
                subject=first,
            )
        return ngettext(
            "%(num)d meeting moved, the first: %(subject)s.",
            "%(num)d meetings moved, the first: %(subject)s.",
            count,
            subject=first,
        )
    if kind == "action_assigned":
        return _(
            "%(name)s gave you an action from the retro: „%(subject)s“.", name=name, subject=subject
        )
    if kind == "member_joined":
        return _("%(name)s joined „%(subject)s“.", name=name, subject=subject)
    if kind == "webhook_disabled":
        return _(
            "The webhook to %(subject)s failed again and again and was turned off.",
            subject=subject,
        )
    if kind == "join_requested":
        return _("%(name)s asks to join „%(subject)s“.", name=name, subject=subject)
    if kind == "join_accepted":
        return _("You are in: %(name)s accepted you for „%(subject)s“.", name=name, subject=subject)
    if kind == "join_declined":
        return _(
            "%(name)s could not take you into „%(subject)s“ this time.", name=name, subject=subject
        )
    if kind == "follow_up_invited":
        return _(
            "%(name)s started a follow-up expedition: „%(subject)s“. Will you come along?",
            name=name,
            subject=subject,
        )
    if kind == "nudge_check_in":
        return _(
            "The Zirkeltreffen is coming up: write a check-in before it (%(subject)s).",
            subject=subject,
        )
    if kind == "nudge_support_unanswered":
        return _(
            "A request for support has waited 48 hours for an answer: %(subject)s.", subject=subject
        )
    if kind == "nudge_action_untouched":
        return _(
            "Your action from the retro has not moved for a week: „%(subject)s“.", subject=subject
        )
    if kind == "nudge_self_assessment":
        return _(
            "The sprint is over: how close did you get? Write your self-assessment (%(subject)s).",
            subject=subject,
        )
    if kind == "nudge_report":
        return _(
            "Two weeks to the Abschluss: start your Lernbericht (%(subject)s).", subject=subject
        )
    return subject


def meeting_label(kind: str, sprint_number: int | None = None) -> str:
    """A meeting's name in the reader's language (mails name it anew for each recipient)."""
    if kind == "zirkeltreffen" and sprint_number:
        return _("Zirkeltreffen after sprint %(num)d", num=sprint_number)
    return {
        "kickoff": _("Auftakt"),
        "zirkeltreffen": _("Zirkeltreffen"),
        "pit_stop": _("Boxenstopp"),
        "closing": _("Abschluss"),
    }.get(kind, kind)


def kind_label(kind: str) -> str:
    """A kind's name on the settings page."""
    return {
        "support_requested": _("Someone in my Zirkel asks for support"),
        "support_answered": _("An answer to my request for support"),
        "action_assigned": _("An action from the retro for me"),
        "meeting_scheduled": _("A meeting is scheduled"),
        "meeting_moved": _("A meeting is moved"),
        "meeting_cancelled": _("A meeting is cancelled"),
        "kudos": _("Rückenwind for me"),
        "member_joined": _("Someone joins my expedition (facilitators)"),
        "join_requested": _("Someone asks to join my open expedition (facilitators)"),
        "join_accepted": _("My request to join an expedition is accepted"),
        "join_declined": _("My request to join an expedition is declined"),
        "follow_up_invited": _("An invitation to a follow-up expedition"),
        "nudge_check_in": _("Reminder: check in before the Zirkeltreffen"),
        "nudge_support_unanswered": _(
            "Reminder: a request for support is unanswered (facilitators)"
        ),
        "nudge_action_untouched": _("Reminder: my retro action has not moved for a week"),
        "nudge_self_assessment": _("Reminder: self-assessment at the end of a sprint"),
        "nudge_report": _("Reminder: the Lernbericht two weeks before the Abschluss"),
    }.get(kind, kind)


def channel_label(channel: str) -> str:
    """A channel's name on the settings page."""
    return {
        "app": _("In the app"),
        "email": _("E-mail at once"),
        "digest": _("In the weekly digest"),
        "push": _("Push message"),
        "off": _("Off"),
    }.get(channel, channel)
