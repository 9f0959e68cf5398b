"""CSV downloads: my board, my Logbuch, and a meeting's actions and retro notes (facilitators).

Written for the spreadsheet programs people open them with (LibreOffice Calc, Excel):

- UTF-8 with a byte order mark, so Excel reads umlauts right instead of guessing a code page;
- ``;`` between cells when the person reads ALEx in German (German Excel splits on ``;``, the
  comma is the decimal sign there), ``,`` in English; CRLF line ends (RFC 4180);
- cells quoted by the `csv` module whenever they hold the separator, a quote or a line break;
- formula injection neutralised (OWASP "CSV Injection"): a cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so no spreadsheet runs it.

What goes in is what the person may see in the app, and less: the board and the Logbuch are
always the downloader's own (a facilitator gets no participant's cards); retro notes only once
revealed, and never with an author when the retro is anonymous.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from alex.boards.labels import COLUMN_LABELS
from alex.boards.models import COLUMNS, Card, CardMove, CheckIn
from alex.meetings.models import Meeting, Retro, RetroAction, RetroGroup, RetroItem, RetroVote
from alex.meetings.service import prompts_of

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIMETYPE = "text/csv"  # Flask adds "; charset=utf-8"


def separator_for(locale: str) -> str:
    """``;`` for German (what German spreadsheets split on), ``,`` otherwise."""
    return ";" if str(locale).lower().startswith("de") else ","


def neutralise(value: object) -> str:
    """One cell as text that no spreadsheet evaluates as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]], locale: str) -> bytes:
    """The whole file: BOM, header, rows; separator by language, CRLF, every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=separator_for(locale),
        quotechar='"',
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the exact name per RFC 5987/6266."""
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[\\/:*?"<>|;]+', "-", name).strip(" .-") or "export.csv"
    fallback = name
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe")):
        fallback = fallback.replace(umlaut, spelled)
    fallback = fallback.replace("Ü", "Ue").replace("ß", "ss")
    fallback = unicodedata.normalize("NFKD", fallback).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback)
    fallback = re.sub(r"-{2,}", "-", fallback).strip("-") or "export.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _local(moment: datetime | None, timezone: str, with_time: bool = True) -> str:
    """A moment in the expedition's time zone, as spreadsheets read it (2026-12-07 14:30)."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def local_day(moment: datetime, timezone: str) -> str:
    """The day of a moment in the expedition's time zone (for file names)."""
    return _local(moment, timezone, with_time=False)


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _kind(kind: str) -> str:
    return {"task": _("Task"), "experiment": _("Experiment")}.get(kind, kind)


def _visibility(visibility: str) -> str:
    return {"private": _("Private"), "zirkel": _("Zirkel")}.get(visibility, visibility)


def board_csv(
    session: Session, expedition_id: int, owner_id: int, timezone: str, locale: str
) -> bytes:
    """The person's own cards, column by column, with their dates and what they learned."""
    finished = (
        select(CardMove.card_id, func.max(CardMove.moved_at).label("done_at"))
        .where(CardMove.to_column == "done")
        .group_by(CardMove.card_id)
        .subquery()
    )
    order = {column: i for i, column in enumerate(COLUMNS)}
    rows = session.execute(
        select(Card, finished.c.done_at)
        .options(selectinload(Card.checklist))  # the checklist count of every card in one query
        .outerjoin(finished, finished.c.card_id == Card.id)
        .where(Card.expedition_id == expedition_id, Card.owner_id == owner_id)
        .order_by(Card.position, Card.id)
    ).all()
    rows.sort(key=lambda row: order.get(row[0].column, len(order)))
    header = [
        _("Title"),
        _("Column"),
        _("Sprint"),
        _("Kind"),
        _("Visibility"),
        _("Created"),
        _("Last changed"),
        _("Done on"),
        _("Hypothesis"),
        _("Result"),
        _("What I learned"),
        _("Notes"),
        _("Checklist done"),
    ]
    body = []
    for card, done_at in rows:
        checked = sum(1 for item in card.checklist if item.done)
        body.append(
            [
                card.title,
                str(COLUMN_LABELS.get(card.column, card.column)),
                card.sprint_number or "",
                _kind(card.kind),
                _visibility(card.visibility),
                _local(card.created_at, timezone),
                _local(card.updated_at, timezone),
                _local(done_at, timezone) if card.column == "done" else "",
                card.hypothesis,
                card.result,
                card.learning,
                card.notes,
                f"{checked}/{len(card.checklist)}" if card.checklist else "",
            ]
        )
    return write_csv(header, body, locale)


def logbook_csv(
    session: Session, expedition_id: int, user_id: int, timezone: str, locale: str
) -> bytes:
    """The person's own Logbuch entries, newest first."""
    entries = session.scalars(
        select(CheckIn)
        .where(CheckIn.expedition_id == expedition_id, CheckIn.user_id == user_id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
    )
    header = [
        _("Date"),
        _("Done"),
        _("Learned"),
        _("Next"),
        _("Stuck"),
        _("Support requested"),
        _("Support settled"),
        _("Visibility"),
    ]
    body = [
        [
            _local(entry.created_at, timezone),
            entry.done,
            entry.learned,
            entry.next,
            entry.stuck,
            _yes(entry.needs_support),
            _local(entry.support_cleared_at, timezone),
            _visibility(entry.visibility),
        ]
        for entry in entries
    ]
    return write_csv(header, body, locale)


def _outcome(outcome: str | None) -> str:
    return {"done": _("done"), "learned": _("learned"), "dropped": _("dropped")}.get(
        outcome or "", ""
    )


def actions_csv(session: Session, meeting: Meeting, timezone: str, locale: str) -> bytes:
    """The actions agreed in a meeting: what, who, and how they went."""
    actions = session.scalars(
        select(RetroAction)
        .options(selectinload(RetroAction.owner))  # owner names in one query
        .where(RetroAction.meeting_id == meeting.id)
        .order_by(RetroAction.id)
    )
    header = [_("Action"), _("Kind"), _("Owner"), _("Agreed on"), _("Outcome"), _("Outcome note")]
    body = [
        [
            action.title,
            _kind(action.kind),
            action.owner.name if action.owner else "",
            _local(action.created_at, timezone, with_time=False),
            _outcome(action.outcome),
            action.outcome_note,
        ]
        for action in actions
    ]
    return write_csv(header, body, locale)


def retro_csv(session: Session, meeting: Meeting, locale: str) -> bytes:
    """A retro's revealed notes: prompt, text, group and votes; authors only if not anonymous."""
    retro = session.scalar(select(Retro).where(Retro.meeting_id == meeting.id))
    anonymous = retro is None or retro.anonymous
    header = [_("Prompt"), _("Note"), _("Group"), _("Votes")]
    if not anonymous:
        header.append(_("Written by"))
    body: list[list[object]] = []
    # Before the reveal the notes are their authors' alone, facilitators' included.
    if retro is not None and retro.phase != "write":
        prompts = prompts_of(retro)
        counted = retro.phase not in ("reveal", "vote")  # votes stay hidden until voting ends
        groups = dict(
            session.execute(
                select(RetroGroup.id, RetroGroup.title).where(RetroGroup.retro_id == retro.id)
            ).all()
        )
        votes = dict(
            session.execute(
                select(RetroVote.item_id, func.count(RetroVote.id))
                .join(RetroItem, RetroItem.id == RetroVote.item_id)
                .where(RetroItem.retro_id == retro.id)
                .group_by(RetroVote.item_id)
            ).all()
        )
        items = session.scalars(
            select(RetroItem)
            .options(selectinload(RetroItem.author))  # author names in one query
            .where(RetroItem.retro_id == retro.id)
            .order_by(RetroItem.prompt, RetroItem.group_id, RetroItem.id)
        )
        for item in items:
            row: list[object] = [
                prompts[item.prompt] if 0 <= item.prompt < len(prompts) else "",
                item.text,
                groups.get(item.group_id, "") if item.group_id else "",
                votes.get(item.id, 0) if counted else "",
            ]
            if not anonymous:
                row.append(item.author.name if item.author else "")
            body.append(row)
    return write_csv(header, body, locale)
