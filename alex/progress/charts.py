"""Server-rendered, accessible SVG charts: no chart JavaScript, readable by screen readers.

The interface other areas use (the exports area renders the same charts in the Lernbericht):

- ``confidence_trend_svg(points, chart_id=…, title=…, description=…, sprint_count=…)``: a
  sparkline of the self-assessed confidence (1–10) per sprint; ``points`` is a list of
  ``(sprint_number, value or None)``, gaps stay gaps.
- ``build_timeline(expedition, meetings, today)``: the *Expeditionskarte* as data (sprints,
  Auftakt, Zirkeltreffen, Boxenstopps, Abschluss, today); ``Timeline.rows()`` is its table.
- ``expedition_map_svg(timeline, chart_id=…, orientation="horizontal" | "vertical")``: the
  Expeditionskarte drawn across (desktop) or downwards (phone).

Every chart is an ``<svg role="img">`` whose ``aria-labelledby`` points at its own ``<title>``
and ``<desc>``; the caller shows the table equivalent beside it (templates/progress/_charts.html).
Colours come from CSS classes (static/css/progress.css, light and dark), with presentation
attributes as a fallback for print and PDF. Meaning is carried by shape and text, never by
colour alone. The functions return ``Markup``; every text they put in is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from alex.expeditions.calendar import Sprint, end_date, pit_stop_dates, sprints

EVENT_KINDS = ("kickoff", "zirkeltreffen", "pit_stop", "closing")


@dataclass(frozen=True)
class TimelineEvent:
    """A point on the Expeditionskarte: a scheduled meeting, or where one belongs by the calendar."""

    day: date
    kind: str  # EVENT_KINDS
    label: str
    scheduled: bool  # a meeting with a time exists; otherwise the calendar's default day
    starts_at: datetime | None = None
    meeting_id: int | None = None

    @property
    def short(self) -> str:
        """The label without the sprint number (the map's position says it)."""
        return event_label(self.kind)


@dataclass(frozen=True)
class TimelineRow:
    """One line of the Expeditionskarte's table equivalent."""

    start: date
    end: date | None
    what: str
    note: str
    meeting_id: int | None = None  # a scheduled meeting (e.g. to offer its .ics)


@dataclass(frozen=True)
class Timeline:
    """The whole expedition period with its sprints, events and today."""

    start: date
    end: date
    today: date
    sprints: list[Sprint]
    events: list[TimelineEvent]

    @property
    def total_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def days_to_end(self) -> int:
        return max((self.end - self.today).days, 0)

    @property
    def today_visible(self) -> bool:
        return self.start <= self.today <= self.end

    def fraction(self, day: date) -> float:
        """Where a day lies in the period, 0.0 at the first day to 1.0 after the last."""
        return min(max((day - self.start).days / self.total_days, 0.0), 1.0)

    def rows(self) -> list[TimelineRow]:
        """The table equivalent: sprints and events in time order, today marked."""
        rows = [
            TimelineRow(
                s.start,
                s.end,
                _("Sprint %(num)d", num=s.number),
                _("now") if s.contains(self.today) else "",
            )
            for s in self.sprints
        ]
        for event in self.events:
            if event.starts_at:
                note = _("scheduled")
            else:
                note = _("date not fixed yet")
            rows.append(TimelineRow(event.day, None, event.label, note, event.meeting_id))
        rows.sort(key=lambda r: (r.start, r.end is not None))
        return rows


def build_timeline(expedition, meetings: Iterable, today: date) -> Timeline:
    """The Expeditionskarte: scheduled meetings, and the calendar's default days for the rest."""
    tz = ZoneInfo(expedition.timezone)
    all_sprints = sprints(expedition.start_date, expedition.sprint_weeks, expedition.sprint_count)
    last_day = end_date(expedition.start_date, expedition.sprint_weeks, expedition.sprint_count)
    events: list[TimelineEvent] = []
    covered: set[tuple[str, int | None]] = set()
    for meeting in meetings:
        number = meeting.sprint_number if meeting.kind == "zirkeltreffen" else None
        covered.add((meeting.kind, number))
        events.append(
            TimelineEvent(
                day=meeting.starts_at.astimezone(tz).date(),
                kind=meeting.kind,
                label=event_label(meeting.kind, number),
                scheduled=True,
                starts_at=meeting.starts_at,
                meeting_id=meeting.id,
            )
        )
    if ("kickoff", None) not in covered:
        events.append(
            TimelineEvent(expedition.start_date, "kickoff", event_label("kickoff"), False)
        )
    for sprint in all_sprints[:-1]:
        if ("zirkeltreffen", sprint.number) not in covered:
            events.append(
                TimelineEvent(
                    sprint.end, "zirkeltreffen", event_label("zirkeltreffen", sprint.number), False
                )
            )
    if expedition.pit_stops and not any(kind == "pit_stop" for kind, _n in covered):
        for day in pit_stop_dates(
            expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
        ):
            events.append(TimelineEvent(day, "pit_stop", event_label("pit_stop"), False))
    if ("closing", None) not in covered:
        events.append(TimelineEvent(last_day, "closing", event_label("closing"), False))
    order = {kind: i for i, kind in enumerate(EVENT_KINDS)}
    events.sort(key=lambda e: (e.day, order.get(e.kind, 9)))
    return Timeline(expedition.start_date, last_day, today, all_sprints, events)


def event_label(kind: str, sprint_number: int | None = None) -> str:
    """The name of a meeting kind in the current language (with its sprint for a Zirkeltreffen)."""
    if kind == "kickoff":
        return _("Auftakt")
    if kind == "pit_stop":
        return _("Boxenstopp")
    if kind == "closing":
        return _("Abschluss")
    if sprint_number:
        return _("Zirkeltreffen after sprint %(num)d", num=sprint_number)
    return _("Zirkeltreffen")


def _attrs(**values) -> str:
    """SVG attributes from keywords (trailing underscore dropped, underscores become dashes)."""
    return " ".join(
        f'{key.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for key, value in values.items()
        if value is not None
    )


def _open_svg(
    chart_id: str, title: str, description: str, width: float, height: float, css: str
) -> str:
    return (
        f"<svg {_attrs(id=chart_id, class_=css, viewBox=f'0 0 {width:g} {height:g}', role='img')}"
        f' aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc"'
        f' xmlns="http://www.w3.org/2000/svg" focusable="false"'
        f' font-family="system-ui, sans-serif">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )


def confidence_description(points: Sequence[tuple[int, int | None]]) -> str:
    """A sentence that says what the sparkline shows (its <desc>)."""
    known = [(n, v) for n, v in points if v is not None]
    if not known:
        return _("No self-assessment yet.")
    values = ", ".join(_("sprint %(num)d: %(value)d", num=n, value=v) for n, v in known)
    return _("Confidence of reaching the Vorhaben, from 1 to 10 – %(values)s.", values=values)


def confidence_trend_svg(
    points: Sequence[tuple[int, int | None]],
    *,
    chart_id: str,
    title: str,
    description: str | None = None,
    sprint_count: int | None = None,
    width: int = 160,
    height: int = 48,
    labelled: bool = False,
) -> Markup:
    """A sparkline of confidence (1–10) per sprint; missing sprints leave a gap in the line.

    `labelled` adds the scale (1 and 10) on the left and the sprint numbers below: on paper
    (the Lernbericht) nobody can hover or read the table's caption to learn what the line means.
    """
    count = max(sprint_count or 0, len(points), 2)
    pad = 6
    left, bottom = (24, 18) if labelled else (pad, pad)
    inner_w, inner_h = width - left - pad, height - pad - bottom

    def xy(number: int, value: int) -> tuple[float, float]:
        x = left + inner_w * (number - 1) / (count - 1)
        y = pad + inner_h * (10 - value) / 9
        return round(x, 1), round(y, 1)

    parts = [
        _open_svg(
            chart_id,
            title,
            description if description is not None else confidence_description(points),
            width,
            height,
            "chart chart-spark",
        )
    ]
    for value in (1, 10):
        _x, y = xy(1, value)
        parts.append(
            f"<line {_attrs(class_='chart-grid', x1=left, x2=width - pad, y1=y, y2=y)}"
            f' stroke="#c9d0db" stroke-dasharray="2 3"/>'
        )
        if labelled:
            parts.append(
                f'<text x="{left - 5}" y="{y + 3.5:g}" text-anchor="end" font-size="10"'
                f' fill="#4b5563">{value}</text>'
            )
    if labelled:
        for number in range(1, count + 1):
            x, _y = xy(number, 1)
            label = escape(_("S%(num)d", num=number))
            parts.append(
                f'<text x="{x:g}" y="{height - 4}" text-anchor="middle" font-size="10"'
                f' fill="#4b5563">{label}</text>'
            )
    segment: list[str] = []
    segments: list[list[str]] = []
    for number, value in points:
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = xy(number, value)
        segment.append(f"{x:g},{y:g}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(
                f'<polyline class="chart-line" points="{" ".join(seg)}"'
                f' fill="none" stroke="#1f5fa8" stroke-width="2" stroke-linejoin="round"/>'
            )
    for number, value in points:
        if value is not None:
            x, y = xy(number, value)
            parts.append(
                f'<circle class="chart-point" cx="{x:g}" cy="{y:g}" r="3.5"'
                f' fill="#1f5fa8" stroke="#ffffff" stroke-width="1.5"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline_description(timeline: Timeline) -> str:
    """A sentence that says what the Expeditionskarte shows (its <desc>)."""
    period = _(
        "%(count)d sprints from %(start)s to %(end)s.",
        count=len(timeline.sprints),
        start=format_date(timeline.start, "long"),
        end=format_date(timeline.end, "long"),
    )
    if timeline.today < timeline.start:
        where = _("The expedition has not started yet.")
    elif timeline.today > timeline.end:
        where = _("The expedition is finished.")
    else:
        current = next(s for s in timeline.sprints if s.contains(timeline.today))
        where = _(
            "Today is in sprint %(num)d; %(days)d days to the Abschluss.",
            num=current.number,
            days=timeline.days_to_end,
        )
    table = _("The table below lists every date.")
    return f"{period} {where} {table}"


def _marker(kind: str, x: float, y: float, size: float = 7) -> str:
    """A marker whose shape says the kind: ▶ Auftakt, ● Zirkeltreffen, ◆ Boxenstopp, ■ Abschluss."""
    common = f'class="chart-marker chart-marker-{kind}" fill="#1f5fa8" stroke="#ffffff" stroke-width="1.5"'
    if kind == "kickoff":
        pts = f"{x - size:g},{y - size:g} {x + size:g},{y:g} {x - size:g},{y + size:g}"
        return f'<polygon {common} points="{pts}"/>'
    if kind == "pit_stop":
        pts = f"{x:g},{y - size:g} {x + size:g},{y:g} {x:g},{y + size:g} {x - size:g},{y:g}"
        return f'<polygon {common} points="{pts}"/>'
    if kind == "closing":
        s = size * 0.85
        return f'<rect {common} x="{x - s:g}" y="{y - s:g}" width="{2 * s:g}" height="{2 * s:g}"/>'
    return f'<circle {common} cx="{x:g}" cy="{y:g}" r="{size * 0.85:g}"/>'


def legend_marker(kind: str) -> Markup:
    """The marker of a kind drawn in a 20×20 box, for a legend beside the chart."""
    return Markup(_marker(kind, 10, 10, 7))


def _events_by_day(timeline: Timeline) -> list[tuple[date, list[TimelineEvent]]]:
    grouped: dict[date, list[TimelineEvent]] = {}
    for event in timeline.events:
        grouped.setdefault(event.day, []).append(event)
    return sorted(grouped.items())


def expedition_map_svg(
    timeline: Timeline,
    *,
    chart_id: str,
    orientation: str = "horizontal",
    title: str | None = None,
    description: str | None = None,
) -> Markup:
    """The Expeditionskarte: across for wide screens, downwards for phones.

    The same expedition, meetings and day draw the same map, so it is drawn once per process
    for each (timeline, language): every Zirkel page shows it twice.
    """
    key = (repr(timeline), str(get_locale()), chart_id, orientation, title, description)
    svg = _drawn_maps.get(key)
    if svg is None:
        if len(_drawn_maps) >= 256:  # a bound, not an eviction policy: maps are cheap to redraw
            _drawn_maps.clear()
        svg = _drawn_maps[key] = _draw_map(timeline, chart_id, orientation, title, description)
    return svg


_drawn_maps: dict[tuple, Markup] = {}


def _draw_map(
    timeline: Timeline,
    chart_id: str,
    orientation: str,
    title: str | None,
    description: str | None,
) -> Markup:
    title = title or _("Expeditionskarte")
    description = description or timeline_description(timeline)
    if orientation == "vertical":
        return _vertical_map(timeline, chart_id, title, description)
    return _horizontal_map(timeline, chart_id, title, description)


def _horizontal_map(timeline: Timeline, chart_id: str, title: str, description: str) -> Markup:
    width, height, left, right = 1000, 168, 12, 12  # the dates sit below the "Today" label
    span = width - left - right
    band_top, band_height, axis_y = 22, 44, 88

    def x_of(day: date) -> float:
        return round(left + span * timeline.fraction(day), 1)

    parts = [_open_svg(chart_id, title, description, width, height, "chart chart-map chart-map-h")]
    for sprint in timeline.sprints:
        x0, x1 = x_of(sprint.start), x_of(sprint.end + timedelta(days=1))
        current = sprint.contains(timeline.today)
        css = "chart-band chart-band-current" if current else "chart-band"
        parts.append(
            f"<rect {_attrs(class_=css, x=x0 + 1, y=band_top, width=max(x1 - x0 - 2, 1), height=band_height, rx=6)}"
            f' fill="#eef1f5" stroke="#c9d0db"/>'
        )
        parts.append(
            f"<text {_attrs(class_='chart-text chart-strong', x=round((x0 + x1) / 2, 1), y=band_top + 28)}"
            f' text-anchor="middle" font-size="15" fill="#1a1f29">'
            f"{escape(_('Sprint %(num)d', num=sprint.number))}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}"'
        f' stroke="#8a94a6" stroke-width="2"/>'
    )
    if timeline.today_visible:
        # Below the sprint names (the current band is highlighted anyway) and under the markers,
        # which are drawn after it: "Today" never hides a meeting or a name.
        tx = x_of(timeline.today)
        anchor = "start" if tx < 80 else "end" if tx > width - 80 else "middle"
        parts.append(
            f'<line class="chart-today" x1="{tx:g}" x2="{tx:g}" y1="{band_top + band_height + 2}"'
            f' y2="{axis_y + 30}" stroke="#c2410c" stroke-width="3"/>'
            f'<text class="chart-text chart-today-label" x="{tx:g}" y="{axis_y + 48}" font-size="15"'
            f' font-weight="700" text-anchor="{anchor}" fill="#1a1f29">{escape(_("Today"))}</text>'
        )
    for day, events in _events_by_day(timeline):
        for i, event in enumerate(events):
            parts.append(
                _marker(
                    event.kind,
                    x_of(day) if day < timeline.end else width - right - 8,
                    axis_y + i * 17,
                )
            )
    parts.append(
        f'<text class="chart-text chart-muted" x="{left}" y="{height - 8}" font-size="14"'
        f' fill="#4d5666">{escape(format_date(timeline.start, "medium"))}</text>'
        f'<text class="chart-text chart-muted" x="{width - right}" y="{height - 8}" font-size="14"'
        f' text-anchor="end" fill="#4d5666">{escape(format_date(timeline.end, "medium"))}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _vertical_map(timeline: Timeline, chart_id: str, title: str, description: str) -> Markup:
    width, top, per_sprint = 340, 16, 76
    span = per_sprint * len(timeline.sprints)
    height = top + span + 24
    band_x, band_w, axis_x, label_x = 4, 92, 116, 134

    def y_of(day: date) -> float:
        return round(top + span * timeline.fraction(day), 1)

    parts: list[str] = []  # the opening tag goes first once the labels' height is known
    for sprint in timeline.sprints:
        y0, y1 = y_of(sprint.start), y_of(sprint.end + timedelta(days=1))
        current = sprint.contains(timeline.today)
        css = "chart-band chart-band-current" if current else "chart-band"
        label_y = (y0 + y1) / 2 + 5
        if current and abs(y_of(timeline.today) - (label_y - 5)) < 22:
            # Keep the sprint's name clear of the "Today" pill: into the band's other half.
            upper = y_of(timeline.today) > (y0 + y1) / 2
            label_y = y0 + (y1 - y0) * (0.3 if upper else 0.75) + 5
        parts.append(
            f"<rect {_attrs(class_=css, x=band_x, y=y0 + 1, width=band_w, height=max(y1 - y0 - 2, 1), rx=6)}"
            f' fill="#eef1f5" stroke="#c9d0db"/>'
            f"<text {_attrs(class_='chart-text chart-strong', x=band_x + band_w / 2, y=round(label_y, 1))}"
            f' text-anchor="middle" font-size="14" fill="#1a1f29">'
            f"{escape(_('Sprint %(num)d', num=sprint.number))}</text>"
        )
    if timeline.today_visible:
        # From the sprint band to the axis, no further: the events' markers and labels to the
        # right stay clear, and the markers are drawn over it.
        ty = y_of(timeline.today)
        parts.append(
            f'<line class="chart-today" x1="{band_x}" x2="{axis_x}" y1="{ty:g}" y2="{ty:g}"'
            f' stroke="#c2410c" stroke-width="3"/>'
            f'<rect class="chart-today-pill" x="{band_x + 8}" y="{ty - 10:g}" width="{band_w - 16}"'
            f' height="20" rx="10" fill="#c2410c"/>'
            f'<text class="chart-today-pill-text" x="{band_x + band_w / 2:g}" y="{ty + 5:g}"'
            f' font-size="13" font-weight="700" text-anchor="middle" fill="#ffffff">'
            f"{escape(_('Today'))}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{axis_x}" x2="{axis_x}" y1="{top}" y2="{top + span}"'
        f' stroke="#8a94a6" stroke-width="2"/>'
    )
    last_label_y = -100.0
    for day, events in _events_by_day(timeline):
        y = min(y_of(day), top + span - 2)
        for i, event in enumerate(events):
            parts.append(_marker(event.kind, axis_x + i * 16, y, 6.5))
        # Two lines (what, then when), pushed down when events lie closer than the text needs.
        label_y = max(y + 1, last_label_y + 34)
        last_label_y = label_y
        x = label_x + 16 * (len(events) - 1)
        parts.append(
            f'<text class="chart-text chart-strong" x="{x}" y="{label_y:g}" font-size="13"'
            f' font-weight="600" fill="#1a1f29">{escape(" · ".join(e.short for e in events))}</text>'
            f'<text class="chart-text chart-muted" x="{x}" y="{label_y + 15:g}" font-size="12"'
            f' fill="#4d5666">{escape(_short_date(day))}</text>'
        )
    height = max(height, round(last_label_y + 24))
    parts.insert(
        0, _open_svg(chart_id, title, description, width, height, "chart chart-map chart-map-v")
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short_date(day: date) -> str:
    """Day and month in the current language ("24. Nov." / "Nov 24")."""
    return format_skeleton("MMMd", day, locale=get_locale())
