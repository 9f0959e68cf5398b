"""Meeting domain functions: schedule, run the run-sheet, retro, actions. No request in here.

Every change to a running meeting first bumps the meeting's version. That is what live clients
poll, and the row lock it takes (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) makes
changes to one meeting happen one after the other, so checks such as the vote limit cannot be
raced. The version is never a precondition: notes, votes and check-ins each touch their own rows
and never conflict with anything.

The facilitator's commands (go to step X, phase Y, timer, whose turn, finish) are idempotent
targets: each carries the state the facilitator saw (`seen`) and the state wanted. Already
there: a no-op success (a double-click, two facilitators agreeing). Still at what was seen: the
change. Anywhere else: another facilitator moved the same thing meanwhile, a conflict
(`StaleMeeting`, answered 409 with the fresh state). Participants cannot cause one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from alex.auth.models import User
from alex.boards.models import Card, SprintReflection
from alex.boards.service import create_card, set_sprint_focus
from alex.db import utcnow
from alex.events import publish
from alex.expeditions.models import Expedition, Membership
from alex.i18n import translated_table
from alex.meetings import models
from alex.meetings.invitation import tell_members
from alex.meetings.models import (
    ACTION_KINDS,
    ACTION_OUTCOMES,
    AUTHOR_KEY_LENGTH,
    ITEM_MAX,
    MEETING_KINDS,
    PROMPT_MAX,
    RETRO_FORMATS,
    RETRO_PHASES,
    RUN_SHEETS,
    WORD_MAX,
    Attendance,
    Meeting,
    Retro,
    RetroAction,
    RetroDone,
    RetroGroup,
    RetroItem,
    RetroTemplate,
    RetroVote,
)

# The prompts of the built-in formats (custom ones come from the retro or a template).
FORMAT_PROMPTS = {
    "start_stop_continue": (_l("Start"), _l("Stop"), _l("Continue")),
    "glad_sad_mad": (_l("Glad"), _l("Sad"), _l("Mad")),
    "4l": (_l("Liked"), _l("Learned"), _l("Lacked"), _l("Longed for")),
    "starfish": (
        _l("Keep doing"),
        _l("Less of"),
        _l("More of"),
        _l("Stop doing"),
        _l("Start doing"),
    ),
}
MAX_PROMPTS = 6
TIMER_MAX_MINUTES = 60
NOTES_MAX = 5000
VOTE_LIMIT_MAX = 10
GROUP_TITLE_MAX = 120


class MeetingError(Exception):
    """A change that cannot go ahead; the message is shown to the user."""


class StaleMeeting(MeetingError):
    """Another facilitator moved the same thing in the meantime (409 with the fresh state)."""


def _aim(current: object, seen: object | None, target: object) -> bool:
    """Whether a facilitator's target command has to change anything (see the module doc).

    `seen` None (a client that sends no seen state): the target wins, nothing to conflict with.
    """
    if current == target:
        return False
    if seen is not None and current != seen:
        raise StaleMeeting(_l("Another moderator has just changed this. Here is the latest state."))
    return True


def can_run(membership: Membership, meeting: Meeting) -> bool:
    """The expedition's facilitators and the meeting's moderator run it."""
    return membership.is_facilitator or meeting.moderator_id == membership.user_id


def bump(session: Session, meeting: Meeting) -> None:
    """Raise the version live clients poll; the lock it takes orders the changes to one meeting.

    The meeting is read afresh after the lock, so every decision below sees the latest state.
    """
    if _bumped(session, meeting.id):
        return  # `lock_meeting` raised it and took the lock in this transaction already
    # One statement: the UPDATE's RETURNING refreshes the loaded meeting (no SELECT after it).
    session.execute(_bump_statement(Meeting.id == meeting.id)).scalar_one()


_BUMPED = "alex_meeting_bumped"


def _bump_statement(*where):
    return (
        update(Meeting)
        .where(*where)
        .values(version=Meeting.version + 1)
        .returning(Meeting)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


@cache
def _lock_statement():
    """`lock_meeting`'s statement, built once (bound values)."""
    return _bump_statement(
        Meeting.id == bindparam("the_meeting"), Meeting.expedition_id == bindparam("the_expedition")
    )


def _bumped(session: Session, meeting_id: int) -> bool:
    """Whether this transaction raised the meeting's version already (see `lock_meeting`)."""
    mark = session.info.get(_BUMPED)
    return mark is not None and mark[0] is session.get_transaction() and mark[1] == meeting_id


def lock_meeting(session: Session, expedition_id: int, meeting_id: int) -> Meeting | None:
    """Load a meeting of this expedition for a facilitator's command by raising its version.

    One statement loads it, takes the lock that orders changes to it and raises the version live
    clients poll (what `bump` does after a separate load); a later `bump` of the same meeting in
    this transaction then costs nothing. None: no such meeting. The caller authorises after it;
    a refusal ends the request, whose transaction is rolled back (nothing raised is kept).
    """
    meeting = session.execute(
        _lock_statement(), {"the_meeting": meeting_id, "the_expedition": expedition_id}
    ).scalar_one_or_none()
    if meeting is not None:
        session.info[_BUMPED] = (session.get_transaction(), meeting.id)
    return meeting


@cache
def _version_query():
    """The unchanged poll's statement, built once: columns, not a row object, bound values."""
    meeting = Meeting.__table__.c
    return select(meeting.version).where(
        meeting.id == bindparam("meeting_id"), meeting.expedition_id == bindparam("expedition_id")
    )


def meeting_version(session: Session, expedition_id: int, meeting_id: int) -> int | None:
    """The version live clients poll (None: no such meeting in this expedition)."""
    return session.execute(
        _version_query(), {"meeting_id": meeting_id, "expedition_id": expedition_id}
    ).scalar()


@dataclass(frozen=True)
class Schedule:
    """What the facilitator chooses when scheduling or moving a meeting."""

    kind: str
    starts_at: datetime
    duration_minutes: int
    location: str
    sprint_number: int | None
    moderator_id: int | None


def _check_schedule(session: Session, expedition: Expedition, plan: Schedule) -> None:
    if plan.kind not in MEETING_KINDS:
        raise MeetingError(_l("Please choose a kind of meeting."))
    if plan.sprint_number is not None and not 1 <= plan.sprint_number <= expedition.sprint_count:
        raise MeetingError(_l("This expedition has no such sprint."))
    if plan.moderator_id is not None and not is_member(session, expedition.id, plan.moderator_id):
        raise MeetingError(_l("The moderator must be a member of the expedition."))


def schedule_meeting(
    session: Session,
    expedition: Expedition,
    plan: Schedule,
    *,
    actor_id: int | None = None,
    tell: bool = True,
) -> Meeting:
    """Put a meeting on the expedition's calendar; the other members are told (with an .ics).

    `tell=False`: the caller tells them itself (a series: once for all its meetings).
    """
    _check_schedule(session, expedition, plan)
    meeting = Meeting(
        expedition_id=expedition.id,
        kind=plan.kind,
        starts_at=plan.starts_at,
        duration_minutes=plan.duration_minutes,
        location=plan.location.strip(),
        sprint_number=plan.sprint_number,
        moderator_id=plan.moderator_id,
    )
    session.add(meeting)
    session.flush()
    if tell:
        tell_members(session, expedition, meeting, "meeting_scheduled", actor_id)
    return meeting


def reschedule_meeting(
    session: Session,
    expedition: Expedition,
    meeting: Meeting,
    plan: Schedule,
    *,
    actor_id: int | None = None,
    tell: bool = True,
) -> bool:
    """Move a meeting or change who moderates it; the run-sheet changes only with its kind.

    The members are told when the time, length or place changed (a new moderator alone is not
    news for their calendars); returns whether it did. `tell=False`: the caller tells them
    (a series moved together: once for all).
    """
    _check_schedule(session, expedition, plan)
    if meeting.status != "scheduled" and plan.kind != meeting.kind:
        raise MeetingError(_l("A meeting that has started keeps its kind."))
    bump(session, meeting)
    before = (meeting.starts_at, meeting.duration_minutes, meeting.location, meeting.kind)
    meeting.kind = plan.kind
    meeting.starts_at = plan.starts_at
    meeting.duration_minutes = plan.duration_minutes
    meeting.location = plan.location.strip()
    meeting.sprint_number = plan.sprint_number
    meeting.moderator_id = plan.moderator_id
    after = (meeting.starts_at, meeting.duration_minutes, meeting.location, meeting.kind)
    if before != after and tell:
        tell_members(session, expedition, meeting, "meeting_moved", actor_id)
    return before != after


def delete_meeting(
    session: Session,
    meeting: Meeting,
    *,
    expedition: Expedition | None = None,
    actor_id: int | None = None,
) -> None:
    """Take a meeting that has not started off the calendar; the members get a cancellation."""
    if meeting.status != "scheduled":
        raise MeetingError(_l("A meeting that has started stays in the record."))
    expedition = expedition or session.get(Expedition, meeting.expedition_id)
    if expedition is not None and meeting.starts_at > utcnow():
        tell_members(session, expedition, meeting, "meeting_cancelled", actor_id)
    session.delete(meeting)


def is_member(session: Session, expedition_id: int, user_id: int) -> bool:
    """Whether the user belongs to the expedition."""
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.expedition_id == expedition_id, Membership.user_id == user_id
            )
        )
        is not None
    )


def meetings_of(session: Session, expedition: Expedition) -> list[Meeting]:
    """The expedition's meetings in calendar order (moderator loaded for the list)."""
    return list(
        session.scalars(
            select(Meeting)
            .options(selectinload(Meeting.moderator))  # one query for all names, not one per row
            .where(Meeting.expedition_id == expedition.id)
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def upcoming_meetings(
    session: Session, expedition_ids: list[int], since: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """The meetings not yet finished that start after `since`, per expedition (one query).

    Registered with the expeditions area, which decides from these "the next meeting".
    """
    rows = session.execute(
        select(Meeting.expedition_id, Meeting.starts_at, Meeting.kind)
        .where(
            Meeting.expedition_id.in_(expedition_ids),
            Meeting.status != "finished",
            Meeting.starts_at >= since,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    upcoming: dict[int, list[tuple[datetime, str]]] = {}
    for expedition_id, starts_at, kind in rows:
        upcoming.setdefault(expedition_id, []).append((starts_at, kind))
    return upcoming


def run_sheet(meeting: Meeting) -> tuple[str, ...]:
    """The steps of this meeting's kind."""
    return RUN_SHEETS.get(meeting.kind, RUN_SHEETS["zirkeltreffen"])


def skipped(meeting: Meeting) -> set[str]:
    """The steps the facilitator passed over."""
    return {s for s in meeting.skipped_steps.split(",") if s}


def go_to_step(
    session: Session,
    meeting: Meeting,
    step: str,
    seen: str | None = None,
    skip_current: bool = False,
) -> None:
    """Start the meeting or move the run-sheet to a step (optionally marking the current skipped).

    A target: already at the step, nothing happens; `seen` is the step the facilitator's page
    showed ("" before the start), see `_aim`.
    """
    steps = run_sheet(meeting)
    if step not in steps:
        raise MeetingError(_l("This meeting has no such step."))
    bump(session, meeting)
    if meeting.status == "finished":
        raise MeetingError(_l("This meeting is over."))
    if not _aim(meeting.step, seen, step):
        return
    passed = skipped(meeting) - {step}
    if skip_current and meeting.step:
        passed.add(meeting.step)
    meeting.skipped_steps = ",".join(sorted(passed))
    if meeting.status == "scheduled":
        meeting.status = "running"
        meeting.started_at = utcnow()
    meeting.step = step
    _clear_timer(meeting)
    if step == "retro":
        ensure_retro(session, meeting)


def next_step(meeting: Meeting) -> str | None:
    """The step after the current one (the first one before the start)."""
    steps = run_sheet(meeting)
    if not meeting.step:
        return steps[0]
    index = steps.index(meeting.step) if meeting.step in steps else -1
    return steps[index + 1] if index + 1 < len(steps) else None


def finish_meeting(session: Session, meeting: Meeting) -> None:
    """End the meeting; its record stays readable. A target: a finished meeting stays as it is."""
    bump(session, meeting)
    if meeting.status == "finished":
        return
    meeting.status = "finished"
    meeting.finished_at = utcnow()
    _clear_timer(meeting)
    if meeting.started_at is None:
        meeting.started_at = meeting.finished_at
    retro = retro_of(session, meeting)
    if retro is not None:
        retro.phase = "closed"


def timer_token(meeting: Meeting) -> str:
    """The countdown as a facilitator's page saw it ("" for none): what a timer command carries."""
    return meeting.timer_ends_at.isoformat() if meeting.timer_ends_at else ""


def _clear_timer(meeting: Meeting) -> None:
    if meeting.timer_ends_at is None and meeting.timer_minutes is None:
        return  # none runs: the meeting stays clean (nothing for the commit to flush)
    meeting.timer_ends_at = None
    meeting.timer_minutes = None


def _timer_state(meeting: Meeting) -> int:
    """The running countdown's length in minutes (0: none, or run out)."""
    if meeting.timer_ends_at is None or meeting.timer_ends_at <= utcnow():
        return 0
    return meeting.timer_minutes or 0


def start_timer(
    session: Session, meeting: Meeting, minutes: int, seen: str | None = None, bumped=False
) -> None:
    """Set (or with 0 clear) the countdown every screen shows.

    A target: "a countdown of N minutes runs" (or "none runs"); the same command again while it
    runs changes nothing. `seen` is the countdown the page showed (`timer_token`).
    """
    if not 0 <= minutes <= TIMER_MAX_MINUTES:
        raise MeetingError(
            _l("Please choose between 1 and %(max)d minutes.", max=TIMER_MAX_MINUTES)
        )
    if not bumped:
        bump(session, meeting)
    _require_running(meeting)
    current = timer_token(meeting)
    if seen is not None and current == seen:
        needed = True  # the countdown is the one the facilitator saw: (re)start or stop it
    else:
        needed = _aim(_timer_state(meeting), None if seen is None else -1, minutes)
    if not needed:
        return
    if minutes:
        meeting.timer_ends_at = utcnow() + timedelta(minutes=minutes)
        meeting.timer_minutes = minutes
    else:
        _clear_timer(meeting)


def set_review_person(
    session: Session, meeting: Meeting, user_id: int, minutes: int, seen: int | None = None
) -> None:
    """Whose turn it is in the review round, with a fresh timer for that person.

    A target: already that person's turn, nothing changes (their timer keeps running).
    `seen`: whose turn the page showed (0: nobody's).
    """
    if not is_member(session, meeting.expedition_id, user_id):
        raise MeetingError(_l("Please choose a member of the expedition."))
    bump(session, meeting)
    _require_running(meeting)
    if not _aim(meeting.review_user_id or 0, seen, user_id):
        return
    start_timer(session, meeting, minutes, bumped=True)
    meeting.review_user_id = user_id


def save_notes(session: Session, meeting: Meeting, notes: str) -> None:
    """The shared notes: agreements at the Auftakt, planning notes."""
    if len(notes) > NOTES_MAX:
        raise MeetingError(_l("Please keep the notes under %(max)d characters.", max=NOTES_MAX))
    bump(session, meeting)
    meeting.notes = notes.strip()


def _require_running(meeting: Meeting) -> None:
    if meeting.status != "running":
        raise MeetingError(_l("This meeting is not running."))


def attendance_of(session: Session, meeting: Meeting) -> list[Attendance]:
    """Everyone who checked in or was marked present (users loaded)."""
    return list(
        session.scalars(
            select(Attendance)
            .options(selectinload(Attendance.user))  # names for the list in one query
            .where(Attendance.meeting_id == meeting.id)
            .order_by(Attendance.id)
        )
    )


def check_in(session: Session, meeting: Meeting, user: User, mood: int, word: str) -> Attendance:
    """A member says how they arrive: mood 1–5 and a word."""
    if meeting.status == "finished":
        raise MeetingError(_l("This meeting is over."))
    if not 1 <= mood <= 5:
        raise MeetingError(_l("Please choose a mood from 1 to 5."))
    word = word.strip()
    if len(word) > WORD_MAX:
        raise MeetingError(_l("Please use at most %(max)d characters.", max=WORD_MAX))
    bump(session, meeting)
    attendance = _attendance(session, meeting, user.id)
    attendance.present = True
    attendance.mood = mood
    attendance.word = word
    attendance.checked_in_at = utcnow()
    return attendance


def set_presence(session: Session, meeting: Meeting, user_id: int, present: bool) -> None:
    """The facilitator notes who is there (also those who do not check in on a device)."""
    if not is_member(session, meeting.expedition_id, user_id):
        raise MeetingError(_l("Please choose a member of the expedition."))
    bump(session, meeting)
    _attendance(session, meeting, user_id).present = present


def _attendance(session: Session, meeting: Meeting, user_id: int) -> Attendance:
    attendance = session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.user_id == user_id)
    )
    if attendance is None:
        attendance = Attendance(meeting_id=meeting.id, user_id=user_id, present=True)
        session.add(attendance)
        session.flush()
    return attendance


def retro_of(session: Session, meeting: Meeting) -> Retro | None:
    """The meeting's retro, if it has one yet."""
    return session.scalar(select(Retro).where(Retro.meeting_id == meeting.id))


@cache
def _fresh_retro_query():
    """A meeting's retro read afresh, built once (bound values)."""
    return (
        select(Retro)
        .where(Retro.meeting_id == bindparam("meeting_id"))
        .execution_options(populate_existing=True)
    )


@cache
def _phase_update():
    """The phase change as one prebuilt UPDATE (no unit of work at the commit)."""
    retro = Retro.__table__.c
    return (
        update(Retro.__table__)
        .where(retro.id == bindparam("the_retro"))
        .values(phase=bindparam("the_phase"))
    )


def ensure_retro(session: Session, meeting: Meeting) -> Retro:
    """The meeting's retro, created with the default format when the step is reached.

    Read afresh (also when this session loaded it before), so a caller after `bump` decides on
    the latest state.
    """
    retro = session.scalar(_fresh_retro_query(), {"meeting_id": meeting.id})
    if retro is None:
        retro = Retro(meeting_id=meeting.id)
        session.add(retro)
        session.flush()
    return retro


def prompts_of(retro: Retro) -> list[str]:
    """The prompts (columns) of the retro's format."""
    if retro.format == "custom":
        return [p for p in retro.prompts.splitlines() if p.strip()] or [str(_l("Notes"))]
    return list(translated_table(FORMAT_PROMPTS)[retro.format])


def parse_prompts(text: str) -> list[str]:
    """Custom prompts, one a line; checked for count and length."""
    prompts = [line.strip() for line in text.splitlines() if line.strip()]
    if not prompts:
        raise MeetingError(_l("Please write at least one prompt, one a line."))
    if len(prompts) > MAX_PROMPTS:
        raise MeetingError(_l("Please use at most %(max)d prompts.", max=MAX_PROMPTS))
    if any(len(p) > PROMPT_MAX for p in prompts):
        raise MeetingError(_l("Please keep each prompt under %(max)d characters.", max=PROMPT_MAX))
    return prompts


def configure_retro(
    session: Session,
    meeting: Meeting,
    *,
    format: str,
    prompts: str = "",
    anonymous: bool = False,
    votes_enabled: bool = False,
    vote_limit: int = 3,
    template_name: str = "",
) -> Retro:
    """Choose format and rules; only before anything is written, so nobody's note changes meaning."""
    if format not in RETRO_FORMATS:
        raise MeetingError(_l("Please choose a retro format."))
    if not 1 <= vote_limit <= VOTE_LIMIT_MAX:
        raise MeetingError(
            _l("Please allow between 1 and %(max)d votes per person.", max=VOTE_LIMIT_MAX)
        )
    custom = parse_prompts(prompts) if format == "custom" else []
    template_name = template_name.strip()
    if len(template_name) > PROMPT_MAX:
        raise MeetingError(_l("Please keep the name under %(max)d characters.", max=PROMPT_MAX))
    bump(session, meeting)
    retro = ensure_retro(session, meeting)
    has_items = session.scalar(select(func.count()).where(RetroItem.retro_id == retro.id))
    if has_items and (format != retro.format or retro.anonymous != anonymous):
        raise MeetingError(
            _l("Notes have been written already: format and anonymity stay as they are.")
        )
    retro.format = format
    retro.prompts = "\n".join(custom)
    retro.anonymous = anonymous
    retro.votes_enabled = votes_enabled
    retro.vote_limit = vote_limit
    if custom and template_name:
        save_template(session, meeting.expedition_id, template_name, custom)
    return retro


def save_template(session: Session, expedition_id: int, name: str, prompts: list[str]) -> None:
    """Keep custom prompts for the next retros of the expedition (same name: replaced)."""
    template = session.scalar(
        select(RetroTemplate).where(
            RetroTemplate.expedition_id == expedition_id, RetroTemplate.name == name
        )
    )
    if template is None:
        template = RetroTemplate(expedition_id=expedition_id, name=name, prompts="")
        session.add(template)
    template.prompts = "\n".join(prompts)


def saved_prompts(session: Session, expedition_id: int, template_id: int) -> str | None:
    """The prompts of one of the expedition's saved formats (None: no such format here)."""
    return session.scalar(
        select(RetroTemplate.prompts).where(
            RetroTemplate.id == template_id, RetroTemplate.expedition_id == expedition_id
        )
    )


def templates_of(session: Session, expedition_id: int) -> list[RetroTemplate]:
    """The expedition's saved retro prompts."""
    return list(
        session.scalars(
            select(RetroTemplate)
            .where(RetroTemplate.expedition_id == expedition_id)
            .order_by(RetroTemplate.name)
        )
    )


def set_phase(session: Session, meeting: Meeting, phase: str, seen: str | None = None) -> Retro:
    """Move the retro to a phase (Schreiben → Aufdecken → …); clears the countdown.

    A target: already in the phase, nothing happens (a double-click never moves backwards);
    `seen` is the phase the facilitator's page showed, see `_aim`.
    """
    if phase not in RETRO_PHASES:
        raise MeetingError(_l("This retro has no such phase."))
    bump(session, meeting)
    _require_running(meeting)
    retro = ensure_retro(session, meeting)
    if phase == "vote" and not retro.votes_enabled:
        raise MeetingError(_l("Voting is switched off for this retro."))
    if _aim(retro.phase, seen, phase):
        session.execute(_phase_update(), {"the_retro": retro.id, "the_phase": phase})
        set_committed_value(retro, "phase", phase)  # as written: nothing left to flush
        _clear_timer(meeting)
    return retro


def open_writing(session: Session, meeting: Meeting) -> Retro:
    """Open the retro's writing phase before the meeting ("Notizen ab Montag"); a target too.

    People write when they have time; nobody sees another's note until the reveal in the meeting.
    """
    bump(session, meeting)
    if meeting.status == "finished":
        raise MeetingError(_l("This meeting is over."))
    if "retro" not in run_sheet(meeting):
        raise MeetingError(_l("This meeting has no retro."))
    return ensure_retro(session, meeting)


def set_done_writing(
    session: Session, meeting: Meeting, retro: Retro, user_id: int, done: bool
) -> None:
    """A participant says they are done writing (or not yet); their own row, a target."""
    bump(session, meeting)
    session.refresh(retro)
    if retro.phase != "write":
        raise MeetingError(_l("Writing is over for this retro."))
    row = session.scalar(
        select(RetroDone).where(RetroDone.retro_id == retro.id, RetroDone.user_id == user_id)
    )
    if done and row is None:
        session.add(RetroDone(retro_id=retro.id, user_id=user_id))
    elif not done and row is not None:
        session.delete(row)


def done_writing(session: Session, retro: Retro) -> set[int]:
    """Who said they are done writing in this retro."""
    return set(session.scalars(select(RetroDone.user_id).where(RetroDone.retro_id == retro.id)))


def is_revealed(retro: Retro) -> bool:
    """Items are seen by everyone once the write phase is over."""
    return retro.phase != "write"


@dataclass(frozen=True)
class Writer:
    """Who writes or changes a note: the person, and their key for this retro's anonymous notes."""

    user_id: int
    secret: str  # the app's secret key: without it the database cannot say who wrote what

    def key(self, retro: Retro) -> str:
        return author_key(self.secret, retro.id, self.user_id)


def author_key(secret: str, retro_id: int, user_id: int) -> str:
    """The link from an anonymous note to its author: a keyed hash, different in every retro.

    The server can show a person their own notes on any of their devices; a copy of the database
    alone cannot tell who wrote a note, nor link one person's notes across retros.
    """
    message = f"retro-note-author:{retro_id}:{user_id}".encode()
    digest = hmac.new(str(secret).encode(), message, hashlib.sha256).hexdigest()
    return digest[:AUTHOR_KEY_LENGTH]


def is_mine(item: RetroItem, writer: Writer) -> bool:
    """Whether the note was written by this person (also an anonymous one)."""
    if item.author_id is not None:
        return item.author_id == writer.user_id
    return item.author_key is not None and hmac.compare_digest(
        item.author_key, writer.key(item.retro)
    )


def add_item(
    session: Session, meeting: Meeting, retro: Retro, writer: Writer, prompt: int, text: str
) -> RetroItem:
    """Write a note; with anonymity on, only the author's key for this retro is stored."""
    text = _item_text(text)
    if not 0 <= prompt < len(prompts_of(retro)):
        raise MeetingError(_l("Please choose one of the prompts."))
    bump(session, meeting)
    session.refresh(retro)
    if retro.phase not in ("write", "reveal"):
        raise MeetingError(_l("Writing is over for this retro."))
    item = RetroItem(
        id=_free_note_id(session),
        retro_id=retro.id,
        author_id=None if retro.anonymous else writer.user_id,
        author_key=writer.key(retro) if retro.anonymous else None,
        prompt=prompt,
        text=text,
    )
    session.add(item)
    session.flush()
    return item


def _free_note_id(session: Session) -> int:
    """A random note id nobody has yet (31 bits: a second draw is all but never needed)."""
    while True:
        candidate = models.new_note_id()
        if session.get(RetroItem, candidate) is None:
            return candidate


def _item_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise MeetingError(_l("Please write something first."))
    if len(text) > ITEM_MAX:
        raise MeetingError(_l("Please keep your note under %(max)d characters.", max=ITEM_MAX))
    return text


def edit_item(session: Session, meeting: Meeting, retro: Retro, item: RetroItem, text: str) -> None:
    """Change one's own note while writing or revealing; a conditional UPDATE, so nothing is lost."""
    text = _item_text(text)
    bump(session, meeting)
    session.refresh(retro)
    if retro.phase not in ("write", "reveal"):
        raise MeetingError(_l("Notes can no longer be changed in this phase."))
    item.text = text


def delete_item(session: Session, meeting: Meeting, retro: Retro, item: RetroItem) -> None:
    """Remove one's own note while writing or revealing."""
    bump(session, meeting)
    session.refresh(retro)
    if retro.phase not in ("write", "reveal"):
        raise MeetingError(_l("Notes can no longer be changed in this phase."))
    session.delete(item)


def votes_used(session: Session, retro: Retro, user_id: int) -> int:
    """How many dots a person has put in this retro."""
    return (
        session.scalar(
            select(func.count())
            .select_from(RetroVote)
            .join(RetroItem, RetroItem.id == RetroVote.item_id)
            .where(RetroItem.retro_id == retro.id, RetroVote.user_id == user_id)
        )
        or 0
    )


def vote(session: Session, meeting: Meeting, retro: Retro, item: RetroItem, user_id: int) -> None:
    """Put a dot on an item; refused over the per-person limit."""
    bump(session, meeting)  # serialises votes on this meeting, so the limit holds under races
    session.refresh(retro)
    if retro.phase != "vote" or not retro.votes_enabled:
        raise MeetingError(_l("Voting is not open right now."))
    if votes_used(session, retro, user_id) >= retro.vote_limit:
        raise MeetingError(
            _l(
                "You have used all %(limit)d of your votes. Take one back to vote again.",
                limit=retro.vote_limit,
            )
        )
    session.add(RetroVote(item_id=item.id, user_id=user_id))


def unvote(session: Session, meeting: Meeting, retro: Retro, item: RetroItem, user_id: int) -> None:
    """Take one of one's dots back from an item."""
    bump(session, meeting)
    session.refresh(retro)
    if retro.phase != "vote":
        raise MeetingError(_l("Voting is not open right now."))
    vote_id = session.scalar(
        select(RetroVote.id)
        .where(RetroVote.item_id == item.id, RetroVote.user_id == user_id)
        .limit(1)
    )
    if vote_id is None:
        raise MeetingError(_l("You have no vote on this note."))
    session.execute(delete(RetroVote).where(RetroVote.id == vote_id))


def group_items(
    session: Session,
    meeting: Meeting,
    retro: Retro,
    item: RetroItem,
    other: RetroItem | None,
    whole: bool = False,
) -> None:
    """Gather a note with a similar one (None: take it out of its group).

    With `whole`, the note's whole group joins the other note's group: grouped notes move
    together. A target: already together, nothing changes. Written as plain UPDATEs of
    `group_id`, so a note's author editing its text at the same moment loses nothing.
    """
    bump(session, meeting)
    session.refresh(retro)
    if not is_revealed(retro):
        raise MeetingError(_l("Notes can be grouped once they are revealed."))
    session.refresh(item)
    if other is not None:
        session.refresh(other)
    old_group = item.group_id
    if other is None or other.id == item.id:
        if old_group is not None:
            _set_group(session, [item.id], None)
            _tidy_group(session, old_group)
        return
    if old_group is not None and old_group == other.group_id:
        return
    target = other.group_id
    if target is None:
        group = RetroGroup(retro_id=retro.id, title=other.text[:GROUP_TITLE_MAX])
        session.add(group)
        session.flush()
        target = group.id
        _set_group(session, [other.id], target)
    moving = [item.id]
    if whole and old_group is not None:
        moving = list(session.scalars(select(RetroItem.id).where(RetroItem.group_id == old_group)))
    _set_group(session, moving, target)
    if old_group is not None:
        _tidy_group(session, old_group)


def _set_group(session: Session, item_ids: list[int], group_id: int | None) -> None:
    session.execute(
        update(RetroItem)
        .where(RetroItem.id.in_(item_ids))
        .values(group_id=group_id)
        .execution_options(synchronize_session="fetch")
    )


def _tidy_group(session: Session, group_id: int) -> None:
    """A group of one note or none is no group: dissolve it."""
    left = list(session.scalars(select(RetroItem.id).where(RetroItem.group_id == group_id)))
    if len(left) <= 1:
        _set_group(session, left, None)
        session.execute(delete(RetroGroup).where(RetroGroup.id == group_id))


def rename_group(session: Session, meeting: Meeting, group: RetroGroup, title: str) -> None:
    """Give a group of notes its title (a target: the same title again changes nothing)."""
    title = (title or "").strip()
    if not title:
        raise MeetingError(_l("Please give the group a title."))
    if len(title) > GROUP_TITLE_MAX:
        raise MeetingError(
            _l("Please keep the title under %(max)d characters.", max=GROUP_TITLE_MAX)
        )
    bump(session, meeting)
    group.title = title


def discuss_item(session: Session, meeting: Meeting, retro: Retro, item: RetroItem | None) -> None:
    """Mark the note the group is talking about now (None: none)."""
    bump(session, meeting)
    if not is_revealed(retro):
        raise MeetingError(_l("Notes can be discussed once they are revealed."))
    retro.discussing_item_id = item.id if item else None


def add_action(
    session: Session,
    meeting: Meeting,
    expedition: Expedition,
    *,
    title: str,
    owner_id: int,
    kind: str,
    item: RetroItem | None = None,
) -> RetroAction:
    """Agree an action; it lands as a card in the owner's "Diesen Sprint" for the next sprint."""
    title = (title or "").strip()
    if not title:
        raise MeetingError(_l("Please describe the action."))
    if len(title) > 200:
        raise MeetingError(_l("Please keep the action under %(max)d characters.", max=200))
    if kind not in ACTION_KINDS:
        raise MeetingError(_l("Please choose experiment or task."))
    if not is_member(session, expedition.id, owner_id):
        raise MeetingError(_l("The owner must be a member of the expedition."))
    if meeting.status == "finished":
        raise MeetingError(_l("This meeting is over."))
    bump(session, meeting)
    sprint = next_sprint_number(meeting, expedition)
    card = create_card(
        session,
        expedition.id,
        owner_id,
        title,
        column="sprint",
        kind=kind,
        sprint_number=sprint,
        notes=retro_note(meeting.starts_at, expedition.timezone),
    )
    action = RetroAction(
        meeting_id=meeting.id,
        item_id=item.id if item else None,
        owner_id=owner_id,
        title=title,
        kind=kind,
        card_id=card.id,
    )
    session.add(action)
    session.flush()
    _publish_action(session, "action.created", meeting, action)
    return action


def _publish_action(session: Session, event: str, meeting: Meeting, action: RetroAction) -> None:
    """Raise an action's event: what was agreed and who owns it (the retro saw both openly)."""
    owner = session.get(User, action.owner_id) if action.owner_id else None
    publish(
        session,
        event,
        meeting.expedition_id,
        {
            "action": {
                "id": action.id,
                "title": action.title,
                "kind": action.kind,
                "owner": owner.name if owner else "",
                "outcome": action.outcome,
                "meeting_id": action.meeting_id,
            }
        },
    )


def retro_note(starts_at: datetime, timezone: str) -> str:
    """The note on a card made from a retro action: the retro's day in words, as people write it."""
    day = starts_at.astimezone(ZoneInfo(timezone)).date()
    return str(_l("Agreed in the retro of %(date)s.", date=format_date(day, "long")))


def next_sprint_number(meeting: Meeting, expedition: Expedition) -> int | None:
    """The sprint an action belongs to: the one after the sprint the meeting closes."""
    if meeting.sprint_number is None:
        return None
    return min(meeting.sprint_number + 1, expedition.sprint_count)


def actions_of(session: Session, meeting_ids: list[int]) -> list[RetroAction]:
    """The actions agreed in these meetings, owners loaded."""
    if not meeting_ids:
        return []
    return list(
        session.scalars(
            select(RetroAction)
            .options(selectinload(RetroAction.owner))  # owner names in one query
            .where(RetroAction.meeting_id.in_(meeting_ids))
            .order_by(RetroAction.id)
        )
    )


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The latest earlier meeting of the expedition that has actions to review."""
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.expedition_id == meeting.expedition_id,
            Meeting.id != meeting.id,
            Meeting.starts_at < meeting.starts_at,
            select(RetroAction.id).where(RetroAction.meeting_id == Meeting.id).exists(),
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    )


# Outcomes that count as "done" for the event (a learning is a way of finishing an experiment).
DONE_OUTCOMES = ("done", "learned")


def review_action(
    session: Session, meeting: Meeting, action: RetroAction, outcome: str, note: str
) -> None:
    """Say how an earlier action went: done, learned or dropped."""
    if outcome not in ACTION_OUTCOMES:
        raise MeetingError(_l("Please choose done, learned or dropped."))
    note = (note or "").strip()
    if len(note) > ITEM_MAX:
        raise MeetingError(_l("Please keep your note under %(max)d characters.", max=ITEM_MAX))
    bump(session, meeting)
    was_done = action.outcome in DONE_OUTCOMES
    action.outcome = outcome
    action.outcome_note = note
    if outcome in DONE_OUTCOMES and not was_done:
        _publish_action(session, "action.done", meeting, action)


def set_focus(
    session: Session, meeting: Meeting, expedition: Expedition, user_id: int, focus: str
) -> SprintReflection:
    """A participant's focus for the next sprint, set while planning."""
    focus = (focus or "").strip()
    if not focus:
        raise MeetingError(_l("Please write your focus first."))
    if len(focus) > ITEM_MAX:
        raise MeetingError(_l("Please keep your focus under %(max)d characters.", max=ITEM_MAX))
    sprint = next_sprint_number(meeting, expedition) or 1
    bump(session, meeting)
    return set_sprint_focus(session, expedition.id, user_id, sprint, focus)


def board_glance(session: Session, expedition_id: int, user_id: int) -> list[Card]:
    """The cards a person shows in the review round: this sprint, in work, learning (shared ones)."""
    return list(
        session.scalars(
            select(Card)
            .where(
                Card.expedition_id == expedition_id,
                Card.owner_id == user_id,
                Card.visibility == "zirkel",
                Card.column.in_(("sprint", "doing", "learning", "done")),
            )
            .order_by(Card.column, Card.position)
            .limit(40)
        )
    )


def focus_of(session: Session, expedition_id: int, user_id: int, sprint: int | None) -> str:
    """A person's focus for a sprint ("" if none)."""
    if sprint is None:
        return ""
    return (
        session.scalar(
            select(SprintReflection.focus).where(
                SprintReflection.expedition_id == expedition_id,
                SprintReflection.user_id == user_id,
                SprintReflection.sprint_number == sprint,
            )
        )
        or ""
    )
