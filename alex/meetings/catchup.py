"""After the meeting: who was there (the moderation too), and catching up for those who missed it.

The record used to list only who checked in, so whoever ran the meeting without checking in
showed up as "not there". Here the people who ran it count as present: the meeting's moderator,
or without one the expedition's facilitators, unless someone marked them absent.

People who missed a meeting read what was discussed, what was decided and which actions were
agreed, and can add a note to an action (a question, an offer to help, what they know).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alex.auth.models import User
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import members
from alex.meetings import service
from alex.meetings.models import ITEM_MAX, ActionNote, Meeting, RetroAction
from alex.meetings.state import ItemView, RecordState, record_state


@dataclass(frozen=True)
class Presence:
    """Someone who was there: with mood and word if they checked in, and whether they ran it."""

    user: User
    mood: int | None = None
    word: str = ""
    ran_it: bool = False


@dataclass
class People:
    present: list[Presence]
    absent: list[Membership]


def runners(meeting: Meeting, memberships: list[Membership]) -> set[int]:
    """Who ran the meeting: its moderator, or (none chosen) the expedition's facilitators."""
    if meeting.moderator_id is not None:
        return {meeting.moderator_id}
    return {m.user_id for m in memberships if m.is_facilitator}


def people_of(session: Session, meeting: Meeting, memberships: list[Membership]) -> People:
    """Who was there and who was not; nobody counts as there before the meeting started."""
    marked = {a.user_id: a for a in service.attendance_of(session, meeting)}
    present = [Presence(a.user, a.mood, a.word) for a in marked.values() if a.present]
    ran = runners(meeting, memberships) if meeting.status != "scheduled" else set()
    by_user = {m.user_id: m for m in memberships}
    present = [replace(p, ran_it=p.user.id in ran) for p in present]
    here = {p.user.id for p in present}
    for user_id in sorted(ran - here):
        if user_id in by_user and user_id not in marked:  # marked absent: they were not there
            present.insert(0, Presence(by_user[user_id].user, ran_it=True))
            here.add(user_id)
    absent = [m for m in memberships if m.user_id not in here]
    return People(present, absent)


def record_with_people(
    session: Session, meeting: Meeting, expedition: Expedition
) -> tuple[RecordState, People]:
    """The meeting's record, with who was there counted as above."""
    memberships = members(session, expedition)
    people = people_of(session, meeting, memberships)
    return record_state(session, meeting), people


@dataclass
class CatchUp:
    """What someone who missed the meeting reads."""

    record: RecordState
    people: People
    missed: bool  # the viewer was not there
    discussed: list[ItemView]  # revealed notes, the one talked about and the most voted first
    notes: dict[int, list[ActionNote]] = field(default_factory=dict)


def catch_up(session: Session, meeting: Meeting, expedition: Expedition, viewer_id: int) -> CatchUp:
    """The meeting as told afterwards to one member."""
    record, people = record_with_people(session, meeting, expedition)
    discussing = record.retro.discussing_item_id if record.retro else None
    discussed = sorted(
        record.items,
        key=lambda v: (v.item.id != discussing, -v.votes, v.item.prompt, v.item.id),
    )
    return CatchUp(
        record=record,
        people=people,
        missed=meeting.status != "scheduled"
        and all(p.user.id != viewer_id for p in people.present),
        discussed=discussed,
        notes=notes_on(session, [a.id for a in record.actions]),
    )


def notes_on(session: Session, action_ids: list[int]) -> dict[int, list[ActionNote]]:
    """The notes on these actions, oldest first, authors loaded."""
    grouped: dict[int, list[ActionNote]] = defaultdict(list)
    if not action_ids:
        return grouped
    for note in session.scalars(
        select(ActionNote)
        .options(selectinload(ActionNote.author))  # names in one query
        .where(ActionNote.action_id.in_(action_ids))
        .order_by(ActionNote.id)
    ):
        grouped[note.action_id].append(note)
    return grouped


def action_of(session: Session, meeting: Meeting, action_id: int) -> RetroAction | None:
    """An action agreed in this meeting."""
    return session.scalar(
        select(RetroAction).where(RetroAction.id == action_id, RetroAction.meeting_id == meeting.id)
    )


def add_note(session: Session, action: RetroAction, author_id: int, text: str) -> ActionNote:
    """A member's note on an action; every note is its own row, so none overwrites another."""
    text = (text or "").strip()
    if not text:
        raise service.MeetingError(_l("Please write something first."))
    if len(text) > ITEM_MAX:
        raise service.MeetingError(
            _l("Please keep your note under %(max)d characters.", max=ITEM_MAX)
        )
    note = ActionNote(action_id=action.id, author_id=author_id, text=text)
    session.add(note)
    session.flush()
    return note
