"""Calendar files: a private, revocable .ics feed per member and a one-off .ics per meeting.

The feed URL carries an unguessable token instead of a login (phone calendars cannot log in).
The token grants only that member's feed of that expedition, and only for the membership it
was made in: revoking it, leaving or being removed makes the old URL answer 404, and it stays
dead when the person joins again (the new membership starts after the token was made).
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from alex.db import utcnow
from alex.expeditions.models import Expedition, Membership
from alex.meetings.models import Meeting
from alex.progress import charts
from alex.progress.models import CalendarToken

PRODID = "-//ALEx//Agile Lern-Expeditionen//DE"


TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")


def _of_membership():
    """Join condition: a live token made during this membership (not during an earlier one).

    Ending a membership deletes its row, and a rejoin makes a new one; checking the token's age
    against the membership's start revokes the old links on every way out (removed, left, an
    operator's or a future tool's delete) without each of them having to remember it.
    """
    return (
        (CalendarToken.expedition_id == Membership.expedition_id)
        & (CalendarToken.user_id == Membership.user_id)
        & (CalendarToken.created_at >= Membership.joined_at)
        & CalendarToken.revoked_at.is_(None)
    )


def active_token(session: Session, expedition_id: int, user_id: int) -> CalendarToken | None:
    """The member's current feed token, if they created one in this membership."""
    return session.scalar(
        select(CalendarToken)
        .join(Membership, _of_membership())
        .where(
            CalendarToken.expedition_id == expedition_id,
            CalendarToken.user_id == user_id,
        )
        .order_by(CalendarToken.id.desc())
        .limit(1)
    )


def revoke_tokens(session: Session, expedition_id: int, user_id: int) -> int:
    """End every feed URL the member has for this expedition; returns how many were active."""
    now = utcnow()
    tokens = session.scalars(
        select(CalendarToken).where(
            CalendarToken.expedition_id == expedition_id,
            CalendarToken.user_id == user_id,
            CalendarToken.revoked_at.is_(None),
        )
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def renew_token(session: Session, expedition_id: int, user_id: int) -> CalendarToken:
    """A fresh feed URL for the member; any older one stops working."""
    revoke_tokens(session, expedition_id, user_id)
    token = CalendarToken(
        expedition_id=expedition_id, user_id=user_id, token=secrets.token_urlsafe(32)
    )
    session.add(token)
    session.flush()
    return token


def membership_for_token(session: Session, token: str) -> Membership | None:
    """The membership a live feed token belongs to; None when revoked, unknown, left or older."""
    # Tokens are URL-safe base64; anything else (a NUL byte, which PostgreSQL refuses) is unknown.
    if not token or len(token) > 64 or not TOKEN_SHAPE.fullmatch(token):
        return None
    return session.scalar(
        select(Membership).join(CalendarToken, _of_membership()).where(CalendarToken.token == token)
    )


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _meeting_event(expedition: Expedition, meeting: Meeting, host: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"alex-meeting-{meeting.id}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{_meeting_title(meeting)} · {expedition.title}")
    event.add("sequence", meeting.version)
    if meeting.location:
        event.add("location", meeting.location)
    return event


def _meeting_title(meeting: Meeting) -> str:
    number = meeting.sprint_number if meeting.kind == "zirkeltreffen" else None
    return charts.event_label(meeting.kind, number)


def _all_day(uid: str, day: date, last_day: date, summary: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", last_day + timedelta(days=1))  # DTEND of an all-day event is exclusive
    event.add("summary", summary)
    event.add("transp", "TRANSPARENT")  # a sprint does not make anyone busy
    return event


def expedition_feed(
    expedition: Expedition, meetings: list[Meeting], host: str, today: date
) -> bytes:
    """The expedition as a calendar: sprints, scheduled meetings, and the Abschluss."""
    stamp = utcnow()
    calendar = _calendar(expedition.title)
    timeline = charts.build_timeline(expedition, meetings, today)
    for sprint in timeline.sprints:
        calendar.add_component(
            _all_day(
                f"alex-{expedition.id}-sprint-{sprint.number}@{host}",
                sprint.start,
                sprint.end,
                " · ".join((_("Sprint %(num)d", num=sprint.number), expedition.title)),
                stamp,
            )
        )
    for meeting in meetings:
        calendar.add_component(_meeting_event(expedition, meeting, host, stamp))
    for event in timeline.events:
        # Days the calendar sets but no meeting fixes yet: the Abschluss and Boxenstopps.
        if not event.scheduled and event.kind in ("closing", "pit_stop"):
            calendar.add_component(
                _all_day(
                    f"alex-{expedition.id}-{event.kind}-{event.day.isoformat()}@{host}",
                    event.day,
                    event.day,
                    f"{event.label} · {expedition.title}",
                    stamp,
                )
            )
    return calendar.to_ical()


def meeting_file(expedition: Expedition, meeting: Meeting, host: str) -> bytes:
    """One meeting as a calendar file to download and open."""
    calendar = _calendar(expedition.title)
    calendar.add("method", "PUBLISH")
    calendar.add_component(_meeting_event(expedition, meeting, host, utcnow()))
    return calendar.to_ical()
