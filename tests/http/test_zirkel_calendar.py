"""Calendar files: the private, revocable feed per member and the one-off file per meeting."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from sqlalchemy import select

from alex.expeditions.models import Membership
from alex.extensions import db
from alex.meetings.models import Meeting
from tests.support.accounts import TEST_PASSWORD


def _feed_url(page: str) -> str:
    match = re.search(
        r'id="feed-url" type="text" readonly value="http://localhost(/calendar/[^"]+\.ics)"', page
    )
    assert match, "no feed URL on the page"
    return match.group(1)


def _create_feed(member, expedition_id: int) -> str:
    response = member.post(f"/expeditions/{expedition_id}/calendar-feed", htmx=True)
    assert response.status_code == 200
    return _feed_url(response.get_data(as_text=True))


def test_feed_lists_sprints_meetings_and_the_abschluss(busy_zirkel, actor, client):
    url = _create_feed(actor(busy_zirkel.ben), busy_zirkel.expedition_id)
    response = client.get(url)  # no login: calendar apps cannot log in
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    summaries = [str(e["SUMMARY"]) for e in events]
    sprints = [s for s in summaries if s.startswith("Sprint ")]
    assert len(sprints) == 6
    assert any(s.startswith("Auftakt") for s in summaries)
    assert sum(s.startswith("Zirkeltreffen nach Sprint") for s in summaries) == 2
    assert any(s.startswith("Abschluss") for s in summaries)
    assert sum(s.startswith("Boxenstopp") for s in summaries) == 2
    assert len({str(e["UID"]) for e in events}) == len(events)  # stable, unique ids
    first = next(e for e in events if str(e["SUMMARY"]).startswith("Sprint 1 "))
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert isinstance(start, date) and not isinstance(start, datetime)
    assert (end - start).days == 28  # four weeks, DTEND exclusive
    kickoff = next(e for e in events if str(e["SUMMARY"]).startswith("Auftakt"))
    assert isinstance(kickoff.decoded("DTSTART"), datetime)
    assert str(kickoff["LOCATION"]) == "Raum 2.14"


def test_renewing_or_revoking_ends_the_old_url(busy_zirkel, actor, client):
    ben = actor(busy_zirkel.ben)
    old = _create_feed(ben, busy_zirkel.expedition_id)
    new = _create_feed(ben, busy_zirkel.expedition_id)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    response = ben.post(f"/expeditions/{busy_zirkel.expedition_id}/calendar-feed/revoke")
    assert response.status_code == 302
    assert client.get(new).status_code == 404
    page = ben.get(f"/expeditions/{busy_zirkel.expedition_id}/zirkel").get_data(as_text=True)
    assert "Meinen Kalender-Link erstellen" in page


def test_leaving_the_expedition_ends_the_feed(busy_zirkel, actor, client, app):
    url = _create_feed(actor(busy_zirkel.cem), busy_zirkel.expedition_id)
    with app.app_context():
        membership = db.session.scalar(
            select(Membership).where(Membership.user_id == busy_zirkel.cem.id)
        )
        db.session.delete(membership)
        db.session.commit()
    assert client.get(url).status_code == 404


def _membership_id(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Membership.id).where(Membership.user_id == user_id))


@pytest.mark.parametrize("how", ["removed", "left"])
def test_a_feed_stays_dead_after_its_owner_rejoins(busy_zirkel, actor, client, app, world, how):
    expedition_id = busy_zirkel.expedition_id
    cem = actor(busy_zirkel.cem)
    url = _create_feed(cem, expedition_id)
    if how == "removed":
        member_id = _membership_id(app, busy_zirkel.cem.id)
        response = actor(busy_zirkel.facilitator).post(
            f"/expeditions/{expedition_id}/members/{member_id}/remove"
        )
    else:
        response = cem.post(f"/expeditions/{expedition_id}/leave")
    assert response.status_code in (200, 302)
    assert client.get(url).status_code == 404
    # Invited again: the old link must not come back to life with the new membership.
    world.join(SimpleNamespace(id=expedition_id), busy_zirkel.cem)
    assert client.get(url).status_code == 404, "the old feed link works again after rejoining"
    page = cem.get(f"/expeditions/{expedition_id}/busy_zirkel").get_data(as_text=True)
    assert url not in page  # the page offers a new link, not the dead one
    assert client.get(_create_feed(cem, expedition_id)).status_code == 200


def test_deleting_the_account_ends_the_feed(busy_zirkel, actor, client):
    cem = actor(busy_zirkel.cem)
    url = _create_feed(cem, busy_zirkel.expedition_id)
    response = cem.post("/account/delete", {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("token", ["nope", "x" * 65, "a" * 43, "%00", "a%00b", "%C3%A4"])
def test_unknown_tokens_are_404(client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 400), ("outsider", 404), ("ben", 200), ("facilitator", 200)]
)
def test_feed_token_permissions(busy_zirkel, actor, client, who, status):
    path = f"/expeditions/{busy_zirkel.expedition_id}/calendar-feed"
    if who == "anonymous":
        response = client.post(path)
    else:
        response = actor(getattr(busy_zirkel, who)).post(path, htmx=True)
    assert response.status_code == status


def _meeting_id(app, expedition_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Meeting.id).where(
                Meeting.expedition_id == expedition_id, Meeting.kind == "kickoff"
            )
        )


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("outsider", 404), ("ben", 200), ("facilitator", 200)]
)
def test_meeting_file_permissions(busy_zirkel, actor, client, app, who, status):
    path = f"/expeditions/{busy_zirkel.expedition_id}/meetings/{_meeting_id(app, busy_zirkel.expedition_id)}.ics"
    response = (
        client.get(path) if who == "anonymous" else actor(getattr(busy_zirkel, who)).get(path)
    )
    assert response.status_code == status
    if status == 200:
        calendar = Calendar.from_ical(response.data)
        (event,) = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]).startswith("Auftakt")
        assert "attachment" in response.headers["Content-Disposition"]


def test_meeting_of_another_expedition_is_404(busy_zirkel, actor, app, world):
    other = world.expedition(busy_zirkel.ben, title="Andere")
    meeting_id = _meeting_id(app, busy_zirkel.expedition_id)
    ben = actor(busy_zirkel.ben)
    assert ben.get(f"/expeditions/{other.id}/meetings/{meeting_id}.ics").status_code == 404


def test_meeting_table_offers_the_calendar_file(busy_zirkel, actor, app):
    page = (
        actor(busy_zirkel.ben)
        .get(f"/expeditions/{busy_zirkel.expedition_id}/zirkel")
        .get_data(as_text=True)
    )
    meeting_id = _meeting_id(app, busy_zirkel.expedition_id)
    assert f"/meetings/{meeting_id}.ics" in page


def test_the_map_follows_new_meetings_and_belongs_to_its_expedition(busy_zirkel, actor, app, world):
    """The Expeditionskarte renders once per timeline: a new meeting must redraw it, and an
    expedition never shows another's map."""
    from datetime import UTC

    ben = actor(busy_zirkel.ben)
    path = f"/expeditions/{busy_zirkel.expedition_id}/zirkel"
    before = ben.get(path).get_data(as_text=True)
    with app.app_context():
        meeting = Meeting(
            expedition_id=busy_zirkel.expedition_id,
            kind="pit_stop",
            starts_at=datetime(2026, 12, 24, 9, 0, tzinfo=UTC),
        )
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    after = ben.get(path).get_data(as_text=True)
    assert f"/meetings/{meeting_id}.ics" not in before
    assert f"/meetings/{meeting_id}.ics" in after
    other = world.expedition(busy_zirkel.ben, title="Andere")
    elsewhere = ben.get(f"/expeditions/{other.id}/zirkel").get_data(as_text=True)
    table = elsewhere.split('id="expeditionskarte"')[1].split("</section>")[0]
    assert f"/expeditions/{busy_zirkel.expedition_id}/" not in table
