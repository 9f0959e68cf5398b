"""A meeting series is told once: one notification and one mail (with one calendar file holding
every meeting) per member and series action, through a real SMTP server; single meetings as
before. Routing follows each person's choice for the single meeting kinds."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from alex.extensions import db
from alex.meetings.models import Meeting
from alex.notifications import Notification
from tests.conftest import mail_settings
from tests.support.circle import make_circle
from tests.support.smtp import run_outbox

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, **mail_settings(smtp_server)}


@pytest.fixture
def circle(app, world):
    """Mona facilitates; Ada (German) and Ben (English) get mails, Cem chose the app only."""
    return make_circle(
        app,
        world,
        start=date(2030, 1, 7),
        people=("Ada Lorenz", "Ben Okafor", "Cem Demir"),
        english=["Ben Okafor"],
        in_app={"Cem Demir": ("meeting_scheduled", "meeting_moved")},
    )


def _plan(actor, expedition, include: list[str]):
    return actor.post(
        f"/expeditions/{expedition.id}/meetings/series",
        {
            "weekday": "3",
            "time": "16:30",
            "duration_minutes": "90",
            "location": "Raum 2.14",
            "kickoff": "y",
            "zirkeltreffen": "y",
            "closing": "y",
            "include": include,
            "rows": "1",
        },
    )


def _notifications(app, user_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(Notification.kind, Notification.subject, Notification.link)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        ]


def _series_meetings(app, expedition) -> list[Meeting]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Meeting)
                .where(Meeting.expedition_id == expedition.id, Meeting.series_id.is_not(None))
                .order_by(Meeting.starts_at)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def _to(messages, address: str):
    [message] = [m for m in messages if m["To"].addresses[0].addr_spec == address]
    return message


def _events(message) -> tuple[Calendar, list]:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(attachment.get_content())
    return calendar, list(calendar.walk("VEVENT"))


def test_planning_a_series_tells_each_member_once_with_all_events(app, actor, circle, smtp_server):
    expedition, mona, ada, ben, cem = circle
    include = ["kickoff", "zirkeltreffen-1", "zirkeltreffen-2", "zirkeltreffen-3", "closing"]
    response = _plan(actor(mona), expedition, include)
    assert response.status_code == 302
    meetings = _series_meetings(app, expedition)
    assert len(meetings) == 5
    index = f"/expeditions/{expedition.id}/meetings"
    for person in (ada, ben, cem):
        [(kind, subject, link)] = _notifications(app, person.id)
        assert kind == "meeting_series_scheduled" and link == index
    assert _notifications(app, mona.id) == []  # the one who planned is not told
    page = actor(cem).get("/notifications").get_data(as_text=True)
    assert "5 Treffen geplant, das erste: Auftakt" in page

    run_outbox(app)
    messages = smtp_server.wait_for(2)
    assert len(smtp_server.messages) == 2  # Ada and Ben by mail, Cem only in the app
    to_ada, to_ben = _to(messages, ada.email), _to(messages, ben.email)
    assert to_ada["Subject"].strip().startswith("5 Treffen geplant, das erste: Auftakt")
    assert to_ben["Subject"].strip().startswith("5 meetings planned, the first: Kick-off")
    text = to_ada.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "\n- Zirkeltreffen nach Sprint 3: Donnerstag, 14. Februar 2030, 16:30 (Raum 2.14)\n" in text
    )
    assert f"https://alex.example.org{index}" in to_ada.get_body(("html",)).get_content()
    calendar, events = _events(to_ada)
    assert calendar["method"] == "REQUEST"
    uids = [str(event["uid"]) for event in events]
    assert len(set(uids)) == 5
    assert {uid.split("@")[0] for uid in uids} == {f"alex-meeting-{m.id}" for m in meetings}
    starts = sorted(event["dtstart"].dt for event in events)
    assert starts == [m.starts_at.astimezone(starts[0].tzinfo) for m in meetings]
    assert all(int(e["sequence"]) == m.version for e, m in zip(events, meetings, strict=True))


def test_moving_this_and_following_tells_each_member_once(app, actor, circle, smtp_server):
    expedition, mona, ada, ben, cem = circle
    include = ["zirkeltreffen-1", "zirkeltreffen-2", "zirkeltreffen-3", "closing"]
    assert _plan(actor(mona), expedition, include).status_code == 302
    planned = _series_meetings(app, expedition)
    run_outbox(app)
    before = len(smtp_server.wait_for(2))
    planned_uids = {
        str(e["uid"]): int(e["sequence"]) for e in _events(_to(smtp_server.messages, ada.email))[1]
    }
    second = planned[1]
    day = second.starts_at.astimezone(BERLIN).date() - timedelta(days=1)
    response = actor(mona).post(
        f"/expeditions/{expedition.id}/meetings/{second.id}/edit",
        {
            "kind": second.kind,
            "day": day.isoformat(),
            "time": "10:15",
            "duration_minutes": "120",
            "location": "Raum 4.01",
            "sprint_number": str(second.sprint_number or ""),
            "moderator_id": "",
            "scope": "following",
        },
    )
    assert response.status_code == 302
    for person in (ada, ben, cem):
        kinds = [kind for kind, _subject, _link in _notifications(app, person.id)]
        assert kinds == ["meeting_series_scheduled", "meeting_series_moved"]
    run_outbox(app)
    moved_mails = smtp_server.wait_for(before + 2)[before:]
    assert len(smtp_server.messages) == before + 2
    to_ada = _to(moved_mails, ada.email)
    assert to_ada["Subject"].strip().startswith("3 Treffen verschoben, das erste: Zirkeltreffen")
    assert _to(moved_mails, ben.email)["Subject"].strip().startswith("3 meetings moved")
    _calendar, events = _events(to_ada)
    assert len(events) == 3 and len({str(e["uid"]) for e in events}) == 3
    for event in events:  # the same entries as planned, a higher SEQUENCE
        assert int(event["sequence"]) > planned_uids[str(event["uid"])]
        assert str(event["location"]) == "Raum 4.01"
    assert str(planned[0].id) not in " ".join(str(e["uid"]) for e in events)


def test_single_meetings_are_told_one_by_one_as_before(app, actor, circle, smtp_server):
    expedition, mona, ada, ben, _cem = circle
    facilitator = actor(mona)
    url = f"/expeditions/{expedition.id}/meetings"
    for day in ("2030-01-15", "2030-01-29"):
        response = facilitator.post(
            url,
            {
                "kind": "zirkeltreffen",
                "day": day,
                "time": "14:00",
                "duration_minutes": "90",
                "location": "Raum 2.14",
                "sprint_number": "1",
                "moderator_id": "",
            },
        )
        assert response.status_code == 302
    with app.app_context():
        ids = db.session.scalars(
            select(Meeting.id).where(Meeting.expedition_id == expedition.id).order_by(Meeting.id)
        ).all()
    kinds = [(kind, link) for kind, _subject, link in _notifications(app, ada.id)]
    assert kinds == [("meeting_scheduled", f"{url}/{meeting_id}") for meeting_id in ids]
    run_outbox(app)
    messages = smtp_server.wait_for(4)
    assert len(smtp_server.messages) == 4
    to_ada = [m for m in messages if m["To"].addresses[0].addr_spec == ada.email]
    assert len(to_ada) == 2
    uids = set()
    for message in to_ada:
        assert message["Subject"].strip().startswith("Neues Treffen: Zirkeltreffen nach Sprint 1")
        _calendar, events = _events(message)
        assert len(events) == 1
        uids.add(str(events[0]["uid"]))
    assert len(uids) == 2


def test_a_series_member_moved_alone_is_a_single_move(app, actor, circle, smtp_server):
    expedition, mona, ada, _ben, _cem = circle
    assert _plan(actor(mona), expedition, ["zirkeltreffen-1", "zirkeltreffen-2"]).status_code == 302
    first = _series_meetings(app, expedition)[0]
    day = first.starts_at.astimezone(BERLIN).date() + timedelta(days=1)
    response = actor(mona).post(
        f"/expeditions/{expedition.id}/meetings/{first.id}/edit",
        {
            "kind": first.kind,
            "day": day.isoformat(),
            "time": "16:30",
            "duration_minutes": "90",
            "location": "Raum 2.14",
            "sprint_number": str(first.sprint_number or ""),
            "moderator_id": "",
            "scope": "one",
        },
    )
    assert response.status_code == 302
    kinds = [kind for kind, _subject, _link in _notifications(app, ada.id)]
    assert kinds == ["meeting_series_scheduled", "meeting_moved"]
    run_outbox(app)
    moved = smtp_server.wait_for(4)[2:]
    _calendar, events = _events(_to(moved, ada.email))
    assert [str(e["uid"]).split("@")[0] for e in events] == [f"alex-meeting-{first.id}"]
