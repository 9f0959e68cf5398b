"""The SVG charts: accessible names, descriptions, gaps, escaping, both map orientations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest

from alex.progress import charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def ctx(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        yield


def _parse(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def _assert_accessible(root: ElementTree.Element, chart_id: str) -> None:
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == f"{chart_id}-title" and title.text
    assert desc.get("id") == f"{chart_id}-desc" and desc.text
    assert list(root)[0] is title  # the title comes first


def test_sparkline_names_itself_and_keeps_gaps(ctx):
    svg = charts.confidence_trend_svg(
        [(1, 4), (2, None), (3, 6), (4, 7)], chart_id="c1", title="Zuversicht <Ada>", sprint_count=6
    )
    root = _parse(svg)
    _assert_accessible(root, "c1")
    assert root.find(f"{SVG}title").text == "Zuversicht <Ada>"  # escaped in, parsed back
    assert "Sprint 1: 4, Sprint 3: 6, Sprint 4: 7" in root.find(f"{SVG}desc").text
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # 1 alone, then 3–4
    assert len(root.findall(f"{SVG}circle")) == 3


def test_sparkline_without_values_says_so(ctx):
    root = _parse(charts.confidence_trend_svg([(1, None)], chart_id="c2", title="t"))
    assert root.find(f"{SVG}desc").text == "Noch keine Selbsteinschätzung."
    assert not root.findall(f"{SVG}polyline")


def _expedition(**kw):
    values = dict(
        id=7,
        title="E",
        start_date=date(2026, 1, 5),
        sprint_weeks=4,
        sprint_count=6,
        timezone="Europe/Berlin",
        pit_stops=True,
    )
    values.update(kw)
    return SimpleNamespace(**values)


def test_timeline_prefers_scheduled_meetings(ctx):
    meeting = SimpleNamespace(
        id=3,
        kind="zirkeltreffen",
        sprint_number=1,
        starts_at=datetime(2026, 1, 30, 23, 30, tzinfo=UTC),
        duration_minutes=90,
    )
    timeline = charts.build_timeline(_expedition(), [meeting], date(2026, 2, 10))
    first = [e for e in timeline.events if e.kind == "zirkeltreffen"][0]
    assert first.scheduled and first.meeting_id == 3
    assert first.day == date(2026, 1, 31)  # shown in the expedition's time zone
    assert sum(e.kind == "zirkeltreffen" for e in timeline.events) == 5
    rows = timeline.rows()
    assert rows == sorted(rows, key=lambda r: (r.start, r.end is not None))
    assert any(r.what == "Sprint 2" and r.note == "jetzt" for r in rows)


@pytest.mark.parametrize("orientation", ["horizontal", "vertical"])
def test_map_is_accessible_in_both_orientations(ctx, orientation):
    timeline = charts.build_timeline(_expedition(), [], date(2026, 2, 10))
    svg = charts.expedition_map_svg(timeline, chart_id="m", orientation=orientation)
    root = _parse(svg)
    _assert_accessible(root, "m")
    desc = root.find(f"{SVG}desc").text
    assert "6 Sprints" in desc and "Sprint 2" in desc and "Tabelle" in desc
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Heute" in texts
    assert sum(1 for t in texts if t and t.startswith("Sprint ")) == 6
    # Shapes, not colour, tell the kinds apart.
    markers = [el for el in root.iter() if "chart-marker-" in (el.get("class") or "")]
    kinds = {re.search(r"chart-marker-(\w+)", el.get("class")).group(1) for el in markers}
    assert kinds == {"kickoff", "zirkeltreffen", "pit_stop", "closing"}
    tags = {el.tag for el in markers}
    assert len(tags) >= 3  # polygon, circle, rect


def test_map_without_today_after_the_end(ctx):
    timeline = charts.build_timeline(_expedition(), [], date(2027, 1, 1))
    root = _parse(charts.expedition_map_svg(timeline, chart_id="m2"))
    assert "Heute" not in [t.text for t in root.iter(f"{SVG}text")]
    assert "abgeschlossen" in root.find(f"{SVG}desc").text


def _today_and_markers(root):
    elements = list(root.iter())
    today = next(el for el in elements if el.get("class") == "chart-today")
    markers = [el for el in elements if "chart-marker-" in (el.get("class") or "")]
    return elements, today, markers


def test_today_on_a_boxenstopp_leaves_its_marker_and_label_clear_vertical(ctx):
    """Today falls on the day of a Zirkeltreffen and a Boxenstopp (end of sprint 2)."""
    timeline = charts.build_timeline(_expedition(), [], date(2026, 3, 1))
    root = _parse(charts.expedition_map_svg(timeline, chart_id="v", orientation="vertical"))
    elements, today, markers = _today_and_markers(root)
    # The line stops at the axis: the events' markers and labels to its right stay uncovered,
    # and every marker is drawn after (over) it.
    axis = next(el for el in elements if el.get("class") == "chart-axis")
    assert float(today.get("x2")) <= float(axis.get("x1"))
    assert all(elements.index(m) > elements.index(today) for m in markers)


def test_today_line_crosses_no_sprint_name_horizontal(ctx):
    timeline = charts.build_timeline(_expedition(), [], date(2026, 3, 1))
    root = _parse(charts.expedition_map_svg(timeline, chart_id="h", orientation="horizontal"))
    elements, today, markers = _today_and_markers(root)
    bands = [el for el in elements if (el.get("class") or "").startswith("chart-band")]
    band_bottom = max(float(b.get("y")) + float(b.get("height")) for b in bands)
    assert float(today.get("y1")) >= band_bottom
    assert all(elements.index(m) > elements.index(today) for m in markers)
    label = next(el for el in elements if el.get("class", "").endswith("chart-today-label"))
    dates = [el for el in elements if el.get("class") == "chart-text chart-muted"]
    assert all(float(d.get("y")) - 14 >= float(label.get("y")) + 2 for d in dates)
