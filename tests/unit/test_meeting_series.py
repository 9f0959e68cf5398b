"""The series' rules directly: which words count as links, how links are shown, the dates proposed."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

import pytest

from alex.expeditions import calendar
from alex.meetings import series


@pytest.mark.parametrize(
    "text",
    [
        "Raum 2.14, Rathaus",
        "Videokonferenz (Link im Kalender)",
        "https://meet.example.org/abc?x=1",
        "Raum 3 oder https://a.example.org",
        "",
    ],
)
def test_places_and_https_links_are_fine(app, text):
    with app.test_request_context():
        assert series.location_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "http://meet.example.org",
        "Raum 3 oder ftp://x.example.org",
        "javascript:alert(1)",
        "data:text/html,x",
        "www.example.org",
        "https://",
        "https://-bad.example.org",
    ],
)
def test_other_links_are_refused(app, text):
    with app.test_request_context():
        assert series.location_problem(text)


def test_links_are_clickable_and_everything_is_escaped():
    shown = str(series.place_or_link('Raum <b> https://x.example.org/a?b=1&c="2" <i>'))
    assert shown == (
        'Raum &lt;b&gt; <a href="https://x.example.org/a?b=1&amp;c=&#34;2&#34;" rel="noopener noreferrer">'
        "https://x.example.org/a?b=1&amp;c=&#34;2&#34;</a> &lt;i&gt;"
    )
    assert "<a" not in str(series.place_or_link("javascript:alert(1)"))


def _expedition(start: date, weeks: int, count: int):
    return SimpleNamespace(
        start_date=start, sprint_weeks=weeks, sprint_count=count, timezone="Europe/Berlin"
    )


def test_the_series_follows_the_sprint_calendar():
    start = date(2027, 1, 4)  # a Monday
    expedition = _expedition(start, 4, 6)
    rows = series.propose(
        expedition, [], series.SeriesChoice(3, time(14), 90, ""), date(2026, 1, 1)
    )
    kinds = [(r.kind, r.sprint_number) for r in rows]
    assert kinds[0] == ("kickoff", None) and kinds[-1] == ("closing", 6)
    assert [n for k, n in kinds if k == "zirkeltreffen"] == [
        1,
        2,
        3,
        4,
        5,
    ]  # the Abschluss ends sprint 6
    assert len([k for k, _n in kinds if k == "pit_stop"]) == 2
    sprints = calendar.sprints(start, 4, 6)
    for row in rows:
        assert row.day.weekday() == 3 and row.proposed
        if row.kind == "zirkeltreffen":
            assert 0 <= (sprints[row.sprint_number - 1].end - row.day).days < 7
    assert [r.day for r in rows] == sorted(r.day for r in rows)


def test_one_week_sprints_have_no_pit_stops_and_past_rows_are_not_ticked():
    expedition = _expedition(date(2027, 1, 4), 1, 6)
    rows = series.propose(
        expedition, [], series.SeriesChoice(0, time(9), 60, ""), date(2027, 1, 20)
    )
    assert not [r for r in rows if r.kind == "pit_stop"]
    assert [r.proposed for r in rows] == [r.day >= date(2027, 1, 20) for r in rows]
