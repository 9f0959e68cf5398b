"""Bringing a board from another tool onto a person's own ALEx board.

The upload is read once (alex.imports.formats) into a plain SourceBoard and kept as a pending
preview: a JSON file under the instance folder named by a random token, bound to the person and
the expedition, removed after the import and forgotten after PREVIEW_TTL. No table is needed, and
nothing of the upload reaches the database before the person confirms.

The import itself goes through the board's own service functions (create_card,
add_checklist_item), so positions, versions and the board revision are as for any new card, and
runs in the caller's one transaction: a failure halfway leaves the board as it was.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from alex.boards import service as boards
from alex.boards.models import COLUMNS, TEXT_MAX, ChecklistItem
from alex.imports.formats import ImportRefused, SourceBoard, SourceCard

SKIP = "skip"
CHOICES = (*COLUMNS, SKIP)
PREVIEW_TTL = 3600  # seconds a pending preview is kept
PREVIEW_CARDS = 3  # first cards shown per column in the preview
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

# Default column by the list's name (lower case); first a whole-name match, then a word in it.
_NAMES = {
    "ideas": (
        "to do", "todo", "to-do", "backlog", "ideen", "idee", "ideas", "idea", "offen", "open",
        "inbox", "eingang", "später", "later", "someday", "vielleicht", "maybe", "aufgaben",
    ),
    "sprint": (
        "this sprint", "diesen sprint", "sprint", "next", "als nächstes", "nächste", "ready",
        "bereit", "geplant", "planned", "this week", "diese woche", "heute", "today",
    ),
    "doing": (
        "doing", "in progress", "in arbeit", "wip", "work in progress", "in bearbeitung",
        "läuft", "aktiv", "active", "started", "begonnen", "ongoing",
    ),
    "learning": (
        "learning", "lernen", "gelernt", "review", "in review", "reflexion", "reflection",
        "testing", "test", "feedback", "prüfung", "überprüfen", "warten", "waiting",
    ),
    "done": (
        "done", "erledigt", "fertig", "closed", "abgeschlossen", "complete", "completed",
        "finished", "geschafft", "archiv",
    ),
}  # fmt: skip


def default_column(name: str, kind: str = "") -> str:
    """The ALEx column a list of this name goes to unless the person chooses otherwise."""
    if kind == "closed":  # Planka's done list
        return "done"
    words = " ".join(re.sub(r"[^\w\s-]", " ", name.lower()).split())
    for column, names in _NAMES.items():
        if words in names:
            return column
    for column, names in _NAMES.items():
        if any(re.search(rf"(^|\s){re.escape(n)}($|\s)", words) for n in names):
            return column
    return "ideas"


@dataclass(frozen=True)
class Plan:
    """Where each list goes and whether its cards are shared with the Zirkel (by list index)."""

    columns: tuple[str, ...]
    shared: frozenset[int] = frozenset()

    @classmethod
    def default(cls, board: SourceBoard) -> Plan:
        """Columns by name, every card private (privacy first)."""
        return cls(tuple(default_column(source.name, source.kind) for source in board.lists))


@dataclass(frozen=True)
class Preview:
    """What an import with a plan would bring: counts and first titles per column."""

    counts: dict[str, int]
    first: dict[str, list[str]]
    private: int
    shared: int
    checklist_items: int
    with_due: int

    @property
    def total(self) -> int:
        return self.private + self.shared


def preview(board: SourceBoard, plan: Plan) -> Preview:
    """Count what the plan imports per column (nothing is written)."""
    counts = dict.fromkeys(COLUMNS, 0)
    first: dict[str, list[str]] = {column: [] for column in COLUMNS}
    private = shared = items = due = 0
    for index, source in enumerate(board.lists):
        column = plan.columns[index]
        if column == SKIP:
            continue
        counts[column] += len(source.cards)
        room = PREVIEW_CARDS - len(first[column])
        first[column].extend(card.title for card in source.cards[: max(room, 0)])
        if index in plan.shared:
            shared += len(source.cards)
        else:
            private += len(source.cards)
        items += sum(len(card.checklist) for card in source.cards)
        due += sum(1 for card in source.cards if card.due)
    return Preview(counts, first, private, shared, items, due)


def card_notes(card: SourceCard) -> str:
    """The card's description with its due date as a last line ("Fällig: 12. März 2026")."""
    if not card.due:
        return card.notes
    try:
        shown = format_date(date.fromisoformat(card.due), "long")
    except ValueError:
        shown = card.due
    line = _("Due: %(date)s", date=shown)
    return f"{card.notes}\n\n{line}"[:TEXT_MAX] if card.notes else line


@dataclass(frozen=True)
class Imported:
    """What an import brought: cards per column."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def import_board(
    session: Session,
    expedition_id: int,
    owner_id: int,
    board: SourceBoard,
    plan: Plan,
    *,
    sprint_number: int,
) -> Imported:
    """Put the board's cards on the owner's board, list by list, in the caller's transaction.

    Each card is created through the board's create_card, so it lands at the end of its column
    with a creation move, under the board's lock. Imported history does not count as this
    sprint's progress on the Zirkel page: a card for "Lernen" or "Erledigt" is created without
    a sprint (the page counts moves into those columns by sprint). Cards in the sprint's
    columns belong to the current sprint, as if planned now.
    """
    if len(plan.columns) != len(board.lists) or any(c not in CHOICES for c in plan.columns):
        raise ImportRefused(_l("Please choose a column (or “Leave out”) for every list."))
    counts = dict.fromkeys(COLUMNS, 0)
    for index, source in enumerate(board.lists):
        column = plan.columns[index]
        if column == SKIP:
            continue
        visibility = "zirkel" if index in plan.shared else "private"
        # A move into "Diesen Sprint" or "In Arbeit" counts as nothing on the Zirkel page, so
        # those cards are created in the sprint; into "Lernen" it would count as learned now.
        created_in = sprint_number if column in ("sprint", "doing") else None
        for item in source.cards:
            card = boards.create_card(
                session,
                expedition_id,
                owner_id,
                item.title,
                column=column,
                visibility=visibility,
                notes=card_notes(item),
                sprint_number=created_in,
            )
            if column == "learning":
                card.sprint_number = sprint_number
            # A new card's checklist is empty (no query to find out); the lines go in with the
            # next flush, in one statement. The reader kept at most CHECKLIST_MAX lines.
            set_committed_value(card, "checklist", [])
            card.checklist.extend(
                ChecklistItem(text=text, done=done, position=position)
                for position, (text, done) in enumerate(item.checklist[: boards.CHECKLIST_MAX])
            )
            counts[column] += 1
    session.flush()
    return Imported(counts)


@dataclass(frozen=True)
class Pending:
    """A stored preview: whose it is and the board read from the upload."""

    token: str
    user_id: int
    expedition_id: int
    board: SourceBoard


def _folder(where: str) -> Path:
    folder = Path(where)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_pending(folder_path: str, user_id: int, expedition_id: int, board: SourceBoard) -> str:
    """Keep the read board until the person confirms; returns the preview's token.

    One pending preview per person: a new upload replaces the last one, so the folder holds at
    most one file (of at most ALEX_IMPORT_MAX_BYTES' worth) per person who uploaded in the hour.
    """
    folder = _folder(folder_path)
    _forget_stale(folder)
    for older in folder.glob(f"{user_id}-*.json"):
        older.unlink(missing_ok=True)
    token = secrets.token_urlsafe(32)
    payload = {
        "user_id": user_id,
        "expedition_id": expedition_id,
        "stored": time.time(),
        "board": board.to_json(),
    }
    partial = folder / f"{user_id}-{token}.part"
    partial.write_text(json.dumps(payload), encoding="utf-8")
    partial.replace(folder / f"{user_id}-{token}.json")  # whole or not at all
    return token


def load_pending(folder_path: str, token: str, user_id: int, expedition_id: int) -> Pending | None:
    """The person's stored preview for this expedition, or None (unknown, someone else's, old)."""
    if not _TOKEN.match(token or ""):
        return None
    path = _folder(folder_path) / f"{user_id}-{token}.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        payload.get("user_id") != user_id
        or payload.get("expedition_id") != expedition_id
        or time.time() - payload.get("stored", 0) > PREVIEW_TTL
    ):
        return None
    return Pending(token, user_id, expedition_id, SourceBoard.from_json(payload["board"]))


def claim_pending(pending: Pending, folder_path: str) -> Path | None:
    """Take the preview for one import (a second click or tab finds it gone); None if gone."""
    folder = _folder(folder_path)
    name = f"{pending.user_id}-{pending.token}"
    claimed = folder / f"{name}.{secrets.token_hex(8)}.claimed"
    try:
        (folder / f"{name}.json").rename(claimed)
    except OSError:
        return None
    return claimed


def release_pending(pending: Pending, folder_path: str, claimed: Path) -> None:
    """Give the preview back after a failed import, so the person can try again."""
    try:
        claimed.rename(_folder(folder_path) / f"{pending.user_id}-{pending.token}.json")
    except OSError:
        pass


def _forget_stale(folder: Path) -> None:
    """Remove previews (and claims) older than PREVIEW_TTL."""
    limit = time.time() - PREVIEW_TTL
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


def discard(path: Path) -> None:
    """Remove a claimed preview after its import committed."""
    try:
        os.unlink(path)
    except OSError:
        pass
