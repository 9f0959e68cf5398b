"""The Lernbericht as plain data: composed from what is already in the app, then rendered.

Loading takes a fixed number of queries whatever the expedition's size; the renderers (HTML,
PDF, Markdown) only read these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from alex.auth.models import User
from alex.boards.models import Card, CheckIn, SprintReflection, Vorhaben
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import expedition_end, sprint_calendar
from alex.exports.models import FinalReflection, ReportSelection

# Sections a participant can leave out; the cover is always there.
SECTIONS = (
    "vorhaben",
    "sprints",
    "confidence",
    "checkins",
    "retro_actions",
    "kudos",
    "reflection",
    "signature",
)
CHECKIN_HIGHLIGHTS = 12  # the most recent check-ins with a "learned" answer


@dataclass(frozen=True)
class VorhabenText:
    """The Vorhaben canvas at one point in time."""

    what: str
    why: str
    success_signs: str
    support_needed: str
    first_steps: str
    at: datetime | None = None  # when this text was written over (history) or last saved
    reason: str = ""  # why it was changed afterwards


@dataclass(frozen=True)
class ReportCard:
    """A card worth reporting: done, an experiment, or one with a learning."""

    id: int
    title: str
    notes: str
    kind: str
    column: str
    sprint_number: int | None
    visibility: str
    hypothesis: str
    result: str
    learning: str
    done_at: datetime | None
    included: bool = True

    @property
    def is_experiment(self) -> bool:
        return self.kind == "experiment"


@dataclass
class SprintSection:
    """One sprint in the report: focus, what got done, experiments, self-assessment."""

    number: int
    start: date
    end: date
    focus: str = ""
    confidence: int | None = None
    assessment: str = ""
    cards: list[ReportCard] = field(default_factory=list)

    @property
    def done(self) -> list[ReportCard]:
        return [c for c in self.cards if c.included and not c.is_experiment and c.column == "done"]

    @property
    def learned(self) -> list[ReportCard]:
        return [
            c
            for c in self.cards
            if c.included and not c.is_experiment and c.column != "done" and c.learning
        ]

    @property
    def experiments(self) -> list[ReportCard]:
        return [c for c in self.cards if c.included and c.is_experiment]

    @property
    def is_empty(self) -> bool:
        return not (
            self.focus
            or self.confidence
            or self.assessment
            or self.done
            or self.learned
            or self.experiments
        )


@dataclass(frozen=True)
class CheckInHighlight:
    """A Logbuch entry that says what was learned."""

    created_at: datetime
    learned: str
    done: str


@dataclass(frozen=True)
class RetroAction:
    """A retro action someone owned and what came of it (filled in by the meetings area)."""

    text: str
    meeting_date: date | None
    outcome: str


@dataclass(frozen=True)
class Kudos:
    """Rückenwind received (filled in by the progress area)."""

    author: str
    text: str
    created_at: datetime | None


@dataclass(frozen=True)
class Reflection:
    """The final reflection's answers."""

    vorhaben_now: str
    learned: str
    keep_doing: str
    advice: str


@dataclass
class Report:
    """Everything the Lernbericht shows, with the person's choices applied."""

    expedition_id: int
    expedition_title: str
    person_name: str
    period_start: date
    period_end: date
    generated_on: date
    zirkel_names: list[str]
    included_sections: set[str]
    vorhaben_start: VorhabenText | None
    vorhaben_now: VorhabenText | None
    vorhaben_history: list[VorhabenText]
    sprints: list[SprintSection]
    checkins: list[CheckInHighlight]
    retro_actions: list[RetroAction]
    kudos: list[Kudos]
    reflection: Reflection | None
    candidate_cards: list[ReportCard]  # every card the preview offers to include

    def shows(self, section: str) -> bool:
        """Whether the person chose to include a section."""
        return section in self.included_sections

    @property
    def confidence(self) -> list[tuple[int, int]]:
        """(sprint number, confidence 1–10) for every sprint that has one."""
        return [(s.number, s.confidence) for s in self.sprints if s.confidence]


def retro_actions(
    session: Session, expedition_id: int, owner_id: int | None = None
) -> list[RetroAction]:
    """Retro actions of the expedition (or of one owner) with what came of them, oldest first."""
    from alex.meetings.models import Meeting
    from alex.meetings.models import RetroAction as ActionRow
    from alex.meetings.state import OUTCOME_LABELS

    query = (
        select(ActionRow, Meeting.starts_at)
        .join(Meeting, Meeting.id == ActionRow.meeting_id)
        .where(Meeting.expedition_id == expedition_id)
        .order_by(Meeting.starts_at, ActionRow.id)
    )
    if owner_id is not None:
        query = query.where(ActionRow.owner_id == owner_id)
    actions = []
    for action, starts_at in session.execute(query):
        outcome = str(OUTCOME_LABELS[action.outcome]) if action.outcome in OUTCOME_LABELS else ""
        if action.outcome_note:
            outcome = f"{outcome} – {action.outcome_note}" if outcome else action.outcome_note
        actions.append(RetroAction(action.title, starts_at.date(), outcome))
    return actions


def retro_actions_owned(session: Session, expedition_id: int, user_id: int) -> list[RetroAction]:
    """Retro actions this person owned and what came of them."""
    return retro_actions(session, expedition_id, user_id)


def kudos_received(session: Session, expedition_id: int, user_id: int) -> list[Kudos]:
    """Rückenwind this person received; a sender who deleted their account stays unnamed."""
    from alex.progress.labels import kudos_text
    from alex.progress.models import Kudos as KudosRow

    rows = session.execute(
        select(KudosRow, User.name)
        .outerjoin(User, User.id == KudosRow.sender_id)
        .where(KudosRow.expedition_id == expedition_id, KudosRow.receiver_id == user_id)
        .order_by(KudosRow.created_at)
    )
    # The label and note read as on the Zirkel page (one wording for both).
    return [Kudos(sender or "–", kudos_text(k.kind, k.note), k.created_at) for k, sender in rows]


def _vorhaben_text(source, at: datetime | None = None, reason: str = "") -> VorhabenText:
    return VorhabenText(
        what=source.what,
        why=source.why,
        success_signs=source.success_signs,
        support_needed=source.support_needed,
        first_steps=source.first_steps,
        at=at,
        reason=reason,
    )


def _vorhaben_parts(
    vorhaben: Vorhaben | None,
) -> tuple[VorhabenText | None, VorhabenText | None, list[VorhabenText]]:
    """Start, now and the history in between (each version holds the text before an edit)."""
    if vorhaben is None:
        return None, None, []
    now = _vorhaben_text(vorhaben, vorhaben.updated_at)
    history = [_vorhaben_text(v, v.created_at, v.reason) for v in vorhaben.versions]
    return (history[0] if history else now), now, history


def _done_at(card: Card) -> tuple[datetime | None, int | None]:
    """When the card last reached "done", and in which sprint."""
    for move in reversed(card.moves):
        if move.to_column == "done":
            return move.moved_at, move.sprint_number
    return None, None


def _report_card(card: Card, excluded: set[int]) -> ReportCard | None:
    """The card as the report sees it, or None when there is nothing to report about it."""
    done_at, done_sprint = _done_at(card) if card.column == "done" else (None, None)
    # An experiment counts once it is under way or has something written; one merely planned for
    # a later sprint would print as an empty form.
    tried = card.column in ("doing", "learning") or bool(
        card.hypothesis.strip() or card.result.strip()
    )
    worth_it = (
        card.column == "done"
        or (card.kind == "experiment" and tried)
        or bool(card.learning.strip())
    )
    if not worth_it:
        return None
    return ReportCard(
        id=card.id,
        title=card.title,
        notes=card.notes,
        kind=card.kind,
        column=card.column,
        sprint_number=done_sprint or card.sprint_number,
        visibility=card.visibility,
        hypothesis=card.hypothesis,
        result=card.result,
        learning=card.learning,
        done_at=done_at,
        included=card.id not in excluded,
    )


def load_selection(session: Session, expedition_id: int, user_id: int) -> ReportSelection | None:
    """The person's saved choices, if any."""
    return session.scalar(
        select(ReportSelection).where(
            ReportSelection.expedition_id == expedition_id, ReportSelection.user_id == user_id
        )
    )


def load_reflection(session: Session, expedition_id: int, user_id: int) -> FinalReflection | None:
    """The person's final reflection, if written."""
    return session.scalar(
        select(FinalReflection).where(
            FinalReflection.expedition_id == expedition_id, FinalReflection.user_id == user_id
        )
    )


def named_members(session: Session, expedition_id: int, except_user_id: int) -> list[str]:
    """Names of the other members who agreed to be named in Lernberichte."""
    return list(
        session.scalars(
            select(User.name)
            .join(Membership, Membership.user_id == User.id)
            .join(
                FinalReflection,
                (FinalReflection.user_id == User.id)
                & (FinalReflection.expedition_id == Membership.expedition_id),
            )
            .where(
                Membership.expedition_id == expedition_id,
                User.id != except_user_id,
                FinalReflection.named_in_reports.is_(True),
            )
            .order_by(User.name)
        )
    )


def compose_report(
    session: Session, expedition: Expedition, user: User, today: date, apply_selection: bool = True
) -> Report:
    """Build the Lernbericht of one participant (a fixed number of queries)."""
    selection = load_selection(session, expedition.id, user.id) if apply_selection else None
    excluded_sections = set(selection.excluded_sections) if selection else set()
    excluded_cards = set(selection.excluded_card_ids) if selection else set()

    vorhaben = session.scalar(
        select(Vorhaben)
        .options(selectinload(Vorhaben.versions))  # the history in one more query
        .where(Vorhaben.expedition_id == expedition.id, Vorhaben.user_id == user.id)
    )
    cards = session.scalars(
        select(Card)
        .options(selectinload(Card.moves))  # "done" dates for all cards in one more query
        .where(Card.expedition_id == expedition.id, Card.owner_id == user.id)
        .order_by(Card.sprint_number, Card.id)
    ).all()
    reflections = {
        r.sprint_number: r
        for r in session.scalars(
            select(SprintReflection).where(
                SprintReflection.expedition_id == expedition.id,
                SprintReflection.user_id == user.id,
            )
        )
    }
    checkins = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.expedition_id == expedition.id,
            CheckIn.user_id == user.id,
            CheckIn.learned != "",
        )
        .order_by(CheckIn.created_at.desc())
        .limit(CHECKIN_HIGHLIGHTS)
    ).all()
    final = load_reflection(session, expedition.id, user.id)

    report_cards = [rc for c in cards if (rc := _report_card(c, excluded_cards))]
    sprints = []
    for sprint in sprint_calendar(expedition):
        note = reflections.get(sprint.number)
        sprints.append(
            SprintSection(
                number=sprint.number,
                start=sprint.start,
                end=sprint.end,
                focus=note.focus if note else "",
                confidence=note.confidence if note else None,
                assessment=note.assessment if note else "",
                cards=[c for c in report_cards if c.sprint_number == sprint.number],
            )
        )
    start, now, history = _vorhaben_parts(vorhaben)
    return Report(
        expedition_id=expedition.id,
        expedition_title=expedition.title,
        person_name=user.name,
        period_start=expedition.start_date,
        period_end=expedition_end(expedition),
        generated_on=today,
        zirkel_names=named_members(session, expedition.id, user.id),
        included_sections={s for s in SECTIONS if s not in excluded_sections},
        vorhaben_start=start,
        vorhaben_now=now,
        vorhaben_history=history,
        sprints=sprints,
        checkins=[CheckInHighlight(c.created_at, c.learned, c.done) for c in reversed(checkins)],
        retro_actions=retro_actions_owned(session, expedition.id, user.id),
        kudos=kudos_received(session, expedition.id, user.id),
        reflection=Reflection(final.vorhaben_now, final.learned, final.keep_doing, final.advice)
        if final
        else None,
        candidate_cards=[c for c in report_cards if c.sprint_number is not None],
    )
