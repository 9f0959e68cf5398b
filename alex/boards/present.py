"""How a board looks: column names, card texts and URLs, and the cards of a column as HTML.

A board may hold a thousand cards; a Jinja macro call per card cost about ten times as much as
the string building in `card_list`. The column template (`_column.html`) stays the swap target
and asks for its cards once. Every value from the database goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from alex.boards.labels import COLUMN_HINTS, COLUMN_LABELS, PEER_COLUMN_HINTS
from alex.boards.models import COLUMNS
from alex.boards.service import Board, CardRow, next_column
from alex.web import static_url, url_pattern

NEXT_COLUMN = {c: next_column(c) for c in COLUMNS}


@dataclass(frozen=True)
class CardTexts:
    """What every card says and links to, translated and built once per page."""

    sprite: str
    card_url: tuple[str, str]  # the card's page: before and after its id
    move_url: tuple[str, str]  # its "Move to…" page
    experiment: str
    private: str
    checklist: str
    prompt: str
    move: str
    from_sprint_label: str  # "from sprint %(num)d", formatted per card

    def from_sprint(self, number: int) -> str:
        return self.from_sprint_label % {"num": number}

    @classmethod
    def current(
        cls, sprite: str, card_url: tuple[str, str], move_url: tuple[str, str]
    ) -> CardTexts:
        """The texts in the user's language."""
        return cls(
            sprite=sprite,
            card_url=card_url,
            move_url=move_url,
            experiment=_("Experiment"),
            private=_("private"),
            checklist=_("Checklist"),
            prompt=_("What have you learned? Note it"),
            move=_("Move to…"),
            # Translated once, formatted per card (gettext without values keeps the placeholder).
            from_sprint_label=_("from sprint %(num)d"),
        )


def board_labels(
    expedition_id: int, wip_limit: int, sprint_number: int, readonly: bool = False
) -> dict:
    """The template values every board fragment shares: column names, card texts, URLs.

    A peer's read-only board gets hints about the owner ("what is planned"), not "you".
    """
    card_url = url_pattern("boards.card", "card_id", expedition_id=expedition_id)
    move_url = url_pattern("boards.move_form", "card_id", expedition_id=expedition_id)
    column_labels, card_texts = _translated(
        str(get_locale()), static_url("icons/sprite.svg"), card_url, move_url
    )
    return {
        "columns": COLUMNS,
        "column_labels": column_labels,
        "column_hints": PEER_COLUMN_HINTS if readonly else COLUMN_HINTS,
        "next_column": NEXT_COLUMN,
        "wip_limit": wip_limit,
        "sprint_number": sprint_number,
        "card_texts": card_texts,
    }


@lru_cache(maxsize=1024)
def _translated(
    locale: str, sprite: str, card_url: tuple[str, str], move_url: tuple[str, str]
) -> tuple[dict[str, str], CardTexts]:
    """Column names and card texts, translated once per language (and expedition's URLs).

    Resolved here, not in the template: lazy strings would be translated again for every card.
    The locale is part of the key; gettext reads the request's, which is the same.
    """
    labels = {key: str(label) for key, label in COLUMN_LABELS.items()}
    return labels, CardTexts.current(sprite, card_url, move_url)


class BoardHtml:
    """A loaded board for the templates, each column's cards built once per set of options.

    The revision cache keeps this object, so a board looked at again reuses its HTML too.
    """

    def __init__(self, board: Board):
        self.board = board
        self.columns = board.columns
        self.size = board.size
        self._html: dict[tuple, Markup] = {}

    def count(self, column: str) -> int:
        return self.board.count(column)

    def cards_html(self, column: str, **options) -> Markup:
        """The column's cards (`card_list`), built once per board and options."""
        key = (column, *sorted(options.items()))
        html = self._html.get(key)
        if html is None:
            html = self._html[key] = card_list(
                self.board.columns[column], tallies=self.board.checklists, **options
            )
        return html


def moved_card_html(
    card: CardRow, tally: tuple[int, int] | None, labels: dict, readonly: bool = False
) -> Markup:
    """One card as its column shows it (a move's answer puts it at its new place)."""
    next_key = NEXT_COLUMN[card.column]
    return card_list(
        [card],
        texts=labels["card_texts"],
        tallies={card.id: tally} if tally else {},
        next_label=labels["column_labels"][next_key] if next_key else None,
        sprint_number=labels["sprint_number"],
        readonly=readonly,
    )


def _tag(texts: CardTexts, icon: str, label: str) -> str:
    return (
        f'<span class="tag"><svg class="icon" aria-hidden="true"><use href="{texts.sprite}#{icon}">'
        f"</use></svg>{label}</span>"
    )


def card_list(
    cards: Iterable[CardRow],
    *,
    texts: CardTexts,
    tallies: dict[int, tuple[int, int]],
    next_label: str | None,
    sprint_number: int,
    readonly: bool,
) -> Markup:
    """The <li> of each card: title link, tags, and (own board) "Move to…" and "→ next".

    Every card is one f-string with its optional parts decided up front, since a board may
    render a thousand of them.
    """
    card_before, card_after = (escape(part) for part in texts.card_url)
    move_before, move_after = (escape(part) for part in texts.move_url)
    experiment = _tag(texts, "flask", escape(texts.experiment))
    private = _tag(texts, "lock", escape(texts.private))
    move, prompt = escape(texts.move), escape(texts.prompt)
    checklist_tag = (
        f'<span class="tag"><svg class="icon" aria-hidden="true"><use href="{texts.sprite}'
        f'#check"></use></svg><span class="visually-hidden">{escape(texts.checklist)}</span> '
    )
    next_html = f'→<span class="next-label"> {escape(next_label)}</span>' if next_label else ""
    parts: list[str] = []
    append = parts.append
    for card in cards:
        cid, kind, column, version = card.id, card.kind, card.column, card.version
        url = f"{card_before}{cid}{card_after}"
        tags = ""
        if kind == "experiment":
            tags = experiment
        if card.visibility == "private":
            tags += private
        tally = tallies.get(cid)
        if tally:
            tags += f"{checklist_tag}{tally[0]}/{tally[1]}</span>"
        card_sprint = card.sprint_number
        if card_sprint and card_sprint < sprint_number and column != "done":
            tags += f'<span class="tag tag-quiet">{escape(texts.from_sprint(card_sprint))}</span>'
        meta = f'<p class="card-meta">{tags}</p>\n' if tags else ""
        if readonly:
            actions = ""
        else:
            learn = (
                f'<a class="card-prompt" href="{url}#learning">{prompt}</a>\n'
                if column == "learning" and not card.has_learning
                else ""
            )
            advance = (
                f'<button class="card-next" form="advance-form" name="card" '
                f'value="{cid}:{version}" aria-describedby="ct-{cid}">{next_html}</button>'
                if next_html
                else ""
            )
            actions = (
                f'{learn}<div class="card-actions">\n<a class="card-move" '
                f'href="{move_before}{cid}{move_after}" aria-describedby="ct-{cid}">{move}</a>'
                f"{advance}\n</div>\n"
            )
        append(
            f'<li class="card card-{kind}" id="card-{cid}" data-version="{version}">\n'
            f'<a class="card-title" id="ct-{cid}" href="{url}">{escape(card.title)}</a>\n'
            f"{meta}{actions}</li>\n"
        )
    return Markup("".join(parts))
