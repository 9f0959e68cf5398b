"""Calendar files for scheduled, moved and cancelled meetings (iTIP, RFC 5546): the same UID
as the member's calendar feed, a SEQUENCE that only rises, METHOD REQUEST or CANCEL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from alex.db import utcnow
from alex.extensions import db
from alex.meetings import service
from alex.meetings.invitation import meeting_ics
from alex.meetings.models import Meeting
from alex.notifications import KINDS, Notification, set_preference


def _event(ics: bytes):
    calendar = Calendar.from_ical(ics)
    return calendar, next(c for c in calendar.walk("VEVENT"))


def test_request_then_moved_then_cancel_keep_the_uid_and_raise_the_sequence(app, world):
    mona = world.user("Mona Moderation")
    ada = world.user("Ada Lorenz")
    expedition = world.expedition(mona, participates=False)
    world.join(expedition, ada)
    with app.test_request_context("/", method="POST"):  # a GET may not write
        for kind in KINDS:
            set_preference(db.session, ada.id, kind, "app")
        exp = db.session.merge(expedition)
        start = utcnow().replace(microsecond=0) + timedelta(days=3)
        plan = service.Schedule("zirkeltreffen", start, 90, "Raum 2.14", 1, None)
        meeting = service.schedule_meeting(db.session, exp, plan, actor_id=mona.id)
        first_calendar, first = _event(meeting_ics(exp, meeting, "REQUEST", meeting.version, "h"))
        later = service.Schedule("zirkeltreffen", start + timedelta(hours=2), 90, "Raum 3", 1, None)
        service.reschedule_meeting(db.session, exp, meeting, later, actor_id=mona.id)
        _moved_calendar, moved = _event(meeting_ics(exp, meeting, "REQUEST", meeting.version, "h"))
        cancel_calendar, cancel = _event(
            meeting_ics(exp, meeting, "CANCEL", meeting.version + 1, "h")
        )
        # A new moderator alone is not news for the calendars: no notification.
        service.reschedule_meeting(db.session, exp, meeting, replace(later, moderator_id=ada.id))
        service.delete_meeting(db.session, meeting, expedition=exp, actor_id=mona.id)
        db.session.commit()
        kinds = db.session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == ada.id)
            .order_by(Notification.id)
        ).all()
    assert first_calendar["method"] == "REQUEST" and cancel_calendar["method"] == "CANCEL"
    assert str(first["uid"]) == str(moved["uid"]) == str(cancel["uid"])
    assert str(first["uid"]) == f"alex-meeting-{meeting.id}@h"  # as in the calendar feed
    assert int(first["sequence"]) < int(moved["sequence"]) < int(cancel["sequence"])
    assert first["dtstart"].dt == start.astimezone(UTC)
    assert moved["dtstart"].dt == (start + timedelta(hours=2)).astimezone(UTC)
    assert str(moved["location"]) == "Raum 3"
    assert str(cancel["status"]) == "CANCELLED"
    assert str(first["organizer"]).startswith("mailto:")
    assert kinds == ["meeting_scheduled", "meeting_moved", "meeting_cancelled"]
    assert isinstance(meeting, Meeting) and isinstance(start, datetime)
