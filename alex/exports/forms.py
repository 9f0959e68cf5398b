"""Forms of the exports area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    PasswordField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from alex.exports.models import REFLECTION_MAX
from alex.exports.report import SECTIONS
from alex.forms import BaseForm, VersionField

_TOO_LONG = _l("Please use at most %(max)d characters.")


def _version_field():
    return VersionField(default=0, validators=[InputRequired()])


class SelectionForm(BaseForm):
    """Which sections and cards go into the Lernbericht (unchecked boxes are left out)."""

    sections = SelectMultipleField(
        choices=[SelectChoice(s, s) for s in SECTIONS], validate_choice=True
    )
    cards = SelectMultipleField(coerce=int, choices=[], validate_choice=True)
    version = _version_field()

    def __init__(self, *args, card_ids: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cards.choices = [SelectChoice(i, str(i)) for i in card_ids or []]


def _answer(label):
    return TextAreaField(
        label, validators=[Optional(), Length(max=REFLECTION_MAX, message=_TOO_LONG)]
    )


class ReflectionForm(BaseForm):
    """The final reflection and the two consents."""

    vorhaben_now = _answer(_l("My Vorhaben now, compared with the start"))
    learned = _answer(_l("What I learned"))
    keep_doing = _answer(_l("What I will keep doing"))
    advice = _answer(_l("What I would tell the next Zirkel"))
    release_to_summary = BooleanField(
        _l("Release my Vorhaben and this reflection to the Zirkel summary")
    )
    named_in_reports = BooleanField(
        _l("The others may name me as a Zirkel member in their Lernbericht")
    )
    version = _version_field()


class DeleteAccountForm(BaseForm):
    """Deleting an account needs the password, so a forgotten open browser cannot do it."""

    password = PasswordField(
        _l("Your password"), validators=[InputRequired(_l("Please enter your password."))]
    )


class DeletePasswordlessAccountForm(BaseForm):
    """An account without a password (single sign-on) confirms with a fresh login instead."""
