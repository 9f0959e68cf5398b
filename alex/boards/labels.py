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
