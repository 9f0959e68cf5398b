"""The weekly digest: at most one a week per person, on the weekday they chose.

What it holds, per running expedition of the person: the next meeting, their open retro
actions, the open requests for support in their Zirkel, the Rückenwind they received, and their
peers' recent learnings shared with the Zirkel — plus the notifications they asked to get in the
digest and have not read. Nothing private of anyone else: only entries shared with the Zirkel
("zirkel" visibility) of other people appear; actions and Rückenwind are the person's own.

Everything is gathered for all recipients at once (a fixed number of queries, whatever their
number) into plain values; the mail is rendered at delivery in the recipient's language.

A week with nothing for the person sends no digest (`has_news`): no open action of theirs, no
open request for support of someone else, no Rückenwind, learning or unread notification of the
week, and no meeting within the coming week (a meeting weeks away is no news every Monday).
Such a week still counts as their digest's week (`DigestSetting.last_due_at`), so they are not
looked at again until the next one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from alex.auth.models import User
from alex.boards.models import Card, CheckIn
from alex.expeditions import calendar
from alex.expeditions.models import Expedition, Membership
from alex.meetings.invitation import meeting_name
from alex.meetings.models import Meeting, RetroAction
from alex.notifications import (
    DEFAULT_CHANNELS,
    DigestSetting,
    ExpeditionNotificationDefault,
    Notification,
    NotificationPreference,
    choice_kind,
    local_link,
)
from alex.progress.models import Kudos
from alex.reach.quiet import in_quiet_hours, parse_quiet_hours

WEEK = timedelta(days=7)
MIN_GAP = timedelta(days=6)  # "at most one a week", with room for the hour it runs at
LIST_MAX = 5
TEXT_MAX = 200


@dataclass(frozen=True)
class Recipient:
    user_id: int
    timezone: str
    expedition_ids: tuple[int, ...]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def due_recipients(session: Session, now: datetime) -> list[Recipient]:
    """Who gets a digest now: it is their weekday, outside quiet hours, none in the last 6 days.

    A person's clock is the time zone of their first running expedition.
    """
    today = now.date()
    rows = session.execute(
        select(
            Membership.user_id,
            Expedition.id,
            Expedition.timezone,
            Expedition.start_date,
            Expedition.sprint_weeks,
            Expedition.sprint_count,
            DigestSetting.enabled,
            DigestSetting.weekday,
            DigestSetting.last_due_at,
            DigestSetting.last_sent_at,
        )
        .join(Expedition, Expedition.id == Membership.expedition_id)
        .outerjoin(DigestSetting, DigestSetting.user_id == Membership.user_id)
        .where(Expedition.start_date <= today + timedelta(days=1))
        .order_by(Membership.user_id, Expedition.id)
    ).all()
    hours = parse_quiet_hours(current_app.config.get("ALEX_QUIET_HOURS"))
    weekends = bool(current_app.config.get("ALEX_QUIET_WEEKENDS", True))
    people: dict[int, list] = defaultdict(list)
    for row in rows:
        end = calendar.end_date(row.start_date, row.sprint_weeks, row.sprint_count)
        if end >= today - WEEK:
            people[row.user_id].append(row)
    due = []
    for user_id, memberships in people.items():
        first = memberships[0]
        if first.enabled is False:
            continue
        # Rows from before last_due_at existed know only when the last digest went out.
        last_due = first.last_due_at or first.last_sent_at
        if last_due is not None and last_due > now - MIN_GAP:
            continue
        weekday = first.weekday if first.weekday is not None else 0
        if now.astimezone(ZoneInfo(first.timezone)).weekday() != weekday:
            continue
        if in_quiet_hours(now, first.timezone, hours, weekends):
            continue
        due.append(Recipient(user_id, first.timezone, tuple(m.id for m in memberships)))
    return due


def digest_contexts(
    session: Session, recipients: list[Recipient], now: datetime
) -> dict[int, dict]:
    """The digest of each recipient as plain values (JSON for the outbox)."""
    if not recipients:
        return {}
    user_ids = [r.user_id for r in recipients]
    expedition_ids = sorted({e for r in recipients for e in r.expedition_ids})
    since = now - WEEK
    expeditions = {
        e.id: e
        for e in session.scalars(select(Expedition).where(Expedition.id.in_(expedition_ids)))
    }
    names: dict[int, str] = {}
    locales: dict[int, str] = {}
    for user_id, name, locale in session.execute(
        select(User.id, User.name, User.locale)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.expedition_id.in_(expedition_ids))
    ):
        names[user_id], locales[user_id] = name, locale

    next_meeting: dict[int, Meeting] = {}
    for meeting in session.scalars(
        select(Meeting)
        .where(
            Meeting.expedition_id.in_(expedition_ids),
            Meeting.status == "scheduled",
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ):
        next_meeting.setdefault(meeting.expedition_id, meeting)

    actions: dict[tuple[int, int], list[str]] = defaultdict(list)
    for expedition_id, owner_id, title in session.execute(
        select(Meeting.expedition_id, RetroAction.owner_id, RetroAction.title)
        .join(Meeting, Meeting.id == RetroAction.meeting_id)
        .where(
            Meeting.expedition_id.in_(expedition_ids),
            RetroAction.owner_id.in_(user_ids),
            RetroAction.outcome.is_(None),
        )
        .order_by(RetroAction.created_at)
    ):
        actions[(expedition_id, owner_id)].append(_short(title))

    support: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for expedition_id, author_id, stuck, nxt in session.execute(
        select(CheckIn.expedition_id, CheckIn.user_id, CheckIn.stuck, CheckIn.next)
        .where(
            CheckIn.expedition_id.in_(expedition_ids),
            CheckIn.visibility == "zirkel",
            CheckIn.needs_support.is_(True),
            CheckIn.support_cleared_at.is_(None),
        )
        .order_by(CheckIn.created_at)
    ):
        support[expedition_id].append((author_id, _short(stuck or nxt)))

    sender = aliased(User)
    kudos: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for expedition_id, receiver_id, sender_name, note, card_title in session.execute(
        select(Kudos.expedition_id, Kudos.receiver_id, sender.name, Kudos.note, Card.title)
        .outerjoin(sender, sender.id == Kudos.sender_id)
        .outerjoin(Card, Card.id == Kudos.card_id)
        .where(
            Kudos.expedition_id.in_(expedition_ids),
            Kudos.receiver_id.in_(user_ids),
            Kudos.created_at >= since,
        )
        .order_by(Kudos.created_at)
    ):
        kudos[(expedition_id, receiver_id)].append(
            {"name": sender_name or "", "note": _short(note), "subject": _short(card_title or "")}
        )

    # Shared learnings of the week, from check-ins and cards alike: one query, newest first.
    learned = (
        select(
            CheckIn.expedition_id.label("expedition_id"),
            CheckIn.user_id.label("author_id"),
            CheckIn.learned.label("text"),
            CheckIn.created_at.label("at"),
        )
        .where(
            CheckIn.expedition_id.in_(expedition_ids),
            CheckIn.visibility == "zirkel",
            CheckIn.learned != "",
            CheckIn.created_at >= since,
        )
        .union_all(
            select(Card.expedition_id, Card.owner_id, Card.learning, Card.updated_at).where(
                Card.expedition_id.in_(expedition_ids),
                Card.visibility == "zirkel",
                Card.learning != "",
                Card.updated_at >= since,
            )
        )
        .subquery()
    )
    learnings: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for expedition_id, author_id, text in session.execute(
        select(learned.c.expedition_id, learned.c.author_id, learned.c.text).order_by(
            learned.c.at.desc()
        )
    ):
        learnings[expedition_id].append((author_id, _short(text)))

    missed = _missed_notifications(session, recipients, since)

    contexts = {}
    for recipient in recipients:
        me = recipient.user_id
        sections = []
        for expedition_id in recipient.expedition_ids:
            expedition = expeditions[expedition_id]
            meeting = next_meeting.get(expedition_id)
            sections.append(
                {
                    "title": expedition.title,
                    "link": local_link("expeditions.show", expedition_id=expedition_id),
                    "next_meeting": {
                        # Named in the reader's language (the mail is written in it).
                        "name": _meeting_name_in(meeting, locales.get(me)),
                        "starts_at": meeting.starts_at.isoformat(),
                        "timezone": expedition.timezone,
                        "location": meeting.location,
                        "link": local_link(
                            "meetings.show", expedition_id=expedition_id, meeting_id=meeting.id
                        ),
                    }
                    if meeting
                    else None,
                    "actions": actions.get((expedition_id, me), [])[:LIST_MAX],
                    "support": [
                        {"name": names.get(author, ""), "text": text}
                        for author, text in support.get(expedition_id, [])
                        if author != me
                    ][:LIST_MAX],
                    "kudos": kudos.get((expedition_id, me), [])[:LIST_MAX],
                    "learnings": [
                        {"name": names.get(author, ""), "text": text}
                        for author, text in learnings.get(expedition_id, [])
                        if author != me
                    ][:LIST_MAX],
                }
            )
        contexts[me] = {
            "name": names.get(me, ""),
            "expeditions": sections,
            "missed": missed.get(me, [])[: LIST_MAX * 2],
        }
    return contexts


def _meeting_name_in(meeting: Meeting, locale: str | None) -> str:
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return meeting_name(meeting)


def _missed_notifications(
    session: Session, recipients: list[Recipient], since: datetime
) -> dict[int, list[dict]]:
    """Unread notifications of the last week whose kind the person sends to the digest."""
    user_ids = [r.user_id for r in recipients]
    own: dict[tuple[int, str], str] = {
        (u, k): c
        for u, k, c in session.execute(
            select(
                NotificationPreference.user_id,
                NotificationPreference.kind,
                NotificationPreference.channel,
            ).where(NotificationPreference.user_id.in_(user_ids))
        )
    }
    defaults: dict[tuple[int, str], str] = {
        (e, k): c
        for e, k, c in session.execute(
            select(
                ExpeditionNotificationDefault.expedition_id,
                ExpeditionNotificationDefault.kind,
                ExpeditionNotificationDefault.channel,
            ).where(
                ExpeditionNotificationDefault.expedition_id.in_(
                    {e for r in recipients for e in r.expedition_ids}
                )
            )
        )
    }
    actor = aliased(User)
    missed: dict[int, list[dict]] = defaultdict(list)
    for user_id, expedition_id, kind, actor_name, subject, link in session.execute(
        select(
            Notification.user_id,
            Notification.expedition_id,
            Notification.kind,
            actor.name,
            Notification.subject,
            Notification.link,
        )
        .outerjoin(actor, actor.id == Notification.actor_id)
        .where(
            Notification.user_id.in_(user_ids),
            Notification.read_at.is_(None),
            Notification.created_at >= since,
        )
        .order_by(Notification.created_at)
    ):
        chosen = choice_kind(kind)  # a series message goes where the single one does
        channel = (
            own.get((user_id, chosen))
            or defaults.get((expedition_id or 0, chosen))
            or DEFAULT_CHANNELS.get(chosen)
        )
        if channel == "digest" and kind != "kudos":  # Rückenwind has its own section
            missed[user_id].append(
                {"kind": kind, "actor_name": actor_name or "", "subject": subject, "link": link}
            )
    return missed


def has_news(context: dict, now: datetime) -> bool:
    """Whether a digest (as `digest_contexts` builds it) tells the person anything this week."""
    if context["missed"]:
        return True
    for section in context["expeditions"]:
        if section["actions"] or section["support"] or section["kudos"] or section["learnings"]:
            return True
        meeting = section["next_meeting"]
        if meeting and datetime.fromisoformat(meeting["starts_at"]) <= now + WEEK:
            return True
    return False


def send_digests(session: Session, now: datetime) -> int:
    """Put one digest per due person with news into the outbox; returns how many went in.

    Every due person's week counts as done (`last_due_at`), whether a digest went or the week
    had nothing for them; `last_sent_at` moves only with a digest. The caller commits.
    """
    from alex.outbox import enqueue_many
    from alex.reach.unsubscribe import unsubscribe_url

    due = due_recipients(session, now)
    contexts = digest_contexts(session, due, now)
    recipients = [r for r in due if has_news(contexts[r.user_id], now)]
    settings = {
        s.user_id: s
        for s in session.scalars(
            select(DigestSetting).where(DigestSetting.user_id.in_([r.user_id for r in due]))
        )
    }
    week = now.isocalendar()
    settings_link = local_link("reach.settings")
    for recipient in recipients:
        context = contexts[recipient.user_id]
        context["unsubscribe_url"] = unsubscribe_url(recipient.user_id, "digest")
        context["settings_link"] = settings_link
    # One INSERT for all; a person whose digest of this week exists already gets none.
    enqueue_many(
        session,
        channel="email",
        kind="digest",
        template="digest",
        contexts={r.user_id: contexts[r.user_id] for r in recipients},
        dedupe_keys={r.user_id: f"digest:{r.user_id}:{week.year}-{week.week}" for r in recipients},
    )
    sent = {r.user_id for r in recipients}
    for recipient in due:
        setting = settings.get(recipient.user_id)
        if setting is None:
            setting = DigestSetting(user_id=recipient.user_id, enabled=True, weekday=0)
            session.add(setting)
        setting.last_due_at = now
        if recipient.user_id in sent:
            setting.last_sent_at = now
    session.flush()
    return len(recipients)
