"""Meetings on the expedition's calendar (Auftakt, Zirkeltreffen, Boxenstopp, Abschluss) and their retros."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alex.auth.models import User
from alex.db import Base, UTCDateTime, utcnow

MEETING_KINDS = ("kickoff", "zirkeltreffen", "pit_stop", "closing")
MEETING_STATUSES = ("scheduled", "running", "finished")
# The run-sheet of each kind, in order; the facilitator may skip steps.
RUN_SHEETS = {
    "kickoff": ("checkin", "review_round", "agreements", "planning", "checkout"),
    "zirkeltreffen": ("checkin", "actions_review", "review_round", "retro", "planning", "checkout"),
    "pit_stop": ("checkin", "actions_review", "retro", "checkout"),
    "closing": ("checkin", "actions_review", "review_round", "retro", "checkout"),
}
RETRO_FORMATS = ("start_stop_continue", "glad_sad_mad", "4l", "starfish", "custom")
RETRO_PHASES = ("write", "reveal", "vote", "discuss", "actions", "closed")
ACTION_KINDS = ("experiment", "task")
ACTION_OUTCOMES = ("done", "learned", "dropped")
ITEM_MAX = 500
NOTE_ID_MAX = 2**31 - 1  # fits the INTEGER column and the URL converter
AUTHOR_KEY_LENGTH = 32
WORD_MAX = 40
PROMPT_MAX = 80


class Meeting(Base):
    """A scheduled meeting. `version` rises on every change; live clients poll it (204 if unchanged)."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_expedition_starts", "expedition_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="zirkeltreffen")  # MEETING_KINDS
    sprint_number: Mapped[int | None] = mapped_column(Integer)  # the sprint it closes
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    location: Mapped[str] = mapped_column(String(500), default="")  # room or video link
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # MEETING_STATUSES
    notes: Mapped[str] = mapped_column(Text, default="")  # agreements, planning notes
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The run-sheet: the current step (RUN_SHEETS) and the steps passed over.
    step: Mapped[str] = mapped_column(String(20), default="")
    skipped_steps: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    review_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # One countdown per meeting (review round per person, retro phase); clients count locally.
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How long that countdown was set for: a second "start 5 minutes" is then the same command.
    timer_minutes: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Planned together with other meetings ("this and all following" changes the rest too).
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_series.id", ondelete="SET NULL"), index=True
    )

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    review_user: Mapped[User | None] = relationship(foreign_keys=[review_user_id])


class MeetingSeries(Base):
    """Meetings planned in one go from the sprint calendar (meetings.series)."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(
        ForeignKey("expedition.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    """Who was there, with the check-in mood (1–5) and a word."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    mood: Mapped[int | None] = mapped_column(Integer)
    word: Mapped[str] = mapped_column(String(WORD_MAX), default="")
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Retro(Base):
    """The retro of a meeting: its format, the phase it is in and its rules."""

    __tablename__ = "retro"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    format: Mapped[str] = mapped_column(String(24), default="start_stop_continue")
    prompts: Mapped[str] = mapped_column(Text, default="")  # custom format: one prompt a line
    phase: Mapped[str] = mapped_column(String(16), default="write")  # RETRO_PHASES
    # A public-sector circle: anonymous notes and three dots each, unless the facilitator changes it.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    votes_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    vote_limit: Mapped[int] = mapped_column(Integer, default=3)
    # The item being discussed; no FK, to keep retro ↔ item free of a dependency cycle.
    discussing_item_id: Mapped[int | None] = mapped_column(Integer)

    items: Mapped[list[RetroItem]] = relationship(
        back_populates="retro",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="RetroItem.retro_id",
        order_by="RetroItem.id",
    )


class RetroGroup(Base):
    """Similar items gathered under one title while discussing."""

    __tablename__ = "retro_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retro.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(ITEM_MAX))


def new_note_id() -> int:
    """A random id for a note: it says nothing about when, or in which order, notes were written."""
    return secrets.randbelow(NOTE_ID_MAX) + 1


class RetroItem(Base):
    """One note written in the retro; hidden from others until the reveal.

    A note keeps no time and its id is random, so nothing can be matched against other rows
    (check-ins, votes, the meeting's version) to tell who wrote it. With anonymity on, no author
    is stored: only `author_key`, a keyed hash that lets the server tell its author "this one is
    yours" and that the database alone cannot turn into a person (meetings.service.author_key).
    Account deletion keeps the note, anonymised.
    """

    __tablename__ = "retro_item"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=new_note_id)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retro.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    author_key: Mapped[str | None] = mapped_column(String(AUTHOR_KEY_LENGTH))
    prompt: Mapped[int] = mapped_column(Integer, default=0)  # index into the format's prompts
    text: Mapped[str] = mapped_column(String(ITEM_MAX))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("retro_group.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    retro: Mapped[Retro] = relationship(back_populates="items", foreign_keys=[retro_id])
    author: Mapped[User | None] = relationship()
    votes: Mapped[list[RetroVote]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    __mapper_args__ = {"version_id_col": version}


class RetroVote(Base):
    """One dot on an item; a person may put several dots, up to the retro's limit."""

    __tablename__ = "retro_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("retro_item.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class RetroDone(Base):
    """A participant who says "I am done writing" (what they wrote stays theirs alone)."""

    __tablename__ = "retro_done"
    __table_args__ = (UniqueConstraint("retro_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retro_id: Mapped[int] = mapped_column(ForeignKey("retro.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class RetroAction(Base):
    """An agreed action: owned by a member, it becomes a card in their next sprint."""

    __tablename__ = "retro_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("retro_item.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="experiment")  # ACTION_KINDS
    card_id: Mapped[int | None] = mapped_column(ForeignKey("card.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(16))  # ACTION_OUTCOMES, at the next meeting
    outcome_note: Mapped[str] = mapped_column(String(ITEM_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship()


class ActionNote(Base):
    """A member's note on an agreed action, e.g. from someone who missed the meeting."""

    __tablename__ = "retro_action_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("retro_action.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(ITEM_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class RetroTemplate(Base):
    """Custom retro prompts saved for reuse in an expedition."""

    __tablename__ = "retro_template"
    __table_args__ = (UniqueConstraint("expedition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expedition_id: Mapped[int] = mapped_column(ForeignKey("expedition.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(PROMPT_MAX))
    prompts: Mapped[str] = mapped_column(Text)  # one prompt a line
