"""The one message of a meeting series goes where each person sends the single meeting kinds
(app, digest, off), and reads right in the app, the digest and a push message."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select

from alex.extensions import db
from alex.meetings import series
from alex.meetings.invitation import meetings_ics
from alex.notifications import KINDS, Notification, notification_text, set_preference
from alex.push.deliver import content
from alex.reach.digest import digest_contexts, due_recipients

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=BERLIN)  # 2 November 2026 is a Monday


@pytest.fixture
def circle(app, world):
    mona = world.user("Mona Moderation")
    ada = world.user("Ada Lorenz")
    ben = world.user("Ben Okafor")
    expedition = world.expedition(
        mona, start=date(2026, 11, 9), participates=False, sprint_weeks=2, sprint_count=6
    )
    world.join(expedition, ada)
    world.join(expedition, ben)
    with app.app_context():
        for person in (mona, ada, ben):
            for kind in KINDS:
                set_preference(db.session, person.id, kind, "app")
        set_preference(db.session, ada.id, "meeting_scheduled", "digest")
        set_preference(db.session, ben.id, "meeting_scheduled", "off")
        db.session.commit()
    return expedition, mona, ada, ben


def _plan(expedition, mona):
    """Plan the whole series as Mona (inside a POST request: a GET may not write)."""
    exp = db.session.merge(expedition)
    choice = series.SeriesChoice(3, time(16, 30), 90, "Raum 2")
    rows = [r for r in series.propose(exp, [], choice, date(2026, 11, 3)) if r.proposed]
    return series.create_series(db.session, exp, choice, rows, actor_id=mona.id)


def test_series_message_follows_the_single_kinds_choice_into_the_digest(app, circle):
    expedition, mona, ada, ben = circle
    with (
        time_machine.travel(at(3, 10), tick=False),
        app.test_request_context("/", method="POST"),
    ):  # a GET may not write
        planned = _plan(expedition, mona)
        db.session.commit()
        assert len(planned) == 9  # Auftakt, 5 Zirkeltreffen, 2 Boxenstopps, Abschluss
        rows = db.session.execute(
            select(Notification.user_id, Notification.kind, Notification.subject)
        ).all()
    # Ada sends meeting news to the digest (kept in the app too), Ben turned them off.
    assert [(r.user_id, r.kind) for r in rows] == [(ada.id, "meeting_series_scheduled")]
    with time_machine.travel(at(9, 9), tick=False), app.app_context():
        recipients = due_recipients(db.session, at(9, 9))
        contexts = digest_contexts(db.session, recipients, at(9, 9))
        [missed] = contexts[ada.id]["missed"]
        assert missed["kind"] == "meeting_series_scheduled"
        with force_locale("de"):
            shown = notification_text(SimpleNamespace(actor=None, **missed))
        assert shown.startswith("9 Treffen geplant, das erste: Auftakt")


def test_push_text_of_a_series_in_the_readers_language(app):
    message = SimpleNamespace(
        kind="meeting_series_moved",
        template="notification",
        context={
            "subject": "3|Zirkeltreffen nach Sprint 2, 12.11.26, 16:30",
            "expedition_title": "Lernreise",
            "actor_name": "Mona",
        },
    )
    with app.test_request_context("/", method="POST"):
        with force_locale("de"):
            title, body = content(message)
        assert title == "Lernreise"
        assert (
            body == "3 Treffen verschoben, das erste: Zirkeltreffen nach Sprint 2, 12.11.26, 16:30."
        )
        with force_locale("en"):
            assert content(message)[1].startswith("3 meetings moved, the first: Zirkeltreffen")


def test_one_calendar_file_holds_every_meeting_with_its_own_uid(app, circle):
    expedition, mona, _ada, _ben = circle
    with (
        time_machine.travel(at(3, 10), tick=False),
        app.test_request_context("/", method="POST"),
    ):  # a GET may not write
        planned = _plan(expedition, mona)
        exp = db.session.merge(expedition)
        ics = meetings_ics(exp, [(m, m.version) for m in planned], "REQUEST", "h")
    text = ics.decode()
    assert text.count("BEGIN:VEVENT") == 9 and text.count("METHOD:REQUEST") == 1
    for meeting in planned:
        assert f"UID:alex-meeting-{meeting.id}@h" in text
