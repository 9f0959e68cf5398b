"""What an expedition's story is made of: people, their Vorhaben, cards, check-ins, meetings.

Plain dataclasses with defaults, so a story reads like the expedition it describes. The demo and
the sample are TOML files beside this module (`load_story("demo")`); tests build stories in
code. `alex.demo.build` turns a story into rows.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

# Retro prompts by a readable key, in the order of each built-in format's prompts.
PROMPT_KEYS = {
    "start_stop_continue": ("start", "stop", "continue"),
    "glad_sad_mad": ("glad", "sad", "mad"),
    "4l": ("liked", "learned", "lacked", "longed_for"),
    "starfish": ("keep_doing", "less_of", "more_of", "stop_doing", "start_doing"),
}


@dataclass
class CardSpec:
    """A card and how far it got; it walks through the columns during its sprint."""

    title: str
    column: str = "ideas"
    sprint: int | None = None  # None for ideas not yet planned
    kind: str = "task"  # or "experiment": hypothesis → result → learning
    private: bool = False
    notes: str = ""
    hypothesis: str = ""
    result: str = ""
    learning: str = ""
    checked: list[str] = field(default_factory=list)  # checklist lines already done
    unchecked: list[str] = field(default_factory=list)
    key: str = ""  # to point at the card from Rückenwind


@dataclass
class EarlierVorhaben:
    """An older wording of the Vorhaben and why it changed."""

    what: str
    reason: str
    sprint: int  # changed at the start of this sprint
    why: str = ""
    success_signs: str = ""
    support_needed: str = ""
    first_steps: str = ""


@dataclass
class VorhabenSpec:
    """The Vorhaben canvas as it reads today, with its earlier versions."""

    what: str
    why: str = ""
    success_signs: str = ""
    support_needed: str = ""
    first_steps: str = ""
    earlier: list[EarlierVorhaben] = field(default_factory=list)


@dataclass
class SprintSpec:
    """A person's focus for a sprint and, once it is over, their self-assessment."""

    number: int
    focus: str
    confidence: int | None = None  # 1–10
    assessment: str = ""


@dataclass
class CheckInSpec:
    """A Logbuch entry on day `day` of sprint `sprint`."""

    sprint: int
    day: int
    done: str = ""
    learned: str = ""
    next: str = ""
    stuck: str = ""
    needs_support: bool = False  # "Ich brauche Unterstützung"
    private: bool = False
    key: str = ""


@dataclass
class FinalReflectionSpec:
    """The closing reflection that feeds the Lernbericht."""

    vorhaben_now: str = ""
    learned: str = ""
    keep_doing: str = ""
    advice: str = ""
    release_to_summary: bool = False
    named_in_reports: bool = False


@dataclass
class PersonSpec:
    """Someone in the expedition: the facilitator or a participant with their journey."""

    key: str
    name: str
    email: str
    role: str = "participant"  # or "facilitator"
    vorhaben: VorhabenSpec | None = None
    sprints: list[SprintSpec] = field(default_factory=list)
    cards: list[CardSpec] = field(default_factory=list)
    check_ins: list[CheckInSpec] = field(default_factory=list)
    reflection: FinalReflectionSpec | None = None


@dataclass
class MoodSpec:
    """One person's check-in at a meeting."""

    who: str
    mood: int  # 1–5
    word: str = ""


@dataclass
class RetroNoteSpec:
    """A retro note, its prompt (a key of PROMPT_KEYS) and who gave it a dot."""

    by: str
    prompt: str
    text: str
    dots: list[str] = field(default_factory=list)
    key: str = ""


@dataclass
class ActionSpec:
    """An action agreed in the retro; it becomes a card on its owner's board."""

    owner: str
    title: str
    sprint: int
    kind: str = "task"
    from_note: str = ""  # key of the note it answers
    outcome: str | None = None  # reviewed at the next meeting: done, learned, dropped
    outcome_note: str = ""


@dataclass
class RetroSpec:
    """A closed retro of a meeting."""

    format: str
    votes: bool = False
    notes: list[RetroNoteSpec] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)


@dataclass
class MeetingSpec:
    """A Zirkeltreffen (on the Thursday of its sprint's last week) or the Auftakt (on day one)."""

    kind: str = "zirkeltreffen"
    sprint: int | None = None
    status: str = "scheduled"  # or "finished"
    hour: int = 14
    minutes: int = 90
    location: str = ""
    moderator: str = ""
    notes: str = ""
    moods: list[MoodSpec] = field(default_factory=list)
    retro: RetroSpec | None = None


@dataclass
class KudosSpec:
    """Rückenwind from one person on another's card."""

    by: str
    card: str  # a card key
    kind: str
    note: str = ""


@dataclass
class SupportAnswerSpec:
    """An answer to a request for support."""

    by: str
    check_in: str  # a check-in key
    kind: str = "note"  # or "talk"
    note: str = ""


@dataclass
class OpeningRequestSpec:
    """Someone of the story asking to join an open expedition."""

    who: str
    message: str = ""


@dataclass
class OpeningSpec:
    """Another expedition the facilitator offers on the Börse (alex.openings), not yet started."""

    title: str
    listing: str  # what the Börse shows
    description: str = ""
    starts_in_weeks: int = 3  # on the Monday of that week
    sprint_weeks: int = 4
    sprint_count: int = 6
    seats: int = 4
    sign_up_days: int = 14  # the deadline, from today
    requests: list[OpeningRequestSpec] = field(default_factory=list)


@dataclass
class Story:
    """A whole expedition, as far as it has come."""

    title: str
    description: str = ""
    started_weeks_ago: int = 9  # the start moves back to the Monday before
    sprint_weeks: int = 4
    sprint_count: int = 6
    pit_stops: bool = True
    people: list[PersonSpec] = field(default_factory=list)
    meetings: list[MeetingSpec] = field(default_factory=list)
    kudos: list[KudosSpec] = field(default_factory=list)
    support_answers: list[SupportAnswerSpec] = field(default_factory=list)
    calendar_link_for: str = ""  # whose calendar feed is already set up
    extra_card_titles: list[str] = field(default_factory=list)  # for boards made bigger
    openings: list[OpeningSpec] = field(default_factory=list)  # open to join (the Börse)
    library_vorlage: str = ""  # the name its settings are shared under in the instance library
    library_note: str = ""  # and the facilitator's word on when it fits

    def person(self, key: str) -> PersonSpec:
        """The person with this key."""
        return next(p for p in self.people if p.key == key)


STORIES = Path(__file__).parent


def load_story(name: str) -> Story:
    """The story in alex/demo/<name>.toml."""
    with open(STORIES / f"{name}.toml", "rb") as file:
        return from_dict(Story, tomllib.load(file))


def from_dict(cls: type, data: dict):
    """Build a dataclass from TOML data; an unknown key is an error, not silently dropped."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown key(s) {sorted(unknown)}")
    return cls(**{name: _value(hints[name], value) for name, value in data.items()})


def _value(hint, value):
    """Convert a TOML value to what the field's type hint asks for."""
    if isinstance(hint, types.UnionType):  # X | None
        hint = next(h for h in typing.get_args(hint) if h is not type(None))
    if is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value)
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        return [_value(item, v) for v in value]
    return value
