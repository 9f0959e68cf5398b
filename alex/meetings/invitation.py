"""Telling the members when a meeting is scheduled, moved or cancelled, with a calendar file.

Called from the scheduling functions of `alex.meetings.service`, so every way a meeting is made
tells people the same way; a series (`alex.meetings.series`) is told once for all its meetings
(`tell_members_of_series`: one message, one calendar file with a VEVENT per meeting). The
calendar file is an iTIP message (RFC 5546): METHOD REQUEST for a new or moved meeting, CANCEL
when it is taken off the calendar. Its UID is the one the member's calendar feed uses
(`alex-meeting-<id>@<host>`) and its SEQUENCE is the meeting's version, which only ever rises,
so a calendar updates the same entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import dates
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import select
from sqlalchemy.orm import Session

from alex.db import utcnow
from alex.events import publish
from alex.expeditions.models import Expedition, Membership
from alex.meetings.models import Meeting
from alex.notifications import local_link, notify_all, series_subject

PRODID = "-//ALEx//Agile Lern-Expeditionen//DE"
SERIES_KIND_OF = {
    "meeting_scheduled": "meeting_series_scheduled",
    "meeting_moved": "meeting_series_moved",
}


def meeting_name(meeting: Meeting) -> str:
    """The meeting's kind (and sprint) in the current language."""
    if meeting.kind == "zirkeltreffen" and meeting.sprint_number:
        return _("Zirkeltreffen after sprint %(num)d", num=meeting.sprint_number)
    return {
        "kickoff": _("Auftakt"),
        "zirkeltreffen": _("Zirkeltreffen"),
        "pit_stop": _("Boxenstopp"),
        "closing": _("Abschluss"),
    }.get(meeting.kind, meeting.kind)


def meeting_subject(meeting: Meeting, timezone: str) -> str:
    """A meeting named in a notification: its kind and when, in the actor's language."""
    when = dates.format_datetime(
        meeting.starts_at, "short", tzinfo=ZoneInfo(timezone), locale=get_locale()
    )
    return f"{meeting_name(meeting)}, {when}"


def calendar_host() -> str:
    """The host in calendar UIDs: the public address (ALEX_BASE_URL), else the request's."""
    base = current_app.config.get("ALEX_BASE_URL") or ""
    host = urlsplit(base).hostname if base else None
    if not host and has_request_context():
        host = request.host.split(":")[0]
    return host or "alex.invalid"


def meeting_ics(
    expedition: Expedition, meeting: Meeting, method: str, sequence: int, host: str
) -> bytes:
    """One meeting as an iTIP message: METHOD REQUEST (new or moved) or CANCEL."""
    return meetings_ics(expedition, [(meeting, sequence)], method, host)


def meetings_ics(
    expedition: Expedition, meetings: Sequence[tuple[Meeting, int]], method: str, host: str
) -> bytes:
    """Meetings (each with its SEQUENCE) as one iTIP message, one VEVENT each."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    sender = current_app.config.get("ALEX_MAIL_FROM") or f"alex@{host}"
    stamp = utcnow()
    for meeting, sequence in meetings:
        event = Event()
        event.add("uid", f"alex-meeting-{meeting.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", meeting.starts_at)
        event.add("dtend", meeting.starts_at + timedelta(minutes=meeting.duration_minutes))
        event.add("summary", f"{meeting_name(meeting)} · {expedition.title}")
        event.add("sequence", sequence)
        event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
        organizer = vCalAddress(f"mailto:{_address_of(sender)}")
        organizer.params["cn"] = expedition.title
        event.add("organizer", organizer)
        if meeting.location:
            event.add("location", meeting.location)
        calendar.add_component(event)
    return calendar.to_ical()


def _address_of(sender: str) -> str:
    """The bare address of a sender such as 'ALEx <alex@example.org>'."""
    if "<" in sender and sender.endswith(">"):
        return sender[sender.index("<") + 1 : -1]
    return sender


def _member_ids(session: Session, expedition: Expedition):
    return session.scalars(
        select(Membership.user_id).where(Membership.expedition_id == expedition.id)
    )


def _details(expedition: Expedition, meeting: Meeting) -> dict:
    """What a mail says of one meeting (plain values; it is written in the reader's language)."""
    return {
        "meeting_kind": meeting.kind,
        "sprint_number": meeting.sprint_number,
        "starts_at": meeting.starts_at.isoformat(),
        "timezone": expedition.timezone,
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
    }


# The notification kind → the event other parts (webhooks) hear of.
EVENT_OF = {
    "meeting_scheduled": "meeting.scheduled",
    "meeting_moved": "meeting.moved",
    "meeting_cancelled": "meeting.cancelled",
}


def publish_meeting(session: Session, meeting: Meeting, kind: str) -> None:
    """Raise the meeting's event: when, how long, where and what kind (all members see that)."""
    publish(
        session,
        EVENT_OF[kind],
        meeting.expedition_id,
        {
            "meeting": {
                "id": meeting.id,
                "kind": meeting.kind,
                "sprint_number": meeting.sprint_number,
                "starts_at": meeting.starts_at.isoformat(),
                "duration_minutes": meeting.duration_minutes,
                "location": meeting.location,
                "path": ""
                if kind == "meeting_cancelled"
                else local_link(
                    "meetings.show", expedition_id=meeting.expedition_id, meeting_id=meeting.id
                ),
            }
        },
    )


def tell_members(
    session: Session,
    expedition: Expedition,
    meeting: Meeting,
    kind: str,
    actor_id: int | None,
) -> int:
    """Everyone else in the expedition learns of the meeting; mails carry the calendar file."""
    cancelled = kind == "meeting_cancelled"
    method = "CANCEL" if cancelled else "REQUEST"
    # A cancel comes after the last REQUEST, which carried the current version.
    sequence = meeting.version + 1 if cancelled else meeting.version
    ics = meeting_ics(expedition, meeting, method, sequence, calendar_host())
    link = (
        local_link("meetings.index", expedition_id=expedition.id)
        if cancelled
        else local_link("meetings.show", expedition_id=expedition.id, meeting_id=meeting.id)
    )
    publish_meeting(session, meeting, kind)
    return notify_all(
        session,
        _member_ids(session, expedition),
        kind,
        expedition_id=expedition.id,
        actor_id=actor_id,
        subject=meeting_subject(meeting, expedition.timezone),
        link=link,
        details={"expedition_title": expedition.title, **_details(expedition, meeting)},
        attachments=[("meeting.ics", f"text/calendar; method={method}", ics.decode())],
    )


def tell_members_of_series(
    session: Session,
    expedition: Expedition,
    meetings: Sequence[Meeting],
    kind: str,
    actor_id: int | None,
) -> int:
    """One message per member for meetings planned or moved together (a series).

    `kind` is "meeting_scheduled" or "meeting_moved"; a single meeting is told as usual, several
    as the series kind ("N meetings planned", linking to the meeting list) with one calendar
    file that holds every meeting as its own VEVENT (its own UID and SEQUENCE).
    """
    meetings = sorted(meetings, key=lambda m: (m.starts_at, m.id))
    if not meetings:
        return 0
    if len(meetings) == 1:
        return tell_members(session, expedition, meetings[0], kind, actor_id)
    for meeting in meetings:
        publish_meeting(session, meeting, kind)
    series_kind = SERIES_KIND_OF[kind]
    ics = meetings_ics(expedition, [(m, m.version) for m in meetings], "REQUEST", calendar_host())
    first = meetings[0]
    return notify_all(
        session,
        _member_ids(session, expedition),
        series_kind,
        expedition_id=expedition.id,
        actor_id=actor_id,
        subject=series_subject(len(meetings), meeting_subject(first, expedition.timezone)),
        link=local_link("meetings.index", expedition_id=expedition.id),
        details={
            "expedition_title": expedition.title,
            "timezone": expedition.timezone,
            "meetings": [_details(expedition, m) for m in meetings],
        },
        attachments=[("meetings.ics", "text/calendar; method=REQUEST", ics.decode())],
    )
