"""Names of board columns and choices in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

COLUMN_LABELS = {
    "ideas": _l("Ideas"),
    "sprint": _l("This sprint"),
    "doing": _l("In progress"),
    "learning": _l("Learning"),
    "done": _l("Done"),
}
# Short hints shown under a column heading.
COLUMN_HINTS = {
    "ideas": _l("Everything you might try"),
    "sprint": _l("What you plan for this sprint"),
    "doing": _l("What you are working on now"),
    "learning": _l("Reflect: what have you learned?"),
    "done": _l("Finished and reflected"),
}
# The same hints on a peer's read-only board, which speaks about the owner, not to the reader.
PEER_COLUMN_HINTS = {
    "ideas": _l("Things that might be tried"),
    "sprint": _l("What is planned for this sprint"),
    "doing": _l("What is being worked on now"),
    "learning": _l("Being reflected on"),
    "done": _l("Finished and reflected"),
}
