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
    """The <li> of each card: title link, tags, and (own board) "Move to…" and "→ next"."""
    prefix = escape(texts.card_prefix)
    experiment = _tag(texts, "flask", escape(texts.experiment))
    private = _tag(texts, "lock", escape(texts.private))
    move, prompt = escape(texts.move), escape(texts.prompt)
    checklist = escape(texts.checklist)
    next_html = f'→<span class="next-label"> {escape(next_label)}</span>' if next_label else ""
    parts: list[str] = []
    for c in cards:
        cid = c.id
        url = f"{prefix}{cid}"
        parts.append(
            f'<li class="card card-{c.kind}" id="card-{cid}" '
            f'data-version="{c.version}">\n<a class="card-title" id="ct-{cid}" href="{url}">'
            f"{escape(c.title)}</a>\n"
        )
        tags = []
        if c.kind == "experiment":
            tags.append(experiment)
        if c.visibility == "private":
            tags.append(private)
        tally = tallies.get(cid)
        if tally:
            tags.append(
                f'<span class="tag"><svg class="icon" aria-hidden="true"><use href="{texts.sprite}'
                f'#check"></use></svg><span class="visually-hidden">{checklist}</span> '
                f"{tally[0]}/{tally[1]}</span>"
            )
        if c.sprint_number and c.sprint_number < sprint_number and c.column != "done":
            label = escape(_("from sprint %(num)d", num=c.sprint_number))
            tags.append(f'<span class="tag tag-quiet">{label}</span>')
        if tags:
            parts.append(f'<p class="card-meta">{"".join(tags)}</p>\n')
        if not readonly:
            if c.column == "learning" and not c.has_learning:
                parts.append(f'<a class="card-prompt" href="{url}#learning">{prompt}</a>\n')
            parts.append(
                f'<div class="card-actions">\n<a class="card-move" href="{url}/move" '
                f'aria-describedby="ct-{cid}">{move}</a>'
            )
            if next_html:
                parts.append(
                    f'<button class="card-next" form="advance-form" name="card" '
                    f'value="{cid}:{c.version}" aria-describedby="ct-{cid}">{next_html}</button>'
                )
            parts.append("\n</div>\n")
        parts.append("</li>\n")
    return Markup("".join(parts))
