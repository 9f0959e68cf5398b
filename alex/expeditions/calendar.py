"""The sprint calendar follows from start date, sprint length and count: computed, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Sprint:
    """One sprint: numbered from 1, ends the day before the next begins."""

    number: int
    start: date
    end: date  # inclusive; the Zirkeltreffen is held on or before this day

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def sprints(start: date, weeks: int, count: int) -> list[Sprint]:
    """All sprints of an expedition."""
    length = timedelta(weeks=weeks)
    return [
        Sprint(n + 1, start + n * length, start + (n + 1) * length - timedelta(days=1))
        for n in range(count)
    ]


def end_date(start: date, weeks: int, count: int) -> date:
    """The last day of the last sprint: the Abschluss."""
    return start + timedelta(weeks=weeks * count) - timedelta(days=1)


def pit_stop_dates(start: date, weeks: int, count: int) -> list[date]:
    """Boxenstopps at about ⅓ and ⅔ of the period, at the end of the nearest sprint."""
    if count < 3:
        return []
    all_sprints = sprints(start, weeks, count)
    picks = sorted({max(1, round(count / 3)), max(1, round(2 * count / 3))})
    return [all_sprints[n - 1].end for n in picks if n < count]


@dataclass(frozen=True)
class NextMeeting:
    """The next scheduled meeting: its day where the expedition takes place, and its kind."""

    day: date
    kind: str  # "kickoff", "zirkeltreffen", "pit_stop", "closing"


@dataclass(frozen=True)
class Standing:
    """Where an expedition stands on a given day."""

    phase: str  # "upcoming", "running", "finished"
    current_sprint: Sprint | None
    sprint_count: int
    days_to_start: int
    days_to_sprint_end: int | None
    days_to_end: int
    progress_percent: int
    next_meeting: NextMeeting | None = None  # None: nothing scheduled from today on
    days_to_next_meeting: int | None = None


def standing(
    start: date,
    weeks: int,
    count: int,
    today: date,
    scheduled: tuple[NextMeeting, ...] = (),
) -> Standing:
    """Sprint n of m, days to the next scheduled meeting (or the sprint's end) and the Abschluss.

    `scheduled` are the meetings on the calendar; the first from today on is "the next meeting".
    Every page that counts down asks this function, so none counts to a different day.
    """
    all_sprints = sprints(start, weeks, count)
    last = end_date(start, weeks, count)
    total_days = (last - start).days + 1
    current = next((s for s in all_sprints if s.contains(today)), None)
    if today < start:
        phase = "upcoming"
    elif today > last:
        phase = "finished"
    else:
        phase = "running"
    elapsed = min(max((today - start).days + 1, 0), total_days)
    upcoming = min((m for m in scheduled if m.day >= today), key=lambda m: m.day, default=None)
    return Standing(
        phase=phase,
        current_sprint=current,
        sprint_count=count,
        days_to_start=max((start - today).days, 0),
        days_to_sprint_end=(current.end - today).days if current else None,
        days_to_end=max((last - today).days, 0),
        progress_percent=round(100 * elapsed / total_days),
        next_meeting=upcoming,
        days_to_next_meeting=(upcoming.day - today).days if upcoming else None,
    )
