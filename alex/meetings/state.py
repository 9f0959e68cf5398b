"""What the meeting pages show, gathered in a constant number of queries whatever the data size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from alex.boards.models import Card
from alex.db import utcnow
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import members
from alex.meetings import service
from alex.meetings.models import (
    Attendance,
    Meeting,
    Retro,
    RetroAction,
    RetroGroup,
    RetroItem,
    RetroTemplate,
    RetroVote,
)

STEP_LABELS = {
    "checkin": _l("Check-in"),
    "actions_review": _l("What became of last actions"),
    "review_round": _l("Review round"),
    "agreements": _l("Rules and rhythm"),
    "retro": _l("Retro"),
    "planning": _l("Planning the next sprint"),
    "checkout": _l("Check-out"),
}
# Steps and phases never share a name: "Retro" is a step, "Agree actions" a phase of it.
PHASE_LABELS = {
    "write": _l("Write"),
    "reveal": _l("Reveal"),
    "vote": _l("Voting"),
    "discuss": _l("Discuss"),
    "actions": _l("Agree actions"),
    "closed": _l("Retro finished"),
}
FORMAT_LABELS = {
    "start_stop_continue": _l("Start / Stop / Continue"),
    "glad_sad_mad": _l("Glad / Sad / Mad"),
    "4l": _l("4L: Liked / Learned / Lacked / Longed for"),
    "starfish": _l("Starfish"),
    "custom": _l("Own prompts"),
}
KIND_NAMES = {
    "kickoff": _l("Auftakt"),
    "zirkeltreffen": _l("Zirkeltreffen"),
    "pit_stop": _l("Boxenstopp"),
    "closing": _l("Abschluss"),
}
MOOD_LABELS = {
    1: _l("stormy"),
    2: _l("cloudy"),
    3: _l("so-so"),
    4: _l("sunny"),
    5: _l("radiant"),
}
OUTCOME_LABELS = {"done": _l("Done"), "learned": _l("Learned from it"), "dropped": _l("Dropped")}


@dataclass
class ItemView:
    """A note as one viewer may see it."""

    item: RetroItem
    mine: bool
    votes: int  # 0 for everyone while voting runs: votes stay hidden until it ends
    my_votes: int
    group_title: str | None


@dataclass
class Entry:
    """One place on the retro board: a note alone, or a group whose notes move together."""

    views: list[ItemView]
    group_id: int | None = None
    title: str = ""

    @property
    def votes(self) -> int:
        return sum(v.votes for v in self.views)

    @property
    def first(self) -> ItemView:
        return self.views[0]


def board_entries(items: list[ItemView], prompt_count: int, ranked: bool) -> list[list[Entry]]:
    """The notes per prompt, each group once (in the column of its first note), votes summed.

    A group may gather notes of several prompts: it stands where its first note stands.
    """
    columns: list[list[Entry]] = [[] for _ in range(max(prompt_count, 1))]
    groups: dict[int, Entry] = {}
    for view in items:
        column = columns[min(view.item.prompt, len(columns) - 1)]
        group_id = view.item.group_id
        if group_id is None:
            column.append(Entry([view]))
        elif group_id in groups:
            groups[group_id].views.append(view)
        else:
            groups[group_id] = Entry([view], group_id, view.group_title or "")
            column.append(groups[group_id])
    if ranked:
        for column in columns:
            column.sort(key=lambda e: -e.votes)
    return columns


@dataclass
class LiveState:
    """Everything the run-sheet shows to one viewer."""

    can_run: bool
    steps: tuple[str, ...]
    skipped: set[str]
    next_step: str | None
    members: list[Membership]
    attendance: dict[int, Attendance]
    retro: Retro | None
    prompts: list[str]
    items: list[ItemView]  # only what this viewer may see
    hidden_count: int  # notes written by others, not yet revealed
    my_votes_used: int
    actions: list[RetroAction]
    previous: Meeting | None
    previous_actions: list[RetroAction]
    review_cards: list[Card]
    review_focus: str
    my_focus: str
    templates: list[RetroTemplate]
    now: datetime
    writers: list[Membership]  # who is expected to write: participants not marked absent
    done: set[int]  # who said they are done writing
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def votes_hidden(self) -> bool:
        """Votes stay hidden until voting ends (only one's own dots show meanwhile)."""
        return self.retro is None or self.retro.phase in ("write", "reveal", "vote")

    @property
    def done_count(self) -> int:
        return sum(1 for m in self.writers if m.user_id in self.done)

    @property
    def still_writing(self) -> list[Membership]:
        return [m for m in self.writers if m.user_id not in self.done]

    @property
    def board(self) -> list[list[Entry]]:
        ranked = self.retro is not None and not self.votes_hidden
        return board_entries(self.items, len(self.prompts), ranked)

    @property
    def next_phase(self) -> str | None:
        """The phase after the current one: the highlighted button."""
        if self.retro is None:
            return None
        order = [p for p in PHASE_LABELS if p != "vote" or self.retro.votes_enabled]
        index = order.index(self.retro.phase) if self.retro.phase in order else -1
        return order[index + 1] if index + 1 < len(order) else None

    @property
    def by_prompt(self) -> dict[int, list[ItemView]]:
        grouped: dict[int, list[ItemView]] = defaultdict(list)
        for view in self.items:
            grouped[view.item.prompt].append(view)
        return grouped

    @property
    def ranked(self) -> list[ItemView]:
        return sorted(self.items, key=lambda v: (-v.votes, v.group_title or "", v.item.id))


def live_state(
    session: Session,
    membership: Membership,
    meeting: Meeting,
    writer: service.Writer,
    errors: dict[str, str],
    *,
    retro: Retro | None = None,
    stage_only: bool = False,
) -> LiveState:
    """The run-sheet for one viewer; other people's notes stay out until the reveal.

    `retro`: the meeting's retro as the command just left it (not read again). `stage_only`:
    what a command's answer shows of the retro step (the stage and the phase buttons, see
    `_phase_answer.html`): the members only where the retro names them (writing, actions,
    a retro that is not anonymous), attendance only while writing.
    """
    expedition = membership.expedition
    user_id = membership.user_id
    if retro is None:
        retro = service.retro_of(session, meeting)
    stage_only = stage_only and retro is not None and meeting.step == "retro"
    items: list[ItemView] = []
    hidden = 0
    used = 0
    done: set[int] = set()
    if retro is not None:
        items, hidden = _visible_items(session, retro, writer)
        if retro.phase == "vote":
            used = service.votes_used(session, retro, user_id)
        if retro.phase == "write":
            done = service.done_writing(session, retro)
    named = retro is not None and (
        retro.phase in ("write", "actions") or (not retro.anonymous and bool(items))
    )
    people = members(session, expedition) if not stage_only or named else []
    writing = retro is not None and retro.phase == "write"
    attendance = (
        {a.user_id: a for a in service.attendance_of(session, meeting)}
        if not stage_only or writing
        else {}
    )
    can_run = service.can_run(membership, meeting)
    # Last time's actions are read only where they are shown: the step that reviews them.
    previous = (
        service.previous_meeting(session, meeting) if meeting.step == "actions_review" else None
    )
    review_user = meeting.review_user_id
    next_sprint = service.next_sprint_number(meeting, expedition)
    return LiveState(
        can_run=can_run,
        steps=service.run_sheet(meeting),
        skipped=service.skipped(meeting),
        next_step=service.next_step(meeting),
        members=people,
        attendance=attendance,
        retro=retro,
        prompts=service.prompts_of(retro) if retro else [],
        items=items,
        hidden_count=hidden,
        my_votes_used=used,
        # Agreed actions show from the retro's actions phase on (and after the meeting).
        actions=service.actions_of(session, [meeting.id])
        if meeting.status == "finished"
        or meeting.step in ("planning", "checkout")
        or (retro is not None and retro.phase in ("actions", "closed"))
        else [],
        previous=previous,
        previous_actions=service.actions_of(session, [previous.id]) if previous else [],
        review_cards=service.board_glance(session, expedition.id, review_user)
        if review_user and meeting.step == "review_round"
        else [],
        review_focus=service.focus_of(session, expedition.id, review_user, meeting.sprint_number)
        if review_user and meeting.step == "review_round"
        else "",
        my_focus=service.focus_of(session, expedition.id, user_id, next_sprint)
        if meeting.step == "planning"
        else "",
        templates=service.templates_of(session, expedition.id)
        if retro is not None and retro.phase == "write" and can_run
        else [],
        now=utcnow(),
        writers=[
            m
            for m in people
            if not m.is_facilitator
            and (m.user_id not in attendance or attendance[m.user_id].present)
        ],
        done=done,
        errors=errors,
    )


@cache
def _items_query(revealed: bool, anonymous: bool):
    """The notes a viewer loads (see `_visible_items`), built once per kind (bound values)."""
    query = (
        select(RetroItem)
        .options(selectinload(RetroItem.author))  # author names in one query, not one per note
        .where(RetroItem.retro_id == bindparam("retro_id"))
        .order_by(RetroItem.id)
    )
    if revealed:
        return query
    if anonymous:
        return query.where(RetroItem.author_key == bindparam("author_key"))
    return query.where(RetroItem.author_id == bindparam("author_id"))


def _visible_items(
    session: Session, retro: Retro, writer: service.Writer | None
) -> tuple[list[ItemView], int]:
    """Before the reveal only one's own notes are loaded at all; after it, everyone's.

    Notes come in the order of their random ids: the order says nothing about who wrote first.
    """
    user_id = writer.user_id if writer else None
    my_key = writer.key(retro) if writer and retro.anonymous else None
    revealed = service.is_revealed(retro)
    rows = list(
        session.scalars(
            _items_query(revealed, retro.anonymous),
            {"retro_id": retro.id, "author_key": my_key, "author_id": user_id},
        )
    )
    total = len(rows)
    if not revealed:  # only then are some notes left out
        total = session.scalar(select(func.count()).where(RetroItem.retro_id == retro.id)) or 0
    if not rows:
        return [], total  # no note this viewer sees: no dots or groups to read for them
    votes: Counter[int] = Counter()
    mine: Counter[int] = Counter()
    counted = retro.phase not in ("write", "reveal", "vote")  # hidden until voting ends
    for item_id, voter in session.execute(
        select(RetroVote.item_id, RetroVote.user_id)
        .join(RetroItem, RetroItem.id == RetroVote.item_id)
        .where(RetroItem.retro_id == retro.id)
    ):
        if counted:
            votes[item_id] += 1
        if voter == user_id:
            mine[item_id] += 1
    groups = dict(
        session.execute(
            select(RetroGroup.id, RetroGroup.title).where(RetroGroup.retro_id == retro.id)
        ).all()
    )
    views = [
        ItemView(
            item=item,
            mine=(item.author_id == user_id)
            if item.author_id
            else my_key is not None and item.author_key == my_key,
            votes=votes[item.id],
            my_votes=mine[item.id],
            group_title=groups.get(item.group_id) if item.group_id else None,
        )
        for item in rows
    ]
    return views, total - len(rows)


def meeting_list(session: Session, expedition: Expedition) -> tuple[list[Meeting], list[Meeting]]:
    """Upcoming (and running) meetings first in date order, then the past ones, latest first."""
    upcoming, past = [], []
    for meeting in service.meetings_of(session, expedition):
        (past if meeting.status == "finished" else upcoming).append(meeting)
    return upcoming, list(reversed(past))


@dataclass
class RecordState:
    """A meeting's record."""

    attendance: list[Attendance]
    retro: Retro | None
    prompts: list[str]
    items: list[ItemView]
    actions: list[RetroAction]
    reviewed: list[RetroAction]
    absent: list[Membership]


def record_state(session: Session, meeting: Meeting) -> RecordState:
    """Who was there, moods, revealed notes with votes, actions and the reviewed earlier actions."""
    retro = service.retro_of(session, meeting)
    items: list[ItemView] = []
    if retro is not None and service.is_revealed(retro):
        items, _hidden = _visible_items(session, retro, None)
    attendance = [a for a in service.attendance_of(session, meeting) if a.present]
    present = {a.user_id for a in attendance}
    expedition = session.get(Expedition, meeting.expedition_id)
    previous = service.previous_meeting(session, meeting)
    return RecordState(
        attendance=attendance,
        retro=retro,
        prompts=service.prompts_of(retro) if retro else [],
        items=sorted(items, key=lambda v: (v.item.prompt, -v.votes, v.item.id)),
        # Agreed actions show from the retro's actions phase on (and after the meeting).
        actions=service.actions_of(session, [meeting.id])
        if meeting.status == "finished"
        or meeting.step in ("planning", "checkout")
        or (retro is not None and retro.phase in ("actions", "closed"))
        else [],
        reviewed=[a for a in service.actions_of(session, [previous.id]) if a.outcome]
        if previous
        else [],
        absent=[m for m in members(session, expedition) if m.user_id not in present],
    )
