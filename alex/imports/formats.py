"""Reading another tool's board export into one plain shape (SourceBoard), refusing what is not one.

Where each format is documented (the fixtures in tests/fixtures/imports/ follow these):
- Trello: the board's "Export as JSON" (menu → Print, export and share), the same objects as the
  REST API's board, list, card and checklist resources (developer.atlassian.com/cloud/trello/
  guides/rest-api/object-definitions/): top-level `lists` (id, name, closed, pos), `cards` (name,
  desc, idList, closed, due, pos, idMembers, idLabels, badges.attachments/comments) and
  `checklists` (idCard, checkItems with name, state "complete"/"incomplete", pos). The field
  names were checked against the trello.js API library's Card and Checklist models.
- Nextcloud Deck: the REST API's `GET /index.php/apps/deck/api/v1.0/boards/{boardId}/stacks`
  (deck.readthedocs.io/en/latest/API/): a list of stacks (title, order, deletedAt, cards with
  title, description, duedate, archived, deletedAt, order, labels, assignedUsers,
  attachmentCount, commentsCount). A board object with `stacks` (the board endpoint's shape) is
  read too. Deck keeps checklists as Markdown task lines ("- [ ] …") in the description.
- Planka: the REST API's `GET /api/boards/{id}` (server/api/controllers/boards/show.js in
  plankanban/planka): `item` (the board) and `included` with `lists` (id, name, position, v2:
  type "active"/"closed"/"archive"/"trash"), `cards` (id, listId, name, description, dueDate,
  position), `tasks` (cardId — or taskListId with `taskLists` in v2 — name, isCompleted,
  position), `attachments`, `cardMemberships`, `cardLabels`.
- Kanboard: the project's CSV task export (app/Export/TaskExport.php in kanboard/kanboard): a
  header row "Task Id, Project, Status, Category, Swimlane, Column, Position, Color, Due date,
  Creator, Assignee Username, Assignee Name, Complexity, Title, Creation date, …, Reference".
  It carries no description; a "Description" column (some exports add one) is read when present.
  Headers are in the exporting person's language: English and German are recognised.

Only plain JSON or CSV is accepted: ZIP and gzip files are refused (no archive is ever unpacked).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field

from flask_babel import lazy_gettext as _l

from alex.boards.models import TEXT_MAX, TITLE_MAX
from alex.boards.service import CHECKLIST_MAX

FORMATS = ("trello", "deck", "planka", "kanboard")
FORMAT_NAMES = {
    "trello": "Trello",
    "deck": "Nextcloud Deck",
    "planka": "Planka",
    "kanboard": "Kanboard",
}
MAX_DEPTH = 12  # the formats above nest 5 levels at most
MAX_LISTS = 100
DUE_RAW_MAX = 40
# What a board elsewhere has and ALEx does not take: counted for the preview.
LEFT_OUT = ("attachments", "members", "comments", "labels")


class ImportRefused(Exception):
    """The file cannot be imported; the message (translated) tells the person why and what to do."""


@dataclass
class SourceCard:
    """One card as the other tool had it, cut to what ALEx keeps."""

    title: str
    notes: str = ""
    due: str = ""  # an ISO date (YYYY-MM-DD) or, when unreadable, the tool's own text
    checklist: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class SourceList:
    """A list (stack, column) with its open cards in their order."""

    name: str
    cards: list[SourceCard] = field(default_factory=list)
    kind: str = ""  # Planka's list type ("closed" is a done list)


@dataclass
class SourceBoard:
    """A board read from a file: its lists, and what did not come along."""

    format: str
    name: str
    lists: list[SourceList]
    archived: int = 0  # archived or deleted cards and lists' cards skipped
    shortened: int = 0  # texts cut to ALEx's limits
    left_out: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEFT_OUT, 0))

    @property
    def card_count(self) -> int:
        return sum(len(source.cards) for source in self.lists)

    def to_json(self) -> dict:
        """A plain dict for the stored preview."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SourceBoard:
        """The board back from a stored preview (written by to_json, never by a user)."""
        lists = [
            SourceList(
                name=item["name"],
                kind=item.get("kind", ""),
                cards=[
                    SourceCard(
                        title=card["title"],
                        notes=card["notes"],
                        due=card["due"],
                        checklist=[(text, bool(done)) for text, done in card["checklist"]],
                    )
                    for card in item["cards"]
                ],
            )
            for item in data["lists"]
        ]
        return cls(
            format=data["format"],
            name=data["name"],
            lists=lists,
            archived=data["archived"],
            shortened=data["shortened"],
            left_out=data["left_out"],
        )


UNKNOWN_FORMAT = _l(
    "ALEx cannot tell which tool this file comes from. Please choose the tool under “Format”, "
    "or upload a Trello or Planka JSON, a Nextcloud Deck JSON or a Kanboard CSV."
)


def _wrong(tool: str) -> ImportRefused:
    """The file is JSON or CSV, but not shaped like the tool's export."""
    return ImportRefused(
        _l(
            "This file does not look like a %(tool)s board export. Please export the board "
            "again and upload that file unchanged.",
            tool=FORMAT_NAMES[tool],
        )
    )


def read_board(raw: bytes, chosen: str, *, max_bytes: int, max_cards: int) -> SourceBoard:
    """The board in an uploaded file; `chosen` is a format or "auto". Raises ImportRefused."""
    if not raw.strip():
        raise ImportRefused(_l("The file is empty."))
    if len(raw) > max_bytes:
        raise ImportRefused(_l("The file is larger than %(size)s MB.", size=_megabytes(max_bytes)))
    if raw.startswith((b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")):
        raise ImportRefused(
            _l("ALEx does not unpack archives. Please upload the JSON or CSV file itself.")
        )
    text = _decode(raw)
    if chosen == "auto":
        board = _read_detected(text)
    elif chosen == "kanboard":
        board = _read_kanboard(text)
    else:
        board = _READERS[chosen](_load_json(text, chosen))
    if len(board.lists) > MAX_LISTS:
        raise ImportRefused(_l("The board has more than %(max)d lists.", max=MAX_LISTS))
    if board.card_count > max_cards:
        raise ImportRefused(
            _l(
                "The board has %(count)d open cards; ALEx imports at most %(max)d at once.",
                count=board.card_count,
                max=max_cards,
            )
        )
    if board.card_count == 0:
        raise ImportRefused(_l("The file holds no open card to import."))
    return board


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _decode(raw: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped); UTF-16 with its mark is read too; nothing else."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            _l(
                "The file is not in UTF-8. Please export it again (the tools above all write "
                "UTF-8) or save it as UTF-8 first."
            )
        ) from None
    if "\x00" in text:
        raise ImportRefused(_l("The file holds binary data, not JSON or CSV."))
    return text


def _read_detected(text: str) -> SourceBoard:
    """Tell the format by its shape: JSON objects by their keys, otherwise Kanboard's CSV."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return _read_kanboard(text)
    data = _load_json(text, None)
    if isinstance(data, dict) and isinstance(data.get("included"), dict) and "item" in data:
        return _read_planka(data)
    if isinstance(data, dict) and isinstance(data.get("cards"), list) and "lists" in data:
        return _read_trello(data)
    if isinstance(data, list | dict) and _looks_like_deck(data):
        return _read_deck(data)
    raise ImportRefused(UNKNOWN_FORMAT)


def _load_json(text: str, tool: str | None) -> object:
    """Parse JSON, refusing what is malformed, too deep, or numbers JSON does not have."""

    def no_constant(name: str) -> object:
        raise ValueError(name)

    try:
        data = json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise ImportRefused(_l("The file is nested too deeply to be a board export.")) from None
    except ValueError:
        if tool is None:
            raise ImportRefused(UNKNOWN_FORMAT) from None
        raise ImportRefused(
            _l("The file is not valid JSON. Please export the board again and upload it unchanged.")
        ) from None
    if _depth(data) > MAX_DEPTH:
        raise ImportRefused(_l("The file is nested too deeply to be a board export."))
    return data


def _depth(data: object) -> int:
    """How deeply lists and objects nest (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            values = item.values()
        elif isinstance(item, list):
            values = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((value, level + 1) for value in values)
    return deepest


class _Cutter:
    """Cleans texts to ALEx's limits and counts what had to be shortened."""

    def __init__(self) -> None:
        self.shortened = 0

    def title(self, value: object, fallback: str) -> str:
        text = _clean(_as_text(value), keep_lines=False)
        if len(text) > TITLE_MAX:
            self.shortened += 1
            text = text[: TITLE_MAX - 1].rstrip() + "…"
        return text or fallback

    def notes(self, value: object) -> str:
        text = _clean(_as_text(value), keep_lines=True)
        if len(text) > TEXT_MAX - 200:  # room for the due line
            self.shortened += 1
            text = text[: TEXT_MAX - 201].rstrip() + "…"
        return text

    def checklist(self, items: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
        kept = [(self.title(text, ""), done) for text, done in items]
        kept = [(text, done) for text, done in kept if text]
        if len(kept) > CHECKLIST_MAX:
            self.shortened += 1
            kept = kept[:CHECKLIST_MAX]
        return kept


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _clean(text: str, *, keep_lines: bool) -> str:
    """Normalised Unicode without control or direction-override characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    if not keep_lines:
        text = " ".join(text.split())
    return text.strip()


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _due(value: object) -> str:
    """A due date as YYYY-MM-DD where readable; otherwise the tool's own short text."""
    if value in (None, "", 0, "0"):
        return ""
    text = _clean(_as_text(value), keep_lines=False)
    if match := _ISO_DATE.match(text):
        return "-".join(match.groups())
    if match := _DOTTED_DATE.match(text):
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text[:DUE_RAW_MAX]


def _position(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _records(data: dict, key: str, tool: str) -> list[dict]:
    """A list of objects under `key` (missing: empty), refusing any other shape."""
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _wrong(tool)
    return items


def _untitled() -> str:
    return str(_l("Untitled card"))


def _read_trello(data: object) -> SourceBoard:
    """Trello's board JSON: lists, cards and checklists side by side, linked by ids."""
    if not isinstance(data, dict) or not isinstance(data.get("lists"), list):
        raise _wrong("trello")
    lists = _records(data, "lists", "trello")
    cards = _records(data, "cards", "trello")
    checklists = _records(data, "checklists", "trello")
    cut, board = _Cutter(), SourceBoard("trello", "", [])
    board.name = cut.title(data.get("name"), "Trello")
    items_of: dict[object, list[tuple[float, str, bool]]] = {}
    for checklist in checklists:
        check_items = checklist.get("checkItems") or []
        if not isinstance(check_items, list):
            raise _wrong("trello")
        for item in check_items:
            if not isinstance(item, dict):
                raise _wrong("trello")
            items_of.setdefault(checklist.get("idCard"), []).append(
                (
                    _position(item.get("pos")),
                    _as_text(item.get("name")),
                    item.get("state") == "complete",
                )
            )
    actions = _records(data, "actions", "trello")
    board.left_out["comments"] += sum(1 for a in actions if a.get("type") == "commentCard")
    open_lists = {}
    for source in sorted(lists, key=lambda item: _position(item.get("pos"))):
        if source.get("closed") is True:
            continue
        open_lists[source.get("id")] = SourceList(cut.title(source.get("name"), "?"))
    for card in sorted(cards, key=lambda item: _position(item.get("pos"))):
        target = open_lists.get(card.get("idList"))
        if card.get("closed") is True or target is None:
            board.archived += 1
            continue
        badges = card.get("badges") if isinstance(card.get("badges"), dict) else {}
        attachments = card.get("attachments")
        board.left_out["attachments"] += (
            len(attachments) if isinstance(attachments, list) else _count(badges.get("attachments"))
        )
        if not actions:
            board.left_out["comments"] += _count(badges.get("comments"))
        board.left_out["members"] += _count(card.get("idMembers"))
        board.left_out["labels"] += _count(card.get("idLabels") or card.get("labels"))
        items = sorted(items_of.get(card.get("id"), []), key=lambda item: item[0])
        target.cards.append(
            SourceCard(
                title=cut.title(card.get("name"), _untitled()),
                notes=cut.notes(card.get("desc")),
                due=_due(card.get("due")),
                checklist=cut.checklist([(text, done) for _, text, done in items]),
            )
        )
    board.lists = list(open_lists.values())
    board.shortened = cut.shortened
    return board


def _count(value: object) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    return 0


def _looks_like_deck(data: object) -> bool:
    stacks = data.get("stacks") if isinstance(data, dict) else data
    return (
        isinstance(stacks, list)
        and bool(stacks)
        and all(isinstance(stack, dict) and "title" in stack for stack in stacks)
    )


_TASK_LINE = re.compile(r"^\s*[-*+] \[( |x|X)\] (.+)$")


def _split_tasks(description: str) -> tuple[str, list[tuple[str, bool]]]:
    """Deck's Markdown task lines become a checklist; the rest stays the description."""
    kept, tasks = [], []
    for line in description.split("\n"):
        if match := _TASK_LINE.match(line):
            tasks.append((match.group(2), match.group(1) != " "))
        else:
            kept.append(line)
    return "\n".join(kept).strip(), tasks


def _read_deck(data: object) -> SourceBoard:
    """Deck's stacks with their cards (a board object with `stacks` is read too)."""
    name = data.get("title") if isinstance(data, dict) else None
    stacks = data.get("stacks") if isinstance(data, dict) else data
    if not isinstance(stacks, list) or not all(isinstance(stack, dict) for stack in stacks):
        raise _wrong("deck")
    cut, board = _Cutter(), SourceBoard("deck", "", [])
    board.name = cut.title(name, "Nextcloud Deck")
    for stack in sorted(stacks, key=lambda item: _position(item.get("order"))):
        if "title" not in stack:
            raise _wrong("deck")
        cards = _records(stack, "cards", "deck")
        if stack.get("deletedAt") not in (None, 0):
            board.archived += len(cards)
            continue
        target = SourceList(cut.title(stack.get("title"), "?"))
        for card in sorted(cards, key=lambda item: _position(item.get("order"))):
            if card.get("archived") is True or card.get("deletedAt") not in (None, 0):
                board.archived += 1
                continue
            board.left_out["attachments"] += _count(card.get("attachmentCount"))
            board.left_out["comments"] += _count(card.get("commentsCount"))
            board.left_out["members"] += _count(card.get("assignedUsers"))
            board.left_out["labels"] += _count(card.get("labels"))
            notes, tasks = _split_tasks(_clean(_as_text(card.get("description")), keep_lines=True))
            target.cards.append(
                SourceCard(
                    title=cut.title(card.get("title"), _untitled()),
                    notes=cut.notes(notes),
                    due=_due(card.get("duedate")),
                    checklist=cut.checklist(tasks),
                )
            )
        board.lists.append(target)
    board.shortened = cut.shortened
    return board


def _read_planka(data: object) -> SourceBoard:
    """Planka's board answer: the board as `item`, lists, cards and tasks under `included`."""
    if not isinstance(data, dict) or not isinstance(data.get("included"), dict):
        raise _wrong("planka")
    included = data["included"]
    item = data.get("item") if isinstance(data.get("item"), dict) else {}
    lists = _records(included, "lists", "planka")
    cards = _records(included, "cards", "planka")
    tasks = _records(included, "tasks", "planka")
    task_lists = {t.get("id"): t.get("cardId") for t in _records(included, "taskLists", "planka")}
    cut, board = _Cutter(), SourceBoard("planka", "", [])
    board.name = cut.title(item.get("name"), "Planka")
    tasks_of: dict[object, list[tuple[float, str, bool]]] = {}
    for task in tasks:
        card_id = task.get("cardId", task_lists.get(task.get("taskListId")))
        tasks_of.setdefault(card_id, []).append(
            (
                _position(task.get("position")),
                _as_text(task.get("name")),
                task.get("isCompleted") is True,
            )
        )
    for key, kind in (
        ("attachments", "attachments"),
        ("cardMemberships", "members"),
        ("cardLabels", "labels"),
    ):
        board.left_out[kind] += len(_records(included, key, "planka"))
    open_lists = {}
    for source in sorted(lists, key=lambda entry: _position(entry.get("position"))):
        kind = _as_text(source.get("type"))
        if kind in ("archive", "trash"):
            continue
        if kind in ("", "active", "closed"):
            open_lists[source.get("id")] = SourceList(cut.title(source.get("name"), "?"), kind=kind)
    for card in sorted(cards, key=lambda entry: _position(entry.get("position"))):
        target = open_lists.get(card.get("listId"))
        if target is None:
            board.archived += 1
            continue
        board.left_out["comments"] += _count(card.get("commentsTotal"))
        items = sorted(tasks_of.get(card.get("id"), []), key=lambda entry: entry[0])
        target.cards.append(
            SourceCard(
                title=cut.title(card.get("name"), _untitled()),
                notes=cut.notes(card.get("description")),
                due=_due(card.get("dueDate")),
                checklist=cut.checklist([(text, done) for _, text, done in items]),
            )
        )
    board.lists = list(open_lists.values())
    board.shortened = cut.shortened
    return board


# Kanboard writes its CSV headers in the exporting person's language.
_KANBOARD_HEADERS = {
    "title": ("title", "titel"),
    "column": ("column", "spalte"),
    "status": ("status",),
    "position": ("position",),
    "due": ("due date", "fälligkeitsdatum", "ablaufdatum", "fällig am"),
    "description": ("description", "beschreibung"),
    "assignee": ("assignee username", "assignee name", "zuständiger benutzername", "zuständig"),
    "category": ("category", "kategorie"),
}
_CLOSED = {"closed", "geschlossen", "erledigt"}


def _read_kanboard(text: str) -> SourceBoard:
    """Kanboard's task export: one row per task, the column by name."""
    lines = text.split("\n", 1)
    header_line = lines[0]
    delimiter = max(",;\t", key=header_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        raise ImportRefused(
            _l("The CSV file is malformed or holds a field that is too long to be a task.")
        ) from None
    if not rows:
        raise _wrong("kanboard")
    names = [_clean(name, keep_lines=False).lower() for name in rows[0]]
    where = {
        key: next((names.index(alias) for alias in aliases if alias in names), None)
        for key, aliases in _KANBOARD_HEADERS.items()
    }
    if where["title"] is None or where["column"] is None:
        raise _wrong("kanboard")
    cut, board = _Cutter(), SourceBoard("kanboard", "Kanboard", [])
    by_column: dict[str, SourceList] = {}
    placed: dict[str, list[tuple[float, int, SourceCard]]] = {}

    def cell(row: list[str], key: str) -> str:
        index = where[key]
        return row[index] if index is not None and index < len(row) else ""

    for number, row in enumerate(rows[1:]):
        if not any(value.strip() for value in row):
            continue
        if cell(row, "status").strip().lower() in _CLOSED:
            board.archived += 1
            continue
        column = cut.title(cell(row, "column"), "?")
        if column not in by_column:
            by_column[column] = SourceList(column)
            placed[column] = []
        board.left_out["members"] += 1 if cell(row, "assignee").strip() else 0
        board.left_out["labels"] += 1 if cell(row, "category").strip() else 0
        card = SourceCard(
            title=cut.title(cell(row, "title"), _untitled()),
            notes=cut.notes(cell(row, "description")),
            due=_due(cell(row, "due")),
        )
        placed[column].append((_position(cell(row, "position")), number, card))
    for column, source in by_column.items():
        source.cards = [card for _, _, card in sorted(placed[column], key=lambda e: e[:2])]
    board.lists = list(by_column.values())
    board.shortened = cut.shortened
    return board


_READERS = {"trello": _read_trello, "deck": _read_deck, "planka": _read_planka}
