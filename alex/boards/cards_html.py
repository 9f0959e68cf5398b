"""The cards of a board column as HTML, built in Python.

A board may hold a thousand cards; a Jinja macro call per card cost about ten times as much as
this string building. The column template (`_column.html`) stays the swap target and calls
`card_list()` once. Every value from the database goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape


@dataclass(frozen=True)
class CardTexts:
    """What every card says, translated once per page."""

    sprite: str
    card_prefix: str
    experiment: str
    private: str
    checklist: str
    prompt: str
    move: str
    from_sprint_label: str  # "from sprint %(num)d", formatted per card

    def from_sprint(self, number: int) -> str:
        return self.from_sprint_label % {"num": number}

    @classmethod
    def current(cls, sprite: str, card_prefix: str) -> CardTexts:
        """The texts in the user's language."""
        return cls(
            sprite=sprite,
            card_prefix=card_prefix,
            experiment=_("Experiment"),
            private=_("private"),
            checklist=_("Checklist"),
            prompt=_("What have you learned? Note it"),
            move=_("Move to…"),
            # Translated once, formatted per card (gettext without values keeps the placeholder).
            from_sprint_label=_("from sprint %(num)d"),
        )


def _tag(texts: CardTexts, icon: str, label: str) -> str:
    return (
        f'<span class="tag"><svg class="icon" aria-hidden="true"><use href="{texts.sprite}#{icon}">'
        f"</use></svg>{label}</span>"
    )


def card_list(
    cards: Iterable,
    *,
    texts: CardTexts,
    tallies: dict[int, tuple[int, int]],
    next_label: str | None,
    sprint_number: int,
    readonly: bool,
) -> Markup:
    """The <li> of each card: title link, tags, and (own board) "Move to…" and "→ next".

    Rows unpack in `service.load_board`'s column order; every card is one f-string with its
    optional parts decided up front, since a board may render a thousand of them.
    """
    prefix = escape(texts.card_prefix)
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
    for cid, title, kind, column, version, visibility, card_sprint, has_learning in cards:
        url = f"{prefix}{cid}"
        tags = ""
        if kind == "experiment":
            tags = experiment
        if visibility == "private":
            tags += private
        tally = tallies.get(cid)
        if tally:
            tags += f"{checklist_tag}{tally[0]}/{tally[1]}</span>"
        if card_sprint and card_sprint < sprint_number and column != "done":
            tags += f'<span class="tag tag-quiet">{escape(texts.from_sprint(card_sprint))}</span>'
        meta = f'<p class="card-meta">{tags}</p>\n' if tags else ""
        if readonly:
            actions = ""
        else:
            learn = (
                f'<a class="card-prompt" href="{url}#learning">{prompt}</a>\n'
                if column == "learning" and not has_learning
                else ""
            )
            advance = (
                f'<button class="card-next" form="advance-form" name="card" '
                f'value="{cid}:{version}" aria-describedby="ct-{cid}">{next_html}</button>'
                if next_html
                else ""
            )
            actions = (
                f'{learn}<div class="card-actions">\n<a class="card-move" href="{url}/move" '
                f'aria-describedby="ct-{cid}">{move}</a>{advance}\n</div>\n'
            )
        append(
            f'<li class="card card-{kind}" id="card-{cid}" data-version="{version}">\n'
            f'<a class="card-title" id="ct-{cid}" href="{url}">{escape(title)}</a>\n'
            f"{meta}{actions}</li>\n"
        )
    return Markup("".join(parts))
