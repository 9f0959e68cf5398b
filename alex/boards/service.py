"""Board domain functions. Take a session and plain values; never touch the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, insert, inspect, select, update
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from alex.auth.models import User
from alex.boards.models import (
    CARD_KINDS,
    COLUMNS,
    TITLE_MAX,
    VISIBILITIES,
    Card,
    CardMove,
    CheckIn,
    ChecklistItem,
    SprintReflection,
    Vorhaben,
    VorhabenVersion,
)
from alex.boards.revision import raise_board_revision
from alex.db import utcnow
from alex.events import publish
from alex.expeditions.models import Membership
from alex.notifications import notify_all

# Columns a card counts as "in the sprint" for; unfinished ones are offered for carry-over.
UNFINISHED = ("sprint", "doing", "learning")
CARRY_CHOICES = ("keep", "ideas", "drop")
VORHABEN_FIELDS = ("what", "why", "success_signs", "support_needed", "first_steps")
CHECKLIST_MAX = 50


class BoardError(Exception):
    """A board change that cannot go ahead; the message is shown to the user."""


class StaleCard(BoardError):
    """The card changed since the client saw it (another tab or device got there first)."""


def create_card(
    session: Session,
    expedition_id: int,
    owner_id: int,
    title: str,
    *,
    column: str = "ideas",
    kind: str = "task",
    sprint_number: int | None = None,
    visibility: str = "zirkel",
    notes: str = "",
    hypothesis: str = "",
) -> Card:
    """Add a card at the end of a column of the owner's board and record its creation as a move."""
    if column not in COLUMNS or kind not in CARD_KINDS or visibility not in VISIBILITIES:
        raise ValueError("unknown column, kind or visibility")
    title = title.strip()[:TITLE_MAX]
    session.flush()
    raise_board_revision(session, expedition_id, owner_id)  # the board's lock: one writer
    next_position = session.scalar(
        select(func.coalesce(func.max(Card.position) + 1, 0)).where(
            Card.expedition_id == expedition_id, Card.owner_id == owner_id, Card.column == column
        )
    )
    card = Card(
        expedition_id=expedition_id,
        owner_id=owner_id,
        title=title,
        column=column,
        position=next_position,
        kind=kind,
        sprint_number=sprint_number,
        visibility=visibility,
        notes=notes,
        hypothesis=hypothesis,
    )
    session.add(card)
    session.flush()
    session.add(
        CardMove(card_id=card.id, from_column=None, to_column=column, sprint_number=sprint_number)
    )
    return card


class CardRow(NamedTuple):
    """One card as a board shows it: what the board's SELECT reads and the renderer draws.

    Each field is the Card attribute of the same name (a column, or a hybrid such as
    has_learning), so adding a field to the board is one line here.
    """

    id: int
    title: str
    kind: str
    column: str
    version: int
    visibility: str
    sprint_number: int | None
    has_learning: bool

    @classmethod
    def of(cls, card: Card) -> CardRow:
        """The row of a loaded card (a move's answer redraws it without reading it again)."""
        return cls._make(getattr(card, name) for name in cls._fields)


@dataclass
class Board:
    """A person's cards by column, as a page shows them, with each card's checklist tally."""

    columns: dict[str, list[CardRow]] = field(default_factory=lambda: {c: [] for c in COLUMNS})
    checklists: dict[int, tuple[int, int]] = field(default_factory=dict)  # card id: (done, total)

    def count(self, column: str) -> int:
        return len(self.columns[column])

    @property
    def size(self) -> int:
        return sum(len(cards) for cards in self.columns.values())


def load_board(
    session: Session,
    expedition_id: int,
    owner_id: int,
    *,
    only_zirkel: bool = False,
    columns: tuple[str, ...] = COLUMNS,
) -> Board:
    """The owner's cards, by column and position; a peer sees only Zirkel cards.

    Two queries whatever the number of cards: the cards, and one grouped checklist tally
    (a selectinload would fetch every item and split into batches of 500 ids).
    """
    partial = columns != COLUMNS
    cards, tally = _board_statements(only_zirkel, partial)
    values: dict = {"expedition_id": expedition_id, "owner_id": owner_id}
    if partial:
        values["columns"] = list(columns)
    # Plain rows through the connection: no ORM objects to build for 1000 cards, and no ORM
    # execution layer (it cost more than the query itself). Pending changes go out first.
    session.flush()
    connection = session.connection()
    board = Board()
    # CardRows (plain tuples underneath): a reused board keeps them, and the garbage collector
    # skips tuples of plain values, where it would walk every Row at each pass.
    make_row = CardRow._make
    for card in connection.execute(cards, values):
        board.columns[card.column].append(make_row(card))
    board.checklists = {
        card_id: (done, total) for card_id, done, total in connection.execute(tally, values)
    }
    return board


@cache
def _board_statements(only_zirkel: bool, partial: bool):
    """The board's two statements, built once per kind: building them cost as much as running."""
    on_board = [
        Card.expedition_id == bindparam("expedition_id"),
        Card.owner_id == bindparam("owner_id"),
    ]
    if partial:  # a move's answer: only the changed columns
        on_board.append(Card.column.in_(bindparam("columns", expanding=True)))
    if only_zirkel:
        on_board.append(Card.visibility == "zirkel")
    # Only what a card on the board shows (CardRow's fields). Ordered as the board index
    # (owner, column, position) reads: no sort step for 1000 cards.
    cards = (
        select(*(getattr(Card, name).label(name) for name in CardRow._fields))
        .where(*on_board)
        .order_by(Card.column, Card.position, Card.id)
    )
    tally = (
        select(
            ChecklistItem.card_id,
            func.count(ChecklistItem.id).filter(ChecklistItem.done.is_(True)),
            func.count(ChecklistItem.id),
        )
        .join(Card, Card.id == ChecklistItem.card_id)
        .where(*on_board)
        .group_by(ChecklistItem.card_id)
    )
    return cards, tally


def checklist_tally(session: Session, card_id: int) -> tuple[int, int] | None:
    """(done, total) of the card's checklist, or None without one."""
    tally = session.connection().execute(_card_tally(), {"card_id": card_id}).first()
    return (tally[0], tally[1]) if tally and tally[1] else None


def card_below(session: Session, card: Card) -> int | None:
    """The id of the card right below this one in its column (None at the end)."""
    values = {"card_id": card.id, "position": card.position + 1}
    return session.connection().execute(_card_below(), values).scalar()


@cache
def _card_tally():
    return select(
        func.count(ChecklistItem.id).filter(ChecklistItem.done.is_(True)),
        func.count(ChecklistItem.id),
    ).where(ChecklistItem.card_id == bindparam("card_id"))


@cache
def _card_below():
    moved = aliased(Card)
    return select(Card.id).where(
        moved.id == bindparam("card_id"),
        Card.expedition_id == moved.expedition_id,
        Card.owner_id == moved.owner_id,
        Card.column == moved.column,
        Card.position == bindparam("position"),
    )


def column_counts(
    session: Session, expedition_id: int, owner_id: int, *, only_zirkel: bool = False
) -> dict[str, int]:
    """Number of cards per column (for the tabs), in one query."""
    values = {"expedition_id": expedition_id, "owner_id": owner_id}
    counts = dict.fromkeys(COLUMNS, 0)
    counts.update(session.connection().execute(_counts_statement(only_zirkel), values).all())
    return counts


@cache
def _counts_statement(only_zirkel: bool):
    """Built once per kind: a move's answer runs it."""
    query = (
        select(Card.column, func.count())
        .where(Card.expedition_id == bindparam("expedition_id"))
        .where(Card.owner_id == bindparam("owner_id"))
        .group_by(Card.column)
    )
    return query.where(Card.visibility == "zirkel") if only_zirkel else query


def next_column(column: str) -> str | None:
    """The column a one-tap "→" moves a card into, or None from Erledigt."""
    index = COLUMNS.index(column)
    return COLUMNS[index + 1] if index + 1 < len(COLUMNS) else None


@cache
def _move_statements():
    """A move's two shifts, built once (a move runs them).

    Parameters are b_-prefixed: UPDATE reserves the column names for its SET clause.
    """
    same_list = (
        Card.expedition_id == bindparam("b_expedition"),
        Card.owner_id == bindparam("b_owner"),
        Card.column == bindparam("in_column"),
    )
    others = Card.id != bindparam("b_card")
    # A neighbour that only shifts keeps its updated_at (the column's onupdate would set it):
    # nothing of it changed, and "recent learnings" on the Zirkel page go by it.
    unchanged = Card.updated_at
    close_gap = (  # the cards after `after` up to `upto` move up by one
        update(Card)
        .where(*same_list, others, Card.position > bindparam("after"))
        .where(Card.position <= bindparam("upto"))
        .values(position=Card.position - 1, updated_at=unchanged)
    )
    open_gap = (  # the cards from `start` to before `below` move down by one
        update(Card)
        .where(*same_list, others, Card.position >= bindparam("start"))
        .where(Card.position < bindparam("below"))
        .values(position=Card.position + 1, updated_at=unchanged)
    )
    return close_gap, open_gap


def _forget_shifted_positions(session: Session, card: Card) -> None:
    """Expire the position of every other loaded card on this board.

    The shifts are Core UPDATEs, which the identity map does not see: a card loaded before them
    (carry-over works through a list of them) would otherwise move or delete itself from its old
    place. Only a caller that holds such cards pays a reload; a single move holds none.
    """
    board = (card.expedition_id, card.owner_id)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Card) and obj is not card:
            state = inspect(obj).dict
            if (state.get("expedition_id"), state.get("owner_id")) == board:
                session.expire(obj, ["position"])


END = 2**31 - 1  # "to the end of the column" for the shifts' bounds
_CARD_FIELDS = (
    ("column", "b_column"),
    ("position", "b_position"),
    ("version", "b_new_version"),
    ("sprint_number", "b_sprint"),
    ("learning", "b_learning"),
    ("updated_at", "b_updated"),
)


@cache
def _card_move_statements():
    """The moved card's conditional UPDATE and its history row, built once."""
    update_card = (
        update(Card)
        .where(Card.id == bindparam("b_card"), Card.version == bindparam("b_version"))
        .values({attribute: bindparam(key) for attribute, key in _CARD_FIELDS})
    )
    return update_card, insert(CardMove)


@cache
def _place_statement():
    """Every column's count, and where the moved card stands now, in one statement."""
    return (
        select(
            Card.column,
            func.count(),
            func.max(case((Card.id == bindparam("card_id"), Card.position))),
        )
        .where(Card.expedition_id == bindparam("expedition_id"))
        .where(Card.owner_id == bindparam("owner_id"))
        .group_by(Card.column)
    )


@dataclass(frozen=True)
class Moved:
    """Where a move took the card, with every column's count after it."""

    origin: str
    counts: dict[str, int]


@dataclass(frozen=True)
class MoveResult:
    """Everything the answer to a move shows: the card at its new place and what changed."""

    card: CardRow
    tally: tuple[int, int] | None  # its checklist (done, total), None without one
    origin: str  # the column it came from
    position: int  # 0-based, in card.column
    successor: int | None  # the card now right below it (None at the end)
    counts: dict[str, int]  # every column's count after the move

    @property
    def changed_columns(self) -> tuple[str, ...]:
        """The columns whose heads and lists changed, in board order."""
        return tuple(c for c in COLUMNS if c in {self.origin, self.card.column})


def move_card(
    session: Session,
    card: Card,
    column: str,
    position: int | None,
    version: int,
    *,
    sprint_number: int | None,
    learning: str | None = None,
) -> MoveResult:
    """Move a card to a column and 0-based position (None: the end); what the answer shows."""
    moved = _move(session, card, column, position, version, sprint_number, learning)
    return MoveResult(
        card=CardRow.of(card),
        tally=checklist_tally(session, card.id),
        origin=moved.origin,
        position=card.position,
        successor=card_below(session, card),
        counts=moved.counts,
    )


def _move(
    session: Session,
    card: Card,
    column: str,
    position: int | None,
    version: int,
    sprint_number: int | None,
    learning: str | None,
) -> Moved:
    """The move itself, in a constant number of statements whatever the column's size.

    The board's revision is raised first: on PostgreSQL that UPDATE locks the owner's membership
    row, so two devices moving cards on one board take turns (SQLite's BEGIN IMMEDIATE already
    did). Only then are the counts and the card's place read, so they cannot be outdated by a
    move that commits in between. The neighbours' positions shift in two UPDATEs, and the card's
    own UPDATE is conditional on its version: a client that saw an older version gets StaleCard
    instead of overwriting what another device did.
    """
    if column not in COLUMNS:
        raise BoardError(_l("Please choose one of the board's columns."))
    if card.version != version:
        raise StaleCard(_l("This card was changed in the meantime. Here is the latest state."))
    session.flush()  # what is pending goes first: the statements below bypass autoflush
    raise_board_revision(session, card.expedition_id, card.owner_id)  # the board's lock
    # Core statements on the session's connection: none of the cards they touch is loaded, so
    # the ORM has nothing to synchronise (its bulk-update bookkeeping cost more than the SQL).
    connection = session.connection()
    counts = dict.fromkeys(COLUMNS, 0)
    origin, old_position = None, None
    place = {"expedition_id": card.expedition_id, "owner_id": card.owner_id, "card_id": card.id}
    for in_column, count, card_position in connection.execute(_place_statement(), place):
        counts[in_column] = count
        if card_position is not None:
            origin, old_position = in_column, card_position
    if origin is None:  # deleted on another device
        raise StaleCard(_l("This card was changed in the meantime. Here is the latest state."))
    count = counts[column]
    last = count - 1 if origin == column else count
    position = last if position is None else max(0, min(position, last))
    close_gap, open_gap = _move_statements()
    where = {"b_expedition": card.expedition_id, "b_owner": card.owner_id, "b_card": card.id}
    if origin != column:
        connection.execute(
            close_gap, {**where, "in_column": origin, "after": old_position, "upto": END}
        )
        connection.execute(
            open_gap, {**where, "in_column": column, "start": position, "below": END}
        )
    elif position > old_position:
        connection.execute(
            close_gap, {**where, "in_column": column, "after": old_position, "upto": position}
        )
    elif position < old_position:
        connection.execute(
            open_gap, {**where, "in_column": column, "start": position, "below": old_position}
        )
    _forget_shifted_positions(session, card)
    # The card's own UPDATE, conditional on the version, and its history row, as prebuilt Core
    # statements too (the unit of work for them cost as much as the rest of the move).
    values = {
        "b_card": card.id,
        "b_version": version,
        "b_column": column,
        "b_position": position,
        "b_new_version": version + 1,
        "b_sprint": sprint_number
        if column in UNFINISHED and card.sprint_number is None
        else card.sprint_number,
        "b_learning": learning.strip() if learning and learning.strip() else card.learning,
        "b_updated": utcnow(),
    }
    update_card, record_move = _card_move_statements()
    if connection.execute(update_card, values).rowcount != 1:
        raise StaleCard(_l("This card was changed in the meantime. Here is the latest state."))
    if origin != column:
        connection.execute(
            record_move,
            {
                "card_id": card.id,
                "from_column": origin,
                "to_column": column,
                "sprint_number": sprint_number,
                "moved_at": values["b_updated"],
            },
        )
    # The loaded card says what the row now says, without counting as changed.
    for attribute, key in _CARD_FIELDS:
        set_committed_value(card, attribute, values[key])
    if origin != column:
        counts[origin] -= 1
        counts[column] += 1
    return Moved(origin, counts)


@dataclass(frozen=True)
class CardChanges:
    """What an owner can change on a card (everything but its place)."""

    title: str
    notes: str = ""
    kind: str = "task"
    visibility: str = "zirkel"
    sprint_number: int | None = None
    hypothesis: str = ""
    result: str = ""
    learning: str = ""


def update_card(session: Session, card: Card, changes: CardChanges, version: int) -> None:
    """Save a card's fields; a stale version raises StaleCard instead of overwriting."""
    if card.version != version:
        raise StaleCard(_l("This card was changed in the meantime. Here is the latest state."))
    if changes.kind not in CARD_KINDS or changes.visibility not in VISIBILITIES:
        raise BoardError(_l("Please choose one of the offered options."))
    card.title = changes.title.strip()[:TITLE_MAX]
    card.notes = changes.notes.strip()
    card.kind = changes.kind
    card.visibility = changes.visibility
    card.sprint_number = changes.sprint_number
    card.hypothesis = changes.hypothesis.strip()
    card.result = changes.result.strip()
    card.learning = changes.learning.strip()
    session.flush()


def delete_card(session: Session, card: Card) -> None:
    """Remove a card; the cards below it move up."""
    session.flush()  # what is pending goes first: the statement below bypasses autoflush
    raise_board_revision(session, card.expedition_id, card.owner_id)  # the board's lock
    values = {"b_expedition": card.expedition_id, "b_owner": card.owner_id, "b_card": card.id}
    session.connection().execute(_close_gap_below(), values)
    _forget_shifted_positions(session, card)
    session.delete(card)
    try:
        session.flush()  # conditional on the version, like every change of a card
    except StaleDataError as gone:  # deleted or changed on another device meanwhile
        raise StaleCard(
            _l("This card was changed in the meantime. Here is the latest state.")
        ) from gone


@cache
def _close_gap_below():
    """The cards below a card move up by one; its place is read in the same statement, after
    the board's lock, so a move that committed in between cannot outdate it."""
    this = aliased(Card)
    where_it_is = select(this.column, this.position).where(this.id == bindparam("b_card"))
    return (
        update(Card)
        .where(
            Card.expedition_id == bindparam("b_expedition"),
            Card.owner_id == bindparam("b_owner"),
            Card.id != bindparam("b_card"),
            Card.column == where_it_is.with_only_columns(this.column).scalar_subquery(),
            Card.position > where_it_is.with_only_columns(this.position).scalar_subquery(),
        )
        .values(position=Card.position - 1, updated_at=Card.updated_at)
    )


def add_checklist_item(session: Session, card: Card, text: str) -> ChecklistItem:
    """Append a line to the card's checklist."""
    if len(card.checklist) >= CHECKLIST_MAX:
        raise BoardError(_l("A checklist holds at most %(max)d items.", max=CHECKLIST_MAX))
    item = ChecklistItem(text=text.strip()[:TITLE_MAX], position=len(card.checklist))
    card.checklist.append(item)
    session.flush()
    return item


def set_checklist_item(session: Session, item: ChecklistItem, done: bool) -> None:
    """Tick or untick a checklist line (idempotent, so two devices cannot fight over it)."""
    item.done = done
    session.flush()


def delete_checklist_item(session: Session, item: ChecklistItem) -> None:
    """Remove a checklist line (the card's loaded checklist loses it at once)."""
    item.card.checklist.remove(item)  # delete-orphan: the flush deletes the row
    session.flush()


def set_wip_limit(session: Session, membership: Membership, limit: int) -> None:
    """Set the soft limit for "In Arbeit" (it warns, never blocks)."""
    membership.wip_limit = limit
    session.flush()


def get_vorhaben(session: Session, expedition_id: int, user_id: int) -> Vorhaben | None:
    """The person's Vorhaben canvas with its history, if started."""
    return session.scalar(
        select(Vorhaben)
        .options(selectinload(Vorhaben.versions))  # the history is shown with the canvas
        .where(Vorhaben.expedition_id == expedition_id, Vorhaben.user_id == user_id)
    )


def save_vorhaben(
    session: Session,
    expedition_id: int,
    user_id: int,
    texts: dict[str, str],
    *,
    version: int | None,
    reason: str = "",
) -> Vorhaben:
    """Create or edit the canvas; an edit keeps the previous text with the reason given."""
    vorhaben = get_vorhaben(session, expedition_id, user_id)
    cleaned = {key: (texts.get(key) or "").strip() for key in VORHABEN_FIELDS}
    if vorhaben is None:
        vorhaben = Vorhaben(expedition_id=expedition_id, user_id=user_id, **cleaned)
        session.add(vorhaben)
        session.flush()
        return vorhaben
    if version != vorhaben.version:
        raise StaleCard(
            _l("Your Vorhaben was changed in the meantime (maybe on another device). Here it is.")
        )
    if all(getattr(vorhaben, key) == cleaned[key] for key in VORHABEN_FIELDS):
        return vorhaben
    vorhaben.versions.append(
        VorhabenVersion(
            reason=reason.strip(), **{key: getattr(vorhaben, key) for key in VORHABEN_FIELDS}
        )
    )
    for key, value in cleaned.items():
        setattr(vorhaben, key, value)
    session.flush()
    return vorhaben


@cache
def _focus_query():
    """Built once: every own board page shows the sprint focus."""
    return select(SprintReflection.focus).where(
        SprintReflection.expedition_id == bindparam("expedition_id"),
        SprintReflection.user_id == bindparam("user_id"),
        SprintReflection.sprint_number == bindparam("sprint_number"),
    )


def sprint_focus(session: Session, expedition_id: int, user_id: int, sprint_number: int) -> str:
    """The person's focus for a sprint ("" when none is set)."""
    values = {"expedition_id": expedition_id, "user_id": user_id, "sprint_number": sprint_number}
    return session.connection().execute(_focus_query(), values).scalar() or ""


def reflection(
    session: Session, expedition_id: int, user_id: int, sprint_number: int
) -> SprintReflection:
    """The person's focus and self-assessment for a sprint (created empty when missing)."""
    found = session.scalar(
        select(SprintReflection).where(
            SprintReflection.expedition_id == expedition_id,
            SprintReflection.user_id == user_id,
            SprintReflection.sprint_number == sprint_number,
        )
    )
    if found is None:
        found = SprintReflection(
            expedition_id=expedition_id,
            user_id=user_id,
            sprint_number=sprint_number,
            focus="",
            assessment="",
        )
    return found


def reflections(session: Session, expedition_id: int, user_id: int) -> list[SprintReflection]:
    """All of a person's sprint reflections, by sprint."""
    return list(
        session.scalars(
            select(SprintReflection)
            .where(
                SprintReflection.expedition_id == expedition_id,
                SprintReflection.user_id == user_id,
            )
            .order_by(SprintReflection.sprint_number)
        )
    )


def set_sprint_focus(
    session: Session, expedition_id: int, user_id: int, sprint_number: int, focus: str
) -> SprintReflection:
    """Set the one-sentence focus of a sprint."""
    item = reflection(session, expedition_id, user_id, sprint_number)
    item.focus = focus.strip()
    item.focus_set_at = utcnow()
    session.add(item)
    session.flush()
    return item


def assess_sprint(
    session: Session,
    expedition_id: int,
    user_id: int,
    sprint_number: int,
    confidence: int,
    sentence: str,
) -> SprintReflection:
    """Record the end-of-sprint self-assessment: confidence 1–10 and one sentence."""
    if not 1 <= confidence <= 10:
        raise BoardError(_l("Please choose a number from 1 to 10."))
    item = reflection(session, expedition_id, user_id, sprint_number)
    item.confidence = confidence
    item.assessment = sentence.strip()
    item.assessed_at = utcnow()
    session.add(item)
    session.flush()
    return item


def unfinished_cards(
    session: Session, expedition_id: int, owner_id: int, sprint_number: int
) -> list[Card]:
    """Cards of a sprint (or older) that are not done: what carry-over offers."""
    return list(
        session.scalars(
            select(Card)
            .where(
                Card.expedition_id == expedition_id,
                Card.owner_id == owner_id,
                Card.column.in_(UNFINISHED),
                (Card.sprint_number.is_(None)) | (Card.sprint_number <= sprint_number),
            )
            .order_by(Card.column, Card.position)
        )
    )


def carry_over(
    session: Session,
    expedition_id: int,
    owner_id: int,
    decisions: dict[int, str],
    next_sprint: int,
) -> dict[str, int]:
    """Apply the carry-over choices: keep (into the next sprint), back to Ideen, or drop."""
    if any(choice not in CARRY_CHOICES for choice in decisions.values()):
        raise BoardError(_l("Please choose keep, back to ideas or drop for each card."))
    cards = session.scalars(
        select(Card)
        .where(
            Card.expedition_id == expedition_id,
            Card.owner_id == owner_id,
            Card.id.in_(decisions),
        )
        .order_by(Card.column, Card.position)  # back to Ideen in the order they stood
    ).all()
    tally = dict.fromkeys(CARRY_CHOICES, 0)
    for card in cards:
        choice = decisions[card.id]
        tally[choice] += 1
        if choice == "keep":
            card.sprint_number = next_sprint
        elif choice == "ideas":
            _move(session, card, "ideas", None, card.version, next_sprint - 1, None)
            card.sprint_number = None
        else:
            delete_card(session, card)
    session.flush()
    return tally


def add_check_in(
    session: Session,
    expedition_id: int,
    user_id: int,
    *,
    done: str = "",
    learned: str = "",
    next_steps: str = "",
    stuck: str = "",
    needs_support: bool = False,
    visibility: str = "zirkel",
    link: str = "",
) -> CheckIn:
    """Write a Logbuch entry; at least one of the four prompts must be answered.

    A request for support shared with the Zirkel reaches the facilitators and the Zirkel (each
    as they chose in their notification settings); a private entry stays private.
    """
    texts = [t.strip() for t in (done, learned, next_steps, stuck)]
    if not any(texts):
        raise BoardError(_l("Write at least one line: done, learned, next or stuck."))
    if visibility not in VISIBILITIES:
        raise BoardError(_l("Please choose one of the offered options."))
    entry = CheckIn(
        expedition_id=expedition_id,
        user_id=user_id,
        done=texts[0],
        learned=texts[1],
        next=texts[2],
        stuck=texts[3],
        needs_support=needs_support,
        visibility=visibility,
    )
    session.add(entry)
    session.flush()
    if needs_support and visibility == "zirkel":
        notify_all(
            session,
            session.scalars(
                select(Membership.user_id).where(Membership.expedition_id == expedition_id)
            ),
            "support_requested",
            expedition_id=expedition_id,
            actor_id=user_id,
            subject=(texts[3] or texts[2] or texts[0] or texts[1])[:120],
            link=link,
        )
        # Who asks, never what they wrote: the entry's text stays in the app.
        author = session.get(User, user_id)
        publish(
            session,
            "support.requested",
            expedition_id,
            {"support": {"check_in_id": entry.id, "member": author.name if author else ""}},
        )
    return entry


def check_ins(
    session: Session, expedition_id: int, viewer_id: int, *, limit: int = 50
) -> list[CheckIn]:
    """The Logbuch as a member sees it: everyone's Zirkel entries and their own private ones."""
    return list(
        session.scalars(
            select(CheckIn)
            .where(
                CheckIn.expedition_id == expedition_id,
                (CheckIn.visibility == "zirkel") | (CheckIn.user_id == viewer_id),
            )
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
            .limit(limit)
        )
    )


def open_support_requests(session: Session, expedition_id: int) -> list[CheckIn]:
    """Zirkel entries that still ask for support (until their author clears them)."""
    return list(
        session.scalars(
            select(CheckIn)
            .where(
                CheckIn.expedition_id == expedition_id,
                CheckIn.visibility == "zirkel",
                CheckIn.needs_support.is_(True),
                CheckIn.support_cleared_at.is_(None),
            )
            .order_by(CheckIn.created_at)
        )
    )


def clear_support(session: Session, entry: CheckIn, when: datetime | None = None) -> None:
    """The author says the support request is settled."""
    entry.support_cleared_at = entry.support_cleared_at or when or utcnow()
    session.flush()
