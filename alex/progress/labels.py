"""Names and icons of the fixed kinds, in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# kind -> (label, icon in static/icons/sprite.svg)
KUDOS = {
    "great_step": (_l("Great step!"), "flag"),
    "brave_experiment": (_l("Brave experiment"), "flask"),
    "learned_too": (_l("I learn from this too"), "bulb"),
    "keep_going": (_l("Keep going!"), "heart"),
}


def kudos_text(kind: str, note: str = "") -> str:
    """A Rückenwind as one line of text: its kind's name, then the note (for reports and exports)."""
    label = str(KUDOS[kind][0]) if kind in KUDOS else kind
    return f"{label} – {note}" if note else label
