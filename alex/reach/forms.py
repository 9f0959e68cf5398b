"""The notification settings form: one choice per kind, and the weekly digest."""

from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from alex.forms import BaseForm
from alex.notifications import CHOICE_KINDS, WEEKDAYS, allowed_channels, channel_label, kind_label

# The form's field of a kind; "was_" fields carry what the page showed, so a save changes only
# what this person changed (two tabs, or two facilitators, do not overwrite each other's rows).
PREFIX = "kind_"


def _fields(with_digest: bool) -> dict:
    fields: dict = {}
    for kind in CHOICE_KINDS:
        fields[PREFIX + kind] = SelectField(kind, choices=[], validate_choice=True)
        fields["was_" + kind] = HiddenField()
    if with_digest:
        fields["digest_enabled"] = BooleanField(_l("Send me a weekly digest by e-mail"))
        fields["digest_weekday"] = SelectField(_l("On"), choices=[], coerce=int)
    return fields


PreferencesForm = type("PreferencesForm", (BaseForm,), _fields(with_digest=True))
DefaultsForm = type("DefaultsForm", (BaseForm,), _fields(with_digest=False))


def prepare(form: BaseForm, default_of: dict[str, str], weekdays: range = WEEKDAYS) -> None:
    """Labels and choices in the current language; "" stands for the default shown in it."""
    for kind in CHOICE_KINDS:
        field = form[PREFIX + kind]
        field.label.text = kind_label(kind)
        field.choices = [
            SelectChoice("", _("Default (%(channel)s)", channel=channel_label(default_of[kind])))
        ] + [SelectChoice(channel, channel_label(channel)) for channel in allowed_channels(kind)]
    if "digest_weekday" in form:
        names = get_day_names("wide", locale=get_locale())
        form["digest_weekday"].choices = [SelectChoice(day, names[day]) for day in weekdays]


def fill(form: BaseForm, chosen: dict[str, str]) -> None:
    """Show what is stored (a GET, or the page after a refused save)."""
    for kind in CHOICE_KINDS:
        form[PREFIX + kind].data = chosen.get(kind, "")
        form["was_" + kind].data = chosen.get(kind, "")


def changes(form: BaseForm) -> dict[str, str]:
    """The kinds this person changed on the page: kind → new channel ("" = default)."""
    return {
        kind: form[PREFIX + kind].data or ""
        for kind in CHOICE_KINDS
        if (form[PREFIX + kind].data or "") != (form["was_" + kind].data or "")
    }
