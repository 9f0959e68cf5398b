"""Planning an expedition's meetings in one go, from the sprint calendar.

The series proposes the Auftakt, a Zirkeltreffen at the end of each sprint on one weekday and
time, Boxenstopps between Zirkeltreffen near ⅓ and ⅔ of the way, and the Abschluss (instead
of the last sprint's Zirkeltreffen). Each meeting is created through the one scheduling
function (`service.schedule_meeting`), so its checks hold for every meeting of the series; the
members are told once per series action (`invitation.tell_members_of_series`: one message and
one calendar file with all the meetings), not once per meeting. A meeting of a series can later be
moved alone or "with all following", which keeps the rhythm.

Also here: what a place or video link may be (a link must be `https`), and the defaults of
the form for a single meeting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from alex.expeditions import calendar
from alex.expeditions.models import Expedition
from alex.meetings import service
from alex.meetings.invitation import tell_members_of_series
from alex.meetings.models import Meeting, MeetingSeries

DEFAULT_TIME = time(14, 0)
DEFAULT_DURATION = 90
KIND_ORDER = {"kickoff": 0, "zirkeltreffen": 1, "pit_stop": 1, "closing": 2}

# A word that is meant as a link: a scheme with "//", "www.", or a scheme browsers would run.
_LINKISH = re.compile(r"(?i)^(?:[a-z][a-z0-9+.-]*://|www\.|(?:javascript|data|vbscript|file):)")
_HTTPS_URL = re.compile(
    r"(?i)^https://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*(?::\d{1,5})?(?:[/?#]\S*)?$"
)


def location_problem(text: str) -> str | None:
    """Why a place or video link cannot be saved (None: it can).

    A place is free text; every word in it that is meant as a link must be a full https link,
    because that is what members' browsers open (and nothing else is shown as a link).
    """
    for word in (text or "").split():
        if _LINKISH.match(word) and not _HTTPS_URL.match(word):
            return str(_l("Please use a secure link that starts with https://"))
    return None


def place_or_link(text: str) -> Markup:
    """The place with its https links made clickable (everything else escaped)."""
    parts = []
    for index, word in enumerate((text or "").split(" ")):
        if index:
            parts.append(" ")
        if _HTTPS_URL.match(word):
            link = escape(word)
            parts.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(link))
        else:
            parts.append(escape(word))
    return Markup("").join(parts)


@dataclass(frozen=True)
class SeriesChoice:
    """What the facilitator chooses for the whole series."""

    weekday: int  # 0 = Monday
    time: time
    duration_minutes: int
    location: str
    kickoff: bool = True
    zirkeltreffen: bool = True
    pit_stops: bool = True
    closing: bool = True


@dataclass(frozen=True)
class Proposal:
    """One meeting the series would put on the calendar."""

    key: str  # stable within one expedition's calendar: "kickoff", "zirkeltreffen-2", …
    kind: str
    sprint_number: int | None
    day: date
    taken: bool = False  # such a meeting is on the calendar already
    past: bool = False

    @property
    def proposed(self) -> bool:
        """Ticked in the preview unless it exists already or lies in the past."""
        return not self.taken and not self.past


def _on_or_before(day: date, weekday: int, floor: date) -> date:
    """The latest date on `weekday` not after `day` (not before `floor`: then the first after)."""
    candidate = day - timedelta(days=(day.weekday() - weekday) % 7)
    if candidate < floor:
        candidate = floor + timedelta(days=(weekday - floor.weekday()) % 7)
    return candidate


def _on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def pit_stop_sprints(count: int, weeks: int) -> list[int]:
    """The sprints that hold a Boxenstopp: the ones after the ⅓ and ⅔ marks (calendar rule)."""
    if count < 3 or weeks < 2:
        return []  # with one-week sprints a Boxenstopp would fall on a Zirkeltreffen
    picks = sorted({max(1, round(count / 3)), max(1, round(2 * count / 3))})
    return [n + 1 for n in picks if n < count]


def local_day(moment: datetime, expedition: Expedition) -> date:
    return moment.astimezone(ZoneInfo(expedition.timezone)).date()


def propose(
    expedition: Expedition, existing: list[Meeting], choice: SeriesChoice, today: date
) -> list[Proposal]:
    """The meetings of the series in calendar order, each marked if it is on the calendar already."""
    sprints = calendar.sprints(
        expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
    )
    weekday = choice.weekday
    kinds = {(m.kind, m.sprint_number) for m in existing}
    rows: list[Proposal] = []
    if choice.kickoff:
        rows.append(
            Proposal(
                "kickoff",
                "kickoff",
                None,
                _on_or_after(expedition.start_date, weekday),
                taken=any(m.kind == "kickoff" for m in existing),
            )
        )
    last = sprints[-1].number if sprints else 0
    for sprint in sprints:
        if sprint.number == last:
            break
        if choice.zirkeltreffen:
            rows.append(
                Proposal(
                    f"zirkeltreffen-{sprint.number}",
                    "zirkeltreffen",
                    sprint.number,
                    _on_or_before(sprint.end, weekday, sprint.start),
                    taken=("zirkeltreffen", sprint.number) in kinds,
                )
            )
    if choice.pit_stops:
        for number in pit_stop_sprints(expedition.sprint_count, expedition.sprint_weeks):
            sprint = sprints[number - 1]
            middle = sprint.start + timedelta(days=(sprint.end - sprint.start).days // 2)
            rows.append(
                Proposal(
                    f"pit_stop-{number}",
                    "pit_stop",
                    None,
                    _on_or_before(middle, weekday, sprint.start),
                    taken=any(
                        m.kind == "pit_stop" and sprint.contains(local_day(m.starts_at, expedition))
                        for m in existing
                    ),
                )
            )
    if choice.closing and sprints:
        rows.append(
            Proposal(
                "closing",
                "closing",
                last,
                _on_or_before(sprints[-1].end, weekday, sprints[-1].start),
                taken=any(m.kind == "closing" for m in existing),
            )
        )
    rows = [replace(row, past=row.day < today) for row in rows]
    return sorted(rows, key=lambda r: (r.day, KIND_ORDER[r.kind]))


def _at(expedition: Expedition, day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(expedition.timezone))


def create_series(
    session: Session,
    expedition: Expedition,
    choice: SeriesChoice,
    rows: list[Proposal],
    *,
    actor_id: int | None = None,
) -> list[Meeting]:
    """Put the chosen meetings on the calendar as one series.

    Rows that are on the calendar by now (someone else planned them meanwhile) are left out:
    the expedition row is locked first, so two facilitators saving at once make no doubles.
    """
    problem = location_problem(choice.location)
    if problem:
        raise service.MeetingError(problem)
    session.execute(select(Expedition.id).where(Expedition.id == expedition.id).with_for_update())
    existing = service.meetings_of(session, expedition)
    fresh = {p.key: p for p in propose(expedition, existing, choice, date.min)}
    chosen = [row for row in rows if row.key in fresh and not fresh[row.key].taken]
    if not chosen:
        raise service.MeetingError(
            _l("Please choose at least one meeting that is not on the calendar yet.")
        )
    series = MeetingSeries(expedition_id=expedition.id)
    session.add(series)
    session.flush()
    meetings = []
    for row in chosen:
        meeting = service.schedule_meeting(
            session,
            expedition,
            service.Schedule(
                kind=row.kind,
                starts_at=_at(expedition, row.day, choice.time),
                duration_minutes=choice.duration_minutes,
                location=choice.location,
                sprint_number=row.sprint_number,
                moderator_id=None,
            ),
            actor_id=actor_id,
            tell=False,
        )
        meeting.series_id = series.id
        meetings.append(meeting)
    session.flush()
    tell_members_of_series(session, expedition, meetings, "meeting_scheduled", actor_id)
    return meetings


def following(session: Session, meeting: Meeting) -> list[Meeting]:
    """The later meetings of the same series that have not started."""
    if meeting.series_id is None:
        return []
    return list(
        session.scalars(
            select(Meeting)
            .where(
                Meeting.series_id == meeting.series_id,
                Meeting.id != meeting.id,
                Meeting.starts_at >= meeting.starts_at,
                Meeting.status == "scheduled",
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def reschedule(
    session: Session,
    expedition: Expedition,
    meeting: Meeting,
    plan: service.Schedule,
    with_following: bool = False,
    actor_id: int | None = None,
) -> list[Meeting]:
    """Change one meeting, or it and the later ones of its series; returns what changed.

    The later ones move by as many days as this one, take its time of day, duration and place,
    and keep their own kind, sprint and moderation (moderation rotates per meeting).
    """
    problem = location_problem(plan.location)
    if problem:
        raise service.MeetingError(problem)
    later = following(session, meeting) if with_following else []
    zone = ZoneInfo(expedition.timezone)
    shift = plan.starts_at.astimezone(zone).date() - meeting.starts_at.astimezone(zone).date()
    moment = plan.starts_at.astimezone(zone).time()
    if not later:  # one meeting: told as any single move
        service.reschedule_meeting(session, expedition, meeting, plan, actor_id=actor_id)
        return [meeting]
    moved = []
    if service.reschedule_meeting(
        session, expedition, meeting, plan, actor_id=actor_id, tell=False
    ):
        moved.append(meeting)
    for other in later:
        day = other.starts_at.astimezone(zone).date() + shift
        if service.reschedule_meeting(
            session,
            expedition,
            other,
            service.Schedule(
                kind=other.kind,
                starts_at=datetime.combine(day, moment, tzinfo=zone),
                duration_minutes=plan.duration_minutes,
                location=plan.location,
                sprint_number=other.sprint_number,
                moderator_id=other.moderator_id,
            ),
            actor_id=actor_id,
            tell=False,
        ):
            moved.append(other)
    tell_members_of_series(session, expedition, moved, "meeting_moved", actor_id)
    return [meeting, *later]


@dataclass(frozen=True)
class Suggestion:
    """What the form for one new meeting starts with."""

    kind: str
    day: date
    time: time
    sprint_number: int | None
    duration_minutes: int
    location: str
    weekday: int  # of the meetings so far (a series continues it)


def suggest_next(expedition: Expedition, existing: list[Meeting], today: date) -> Suggestion:
    """The next meeting the calendar still lacks, at the rhythm of the meetings so far."""
    latest = max(existing, key=lambda m: m.starts_at, default=None)
    zone = ZoneInfo(expedition.timezone)
    if latest is not None:
        local = latest.starts_at.astimezone(zone)
        moment, weekday = local.time().replace(second=0, microsecond=0), local.weekday()
        duration, location = latest.duration_minutes, latest.location
    else:
        moment, weekday = DEFAULT_TIME, expedition.start_date.weekday()
        duration, location = DEFAULT_DURATION, ""
    choice = SeriesChoice(weekday, moment, duration, location, pit_stops=False)
    for row in propose(expedition, existing, choice, today):
        if row.proposed:
            return Suggestion(
                row.kind, row.day, moment, row.sprint_number, duration, location, weekday
            )
    return Suggestion(
        "zirkeltreffen",
        max(today, expedition.start_date),
        moment,
        None,
        duration,
        location,
        weekday,
    )
