"""User text in reports: sanitised HTML for the person's Markdown, and Markdown for the .md export.

People write Markdown in their notes, learnings and reflections; the report renders it (HTML,
PDF) and the Markdown export keeps it as written. Only what would reach past the text is
neutralised: raw HTML, images and headings that would break the document's outline.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

# Raw HTML in notes is never passed through, and nh3 keeps only harmless tags. Should an image tag
# slip through anyway, the CSP (page) and the PDF's URL fetcher (PDF) keep it from loading.
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True})  # line breaks as in the app
# An image in the notes shows as its description; the report never embeds foreign pictures.
_markdown.add_render_rule(
    "image", lambda _self, tokens, idx, _options, _env: escapeHtml(f"[{tokens[idx].content}]")
)
_ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a"}


def notes_html(text: str) -> Markup:
    """A card's Markdown notes as safe HTML (links keep their text, never load anything)."""
    if not text.strip():
        return Markup("")
    html = _markdown.render(text)
    return Markup(
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


# Characters that start inline markup anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]<>!|~&{}])")
# What makes a line a heading, quote, list item, rule or setext underline when it starts it.
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])")


def escape_markdown(text: str) -> str:
    """User text as Markdown that renders to exactly that text, never to markup.

    Lines keep their breaks (hard breaks), blank lines stay paragraph breaks, and indentation is
    dropped so nothing becomes a code block.
    """
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _INLINE.sub(r"\\\1", raw.strip())
        line = _LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), line)
        lines.append(line)
    out: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        # A backslash at the end of a line is CommonMark's hard line break.
        out.append(line + "\\" if line and following else line)
    return "\n".join(out).strip()


def _escape_marker(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


# Raw HTML and entities, images, and lines that would become a heading (ATX or setext).
_HTML = re.compile(r"([<>&])")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]")
_HEADING = re.compile(r"^(\s*)(#)")
_SETEXT = re.compile(r"^(\s*)((?:=+|-{2,})\s*)$")


def own_markdown(text: str) -> str:
    """The person's own Markdown, kept as written for a wiki, with nothing that reaches further.

    Emphasis, lists, quotes and links stay; raw HTML shows as text, an image as its escaped
    description, and a heading line as plain text, so the export's own outline holds.
    """
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _HTML.sub(r"\\\1", raw.rstrip())
        line = _IMAGE.sub(r"\\!\\[\1\\]", line)
        line = _HEADING.sub(r"\1\\\2", line)
        line = _SETEXT.sub(r"\1\\\2", line)
        lines.append(line)
    return "\n".join(lines).strip()


def escape_inline(text: str) -> str:
    """One-line user text (titles, names) for use inside a heading or list item."""
    return escape_markdown(" ".join(text.split()))
