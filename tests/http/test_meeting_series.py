"""Planning an expedition's meetings in one go: preview, save, move one or all following, links."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alex.expeditions import calendar
from alex.extensions import db
from alex.meetings.models import Meeting
from tests.support.meetings import make_zirkel

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def z(app, world):
    """Mona facilitates; a Zirkeltreffen for sprint 1 (moderated by Cem) is on the calendar."""
    return make_zirkel(app, world)


def _series(z, suffix: str = "") -> str:
    return f"/expeditions/{z.expedition.id}/meetings/series{suffix}"


def _settings(**overrides) -> dict:
    data = {
        "weekday": "3",  # Thursday
        "time": "16:30",
        "duration_minutes": "90",
        "location": "https://video.example.org/zirkel",
        "kickoff": "y",
        "zirkeltreffen": "y",
        "closing": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _days(html: str) -> dict[str, date]:
    """The dates the preview proposes, by row."""
    return {
        key: date.fromisoformat(value)
        for key, value in re.findall(r'name="day-([a-z_]+-?\d*)" value="([0-9-]+)"', html)
    }


def _meetings(app, z) -> list[Meeting]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Meeting)
                .where(Meeting.expedition_id == z.expedition.id)
                .order_by(Meeting.starts_at)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def _sprint(z, number: int) -> calendar.Sprint:
    return calendar.sprints(z.expedition.start_date, 4, 6)[number - 1]


def test_series_page_offers_the_sprint_calendar(actor, z):
    page = actor(z.facilitator).get(_series(z))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    days = _days(html)
    # Auftakt, Zirkeltreffen after sprints 2–5 (sprint 1 is on the calendar), Abschluss.
    assert {"kickoff", "zirkeltreffen-2", "zirkeltreffen-5", "closing"} <= set(days)
    assert "zirkeltreffen-1" not in days and "zirkeltreffen-6" not in days
    assert "steht schon im Kalender" in html
    assert "Angehakte Treffen speichern" in html
    assert "In den Kalender eintragen" not in html


def test_preview_follows_the_chosen_weekday_and_saves_nothing(app, actor, z):
    before = len(_meetings(app, z))
    response = actor(z.facilitator).post(
        _series(z, "/preview"), _settings(pit_stops="y"), htmx=True
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and 'id="series-preview"' in html
    days = _days(html)
    for number in range(2, 6):
        day = days[f"zirkeltreffen-{number}"]
        sprint = _sprint(z, number)
        assert day.weekday() == 3 and sprint.end - timedelta(days=6) <= day <= sprint.end
    pit_stops = [d for k, d in days.items() if k.startswith("pit_stop")]
    assert len(pit_stops) == 2 and all(d.weekday() == 3 for d in pit_stops)
    assert not set(pit_stops) & {d for k, d in days.items() if k.startswith("zirkel")}
    assert len(_meetings(app, z)) == before


def test_save_puts_the_ticked_meetings_on_the_calendar_as_one_series(app, actor, z):
    facilitator = actor(z.facilitator)
    proposed = _days(facilitator.post(_series(z, "/preview"), _settings()).get_data(as_text=True))
    moved = proposed["zirkeltreffen-3"] + timedelta(days=1)
    data = _settings(
        include=["zirkeltreffen-1", "zirkeltreffen-2", "zirkeltreffen-3", "closing", "made-up"],
        rows="1",
        **{f"day-{k}": d.isoformat() for k, d in proposed.items()},
    )
    data["day-zirkeltreffen-3"] = moved.isoformat()
    response = facilitator.post(_series(z), data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/expeditions/{z.expedition.id}/meetings#upcoming-heading"
    )
    meetings = _meetings(app, z)
    new = [m for m in meetings if m.series_id]
    # The Zirkeltreffen of sprint 1 was there already: not doubled; unknown rows are ignored.
    assert sorted((m.kind, m.sprint_number) for m in new) == [
        ("closing", 6),
        ("zirkeltreffen", 2),
        ("zirkeltreffen", 3),
    ]
    assert len({m.series_id for m in new}) == 1
    local = {m.sprint_number: m.starts_at.astimezone(BERLIN) for m in new}
    assert local[3].date() == moved and local[2].time() == time(16, 30)
    assert all(
        m.location == "https://video.example.org/zirkel" and m.status == "scheduled" for m in new
    )
    index = facilitator.get(f"/expeditions/{z.expedition.id}/meetings").get_data(as_text=True)
    assert "3 Treffen stehen im Kalender." in index
    assert '<a href="https://video.example.org/zirkel" rel="noopener noreferrer">' in index

    again = facilitator.post(_series(z), data)
    assert again.status_code == 422
    assert "noch nicht im Kalender steht" in again.get_data(as_text=True)
    assert len(_meetings(app, z)) == len(meetings)


@pytest.mark.parametrize(
    "location",
    ["http://video.example.org/zirkel", "javascript:alert(1)", "www.example.org", "https://"],
)
def test_only_https_links_are_accepted(app, actor, z, location):
    facilitator = actor(z.facilitator)
    before = len(_meetings(app, z))
    data = _settings(location=location, include=["zirkeltreffen-2"], rows="1")
    response = facilitator.post(_series(z), data)
    assert response.status_code == 422
    assert "https://" in response.get_data(as_text=True)
    single = facilitator.post(
        f"/expeditions/{z.expedition.id}/meetings",
        {
            "kind": "pit_stop",
            "day": "2030-01-10",
            "time": "10:00",
            "duration_minutes": "60",
            "location": location,
        },
    )
    assert single.status_code == 422
    assert "Bitte verwende einen sicheren Link, der mit https:// beginnt." in single.get_data(
        as_text=True
    )
    edit = facilitator.post(
        z.url("/edit"),
        {
            "kind": "zirkeltreffen",
            "day": "2030-01-10",
            "time": "10:00",
            "duration_minutes": "60",
            "location": location,
        },
    )
    assert edit.status_code == 422
    assert len(_meetings(app, z)) == before
    assert _meetings(app, z)[0].location == "Raum 2.14"


def test_a_place_with_a_link_and_plain_places_are_kept(app, actor, z):
    response = actor(z.facilitator).post(
        f"/expeditions/{z.expedition.id}/meetings",
        {
            "kind": "pit_stop",
            "day": "2030-01-10",
            "time": "10:00",
            "duration_minutes": "60",
            "location": "Raum 3 oder https://video.example.org/a?b=1&c=2",
        },
    )
    assert response.status_code == 302
    page = actor(z.ada).get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert (
        'Raum 3 oder <a href="https://video.example.org/a?b=1&amp;c=2" rel="noopener noreferrer">'
        in page
    )


@pytest.mark.parametrize("bad", ["2026-13-45", "gestern", "1900-01-01"])
def test_a_bad_date_in_the_preview_is_refused_in_place(app, actor, z, bad):
    before = len(_meetings(app, z))
    data = _settings(include=["zirkeltreffen-2", "closing"], rows="1")
    data["day-zirkeltreffen-2"] = bad
    response = actor(z.facilitator).post(_series(z), data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="row-zirkeltreffen-2-error"' in html
    assert f'value="{bad}"' in html  # what was typed stays
    assert len(_meetings(app, z)) == before


@pytest.mark.parametrize(
    "field,value", [("weekday", "9"), ("time", "25:00"), ("duration_minutes", "5")]
)
def test_bad_settings_are_refused(app, actor, z, field, value):
    response = actor(z.facilitator).post(
        _series(z), _settings(include=["closing"], **{field: value})
    )
    assert response.status_code == 422
    assert 'class="form-summary"' in response.get_data(as_text=True)
    assert not [m for m in _meetings(app, z) if m.series_id]


SERIES_ACCESS = {
    "anonymous": 302,
    "other_expedition": 404,
    "participant": 403,
    "moderator": 403,
    "facilitator": None,
}


@pytest.mark.parametrize("who", list(SERIES_ACCESS))
@pytest.mark.parametrize("method,suffix", [("get", ""), ("post", "/preview"), ("post", "")])
def test_only_the_facilitator_plans_a_series(app, client, actor, world, z, who, method, suffix):
    if who == "anonymous":
        response = getattr(client, method)(_series(z, suffix), data=_settings())
    else:
        if who == "other_expedition":
            world.expedition(z.outsider, title="Andere Expedition")
        person = {
            "other_expedition": z.outsider,
            "participant": z.ada,
            "moderator": z.moderator,
            "facilitator": z.facilitator,
        }[who]
        acting = actor(person)
        data = _settings(include=["closing"], rows="1")
        response = (
            acting.get(_series(z)) if method == "get" else acting.post(_series(z, suffix), data)
        )
    expected = SERIES_ACCESS[who] or (302 if method == "post" and not suffix else 200)
    if who == "anonymous" and method == "post":
        expected = 400  # no session, so no CSRF token: refused before anything else
    assert response.status_code == expected
    if who != "facilitator":
        assert not [m for m in _meetings(app, z) if m.series_id]


def _plan_series(app, actor, z) -> list[Meeting]:
    response = actor(z.facilitator).post(
        _series(z),
        _settings(
            include=["zirkeltreffen-2", "zirkeltreffen-3", "zirkeltreffen-4", "closing"], rows="1"
        ),
    )
    assert response.status_code == 302
    return [m for m in _meetings(app, z) if m.series_id]


def _edit(meeting: Meeting, day: date, scope: str, moderator_id: int | None = None) -> dict:
    return {
        "kind": meeting.kind,
        "day": day.isoformat(),
        "time": "10:15",
        "duration_minutes": "120",
        "location": "Raum 4.01",
        "sprint_number": str(meeting.sprint_number or ""),
        "moderator_id": str(moderator_id or ""),
        "scope": scope,
    }


def test_edit_changes_only_this_meeting(app, actor, z):
    series = _plan_series(app, actor, z)
    second = series[1]
    form = actor(z.facilitator).get(f"/expeditions/{z.expedition.id}/meetings/{second.id}/edit")
    assert "dieses und alle folgenden Treffen der Reihe" in form.get_data(as_text=True)
    day = second.starts_at.astimezone(BERLIN).date() + timedelta(days=2)
    response = actor(z.facilitator).post(
        f"/expeditions/{z.expedition.id}/meetings/{second.id}/edit",
        _edit(second, day, "one", z.ada.id),
    )
    assert response.status_code == 302
    after = {m.id: m for m in _meetings(app, z)}
    assert after[second.id].starts_at.astimezone(BERLIN).date() == day
    assert after[second.id].moderator_id == z.ada.id
    for other in (series[0], series[2], series[3]):
        assert (
            after[other.id].starts_at == other.starts_at
            and after[other.id].location == other.location
        )


def test_edit_this_and_all_following_keeps_the_rhythm(app, actor, z):
    series = _plan_series(app, actor, z)
    first, second, third, closing = series
    with app.app_context():  # the third has a moderator of its own; the Abschluss has started
        db.session.get(Meeting, third.id).moderator_id = z.ben.id
        db.session.get(Meeting, closing.id).status = "running"
        db.session.commit()
    local = second.starts_at.astimezone(BERLIN).date()
    facilitator = actor(z.facilitator)
    response = facilitator.post(
        f"/expeditions/{z.expedition.id}/meetings/{second.id}/edit",
        _edit(second, local - timedelta(days=1), "following"),
    )
    assert response.status_code == 302
    after = {m.id: m for m in _meetings(app, z)}
    assert after[first.id].starts_at == first.starts_at  # earlier ones stay
    for moved, old in ((second, second), (third, third)):
        when = after[moved.id].starts_at.astimezone(BERLIN)
        assert when.date() == old.starts_at.astimezone(BERLIN).date() - timedelta(days=1)
        assert when.time() == time(10, 15)
        assert after[moved.id].duration_minutes == 120 and after[moved.id].location == "Raum 4.01"
    assert (
        after[third.id].moderator_id == z.ben.id
        and after[third.id].sprint_number == third.sprint_number
    )
    assert after[closing.id].starts_at == closing.starts_at  # started: left alone
    page = facilitator.get(response.headers["Location"])
    assert "Dieses Treffen und 1 folgende sind gespeichert." in page.get_data(as_text=True)


def test_a_new_meeting_starts_with_sensible_defaults_and_saving_stays_on_the_list(app, actor, z):
    facilitator = actor(z.facilitator)
    page = facilitator.get(f"/expeditions/{z.expedition.id}/meetings").get_data(as_text=True)
    assert "Treffen speichern" in page and "In den Kalender eintragen" not in page
    day = re.search(r'id="day"[^>]*value="([0-9-]+)"|value="([0-9-]+)"[^>]*id="day"', page)
    assert day, "the date is prefilled"
    proposed = date.fromisoformat(day.group(1) or day.group(2))
    sprint2 = _sprint(z, 2)
    assert sprint2.end - timedelta(days=6) <= proposed <= sprint2.end  # the next Zirkeltreffen
    assert re.search(r'<option selected value="2">|<option value="2" selected>', page)
    response = facilitator.post(
        f"/expeditions/{z.expedition.id}/meetings",
        {
            "kind": "zirkeltreffen",
            "day": proposed.isoformat(),
            "time": "14:00",
            "duration_minutes": "90",
            "sprint_number": "2",
        },
    )
    assert response.status_code == 302
    new = [m for m in _meetings(app, z) if m.sprint_number == 2][0]
    assert response.headers["Location"].endswith(f"/meetings#meeting-{new.id}")
    listing = facilitator.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="meeting-{new.id}"' in listing


def test_preview_keeps_ticks_and_typed_dates_until_the_weekday_changes(actor, z):
    facilitator = actor(z.facilitator)
    first = _days(
        facilitator.post(_series(z, "/preview"), _settings(), htmx=True).get_data(as_text=True)
    )
    typed = first["zirkeltreffen-3"] + timedelta(days=1)
    shown = {
        "rows": "1",
        "shown_weekday": "3",
        "shown": list(first),
        "include": [k for k in first if k != "closing"],
        **{f"day-{k}": d.isoformat() for k, d in first.items()},
    }
    shown["day-zirkeltreffen-3"] = typed.isoformat()
    # Another place: ticks and the typed date stay.
    html = facilitator.post(
        _series(z, "/preview"), {**_settings(location="Raum 1"), **shown}, htmx=True
    ).get_data(as_text=True)
    assert _days(html)["zirkeltreffen-3"] == typed
    assert re.search(r'value="closing"\s*>', html) and re.search(
        r'value="zirkeltreffen-2"\s*checked', html
    )
    # Another weekday: the dates follow it, the ticks stay.
    html = facilitator.post(
        _series(z, "/preview"), {**_settings(weekday="1"), **shown}, htmx=True
    ).get_data(as_text=True)
    assert all(d.weekday() == 1 for d in _days(html).values())
    assert re.search(r'value="closing"\s*>', html)
