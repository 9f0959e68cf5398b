"""Display names: invisible and direction-changing characters removed, compared as people read."""

from __future__ import annotations

import unicodedata


def clean_display_name(name: str | None) -> str | None:
    """The name without format characters (zero-width, bidirectional controls) and outer spaces.

    Such characters can make two different names look alike or turn the text around them
    ("Moderation" written backwards from a right-to-left override).
    """
    if name is None:
        return None
    visible = "".join(ch for ch in unicodedata.normalize("NFC", name) if not _invisible(ch))
    return visible.strip()  # line breaks stay, for the single-line validator to name


def _invisible(ch: str) -> bool:
    # Cf: zero-width space/joiners, LRM/RLM, embeddings, overrides, isolates, BOM, soft hyphen.
    return unicodedata.category(ch) == "Cf"


def name_key(name: str) -> str:
    """What two names must not share: the same letters ignoring case and compatibility forms."""
    folded = unicodedata.normalize("NFKC", clean_display_name(name) or "").casefold()
    return " ".join(folded.split())
