"""Card notes in Markdown, rendered safely: raw HTML off in the parser, then nh3 as a second wall."""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "h3", "h4",
    "hr", "del",
}  # fmt: skip


@cache
def _parser() -> MarkdownIt:
    # "js-default" turns off raw HTML and only lets http(s)/mailto-style links through.
    return MarkdownIt("js-default", {"linkify": False, "breaks": True})


def render_markdown(text: str) -> Markup:
    """Markdown to sanitised HTML (no scripts, no event handlers, no javascript: links)."""
    if not text:
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
