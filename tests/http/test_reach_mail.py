"""What reaches people by mail, through a real SMTP server (aiosmtpd with STARTTLS and AUTH):
meeting mails with their calendar file, reminders and the digest with one-click unsubscribe
(RFC 8058), in the recipient's language, routed as each person chose."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from alex.boards import service as boards
from alex.extensions import db
from alex.meetings import service as meetings
from alex.meetings.models import Meeting
from alex.notifications import set_preference
from alex.reach.digest import send_digests
from alex.reach.nudges import give_nudges
from tests.conftest import mail_settings
from tests.support.accounts import csrf_token
from tests.support.circle import make_circle
from tests.support.smtp import run_outbox

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, **mail_settings(smtp_server)}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=BERLIN)


@pytest.fixture
def circle(app, world):
    """Mona facilitates; Ada (German) and Ben (English) take part, with the default channels."""
    return make_circle(app, world, english=["Ben Okafor"])


def _parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_meeting_mails_carry_request_and_cancel_in_each_language(app, circle, smtp_server, actor):
    expedition, mona, ada, ben = circle
    facilitator = actor(mona)
    url = f"/expeditions/{expedition.id}/meetings"
    form = {
        "kind": "zirkeltreffen",
        "day": "2030-01-15",
        "time": "14:00",
        "duration_minutes": "90",
        "location": "Raum 2.14",
        "sprint_number": "1",
        "moderator_id": "",
        "csrf_token": csrf_token(facilitator.client, url),
    }
    response = facilitator.client.post(url, data=form)
    assert response.status_code == 302
    with app.app_context():  # saving returns to the list; the mail links the meeting itself
        meeting_id = db.session.scalars(
            select(Meeting.id).where(Meeting.expedition_id == expedition.id)
        ).one()
    meeting_path = f"{url}/{meeting_id}"
    run_outbox(app)
    first = smtp_server.wait_for(2)
    assert {m["To"].addresses[0].addr_spec for m in first} == {ada.email, ben.email}
    to_ada = next(m for m in first if m["To"].addresses[0].addr_spec == ada.email)
    to_ben = next(m for m in first if m["To"].addresses[0].addr_spec == ben.email)
    assert to_ada["Subject"].strip().startswith("Neues Treffen: Zirkeltreffen nach Sprint 1")
    assert to_ben["Subject"].strip().startswith("New meeting: Circle meeting after sprint 1")
    text, html = _parts(to_ada)
    assert "Raum 2.14" in text and "Dienstag, 15. Januar 2030" in text
    assert f"https://alex.example.org{meeting_path}" in html
    assert "List-Unsubscribe" not in to_ada  # direct news, not a reminder or a digest
    [attachment] = list(to_ada.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    request = Calendar.from_ical(attachment.get_content())
    event = next(iter(request.walk("VEVENT")))
    # Cancel it: the same UID, a higher SEQUENCE, METHOD CANCEL.
    delete = facilitator.client.post(
        f"{meeting_path}/delete", data={"csrf_token": csrf_token(facilitator.client, url)}
    )
    assert delete.status_code == 302
    run_outbox(app)
    cancels = smtp_server.wait_for(4)[2:]
    to_ada_cancel = next(m for m in cancels if m["To"].addresses[0].addr_spec == ada.email)
    assert to_ada_cancel["Subject"].strip().startswith("Ein Treffen wurde abgesagt")
    [cancel_file] = list(to_ada_cancel.iter_attachments())
    assert cancel_file.get_param("method") == "CANCEL"
    cancel = next(iter(Calendar.from_ical(cancel_file.get_content()).walk("VEVENT")))
    assert str(cancel["uid"]) == str(event["uid"])
    assert int(cancel["sequence"]) > int(event["sequence"])


def test_choosing_the_app_sends_no_mail(app, circle, smtp_server):
    expedition, mona, ada, ben = circle
    with app.app_context():
        set_preference(db.session, ada.id, "support_requested", "app")
        set_preference(db.session, mona.id, "support_requested", "off")
        boards.add_check_in(
            db.session, expedition.id, ben.id, stuck="Hänge fest", needs_support=True
        )
        db.session.commit()
    run_outbox(app)
    assert smtp_server.messages == []


def test_a_rolled_back_support_request_sends_nothing(app, circle, smtp_server):
    expedition, _mona, _ada, ben = circle
    with app.app_context():
        boards.add_check_in(
            db.session, expedition.id, ben.id, stuck="Hänge fest", needs_support=True
        )
        db.session.rollback()
    run_outbox(app)
    assert smtp_server.messages == []


def test_reminder_mail_has_one_click_unsubscribe_that_works(app, circle, smtp_server, client):
    expedition, _mona, ada, _ben = circle
    with time_machine.travel(at(2, 9), tick=False), app.app_context():
        meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", at(13, 17), 90, "Raum 2", 3, None),
        )
        db.session.commit()
    run_outbox(app)
    before = len(smtp_server.wait_for(3))  # the scheduling news to all three
    with time_machine.travel(at(12, 9), tick=False), app.app_context():
        assert give_nudges(db.session, at(12, 9)) == 2
        db.session.commit()
    run_outbox(app)
    reminders = smtp_server.wait_for(before + 2)[before:]
    to_ada = next(m for m in reminders if m["To"].addresses[0].addr_spec == ada.email)
    assert to_ada["Subject"].strip().startswith("Das Zirkeltreffen steht bevor")
    assert to_ada["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = to_ada["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://alex.example.org/unsubscribe/")
    # What a mail program does (RFC 8058): POST the form body, no cookie, no CSRF token.
    answer = client.post(urlsplit(link).path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 204
    with app.app_context():
        from alex.notifications import channels_for

        assert channels_for(db.session, [ada.id], "nudge_check_in", expedition.id) == {
            ada.id: "off"
        }


def test_weekly_digest_mail_at_most_once_a_week(app, circle, smtp_server, client):
    expedition, _mona, ada, ben = circle
    with time_machine.travel(at(5, 10), tick=False), app.app_context():
        boards.add_check_in(db.session, expedition.id, ben.id, learned="Kleine Schritte helfen")
        boards.add_check_in(
            db.session, expedition.id, ben.id, learned="Geheimes", visibility="private"
        )
        boards.add_check_in(db.session, expedition.id, ada.id, learned="Fragen stellen")
        db.session.commit()
    with time_machine.travel(at(9, 9), tick=False), app.app_context():
        assert send_digests(db.session, at(9, 9)) == 3
        db.session.commit()
        assert send_digests(db.session, at(9, 10)) == 0  # the same Monday: nothing more
        db.session.commit()
    run_outbox(app)
    digests = smtp_server.wait_for(3)
    to_ada = next(m for m in digests if m["To"].addresses[0].addr_spec == ada.email)
    to_ben = next(m for m in digests if m["To"].addresses[0].addr_spec == ben.email)
    assert to_ada["Subject"].strip() == "Deine Woche in ALEx"
    assert to_ben["Subject"].strip() == "Your week in ALEx"
    text, html = _parts(to_ada)
    assert "Kleine Schritte helfen" in text and "Kleine Schritte helfen" in html
    assert "Geheimes" not in text and "Geheimes" not in html
    assert "<h1>" in html and "<img" not in html  # real headings, no remote images
    assert to_ada["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    answer = client.post(
        urlsplit(to_ada["List-Unsubscribe"].strip("<>")).path,
        data={"List-Unsubscribe": "One-Click"},
    )
    assert answer.status_code == 204
    with time_machine.travel(at(12, 10), tick=False), app.app_context():
        boards.add_check_in(db.session, expedition.id, ada.id, learned="Pausen planen")
        db.session.commit()
    with time_machine.travel(at(16, 9), tick=False), app.app_context():
        assert send_digests(db.session, at(16, 9)) == 2  # Ada left; Mona and Ben, next week
        db.session.commit()
