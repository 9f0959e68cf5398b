"""Forms of the progress area; messages stand next to the field in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, InputRequired, Length

from alex.forms import BaseForm
from alex.progress.models import KUDOS_KINDS, NOTE_MAX, SUPPORT_KINDS

NOTE_TOO_LONG = _l("Please keep your note to %(max)d characters.")


class KudosForm(BaseForm):
    """Rückenwind: one of the fixed kinds and an optional short note."""

    kind = StringField(
        _l("Kind of Rückenwind"),
        validators=[
            InputRequired(message=_l("Please choose one of the kinds of Rückenwind.")),
            AnyOf(KUDOS_KINDS, message=_l("Please choose one of the kinds of Rückenwind.")),
        ],
    )
    note = TextAreaField(
        _l("A few words (optional)"), validators=[Length(max=NOTE_MAX, message=NOTE_TOO_LONG)]
    )


class SupportResponseForm(BaseForm):
    """An answer to a request for support: a short note, or "Lass uns sprechen"."""

    kind = StringField(
        validators=[
            InputRequired(message=_l("Please choose how you want to help.")),
            AnyOf(SUPPORT_KINDS, message=_l("Please choose how you want to help.")),
        ]
    )
    note = TextAreaField(
        _l("Your answer"), validators=[Length(max=NOTE_MAX, message=NOTE_TOO_LONG)]
    )

    def validate_note(self, field) -> None:
        """A written answer needs words; "Let's talk" needs none."""
        if self.kind.data == "note" and not (field.data or "").strip():
            raise ValidationError(_l("Please write a short note, or offer to talk."))


class ConfirmForm(BaseForm):
    """A button that changes something: only the CSRF token."""
