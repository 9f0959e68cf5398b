"""Forms of the expeditions area."""

from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

from flask_babel import format_date, lazy_ngettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from alex.expeditions.service import INVITE_LIFETIMES_DAYS
from alex.forms import BaseForm, BoundedIntegerField, VersionField, not_blank, single_line

# Time zones a German-speaking Zirkel plausibly meets in first, then all others.
_COMMON_ZONES = ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Luxembourg", "UTC"]
TIMEZONE_CHOICES = [SelectChoice(z) for z in _COMMON_ZONES] + [
    SelectChoice(z) for z in sorted(available_timezones()) if z not in _COMMON_ZONES and "/" in z
]


EARLIEST_START = date(2000, 1, 1)
LATEST_START = date(2100, 12, 31)


def plausible_start(_form, field) -> None:
    """A start date a real expedition can have (and the calendar can compute with)."""
    if field.data and not EARLIEST_START <= field.data <= LATEST_START:
        raise ValidationError(
            _l(
                "Please choose a date between %(first)s and %(last)s.",
                first=format_date(EARLIEST_START, "medium"),
                last=format_date(LATEST_START, "medium"),
            )
        )


class ExpeditionForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(_l("Please give the expedition a title.")),
            not_blank,
            single_line,
            Length(max=120, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[
            Optional(),
            Length(max=4000, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    start_date = DateField(
        _l("Start date"),
        validators=[
            InputRequired(_l("Please choose the first day of the expedition.")),
            plausible_start,
        ],
    )
    sprint_weeks = BoundedIntegerField(
        _l("Sprint length in weeks"),
        default=4,
        validators=[
            InputRequired(_l("Please enter a number of weeks.")),
            NumberRange(1, 6, _l("A sprint lasts between %(min)s and %(max)s weeks.")),
        ],
    )
    sprint_count = BoundedIntegerField(
        _l("Number of sprints"),
        default=6,
        validators=[
            InputRequired(_l("Please enter the number of sprints.")),
            NumberRange(1, 26, _l("Choose between %(min)s and %(max)s sprints.")),
        ],
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=TIMEZONE_CHOICES,
        default="Europe/Berlin",
        validate_choice=True,
    )
    pit_stops = BooleanField(_l("Plan Boxenstopps at about one third and two thirds"))
    retention_months = BoundedIntegerField(
        _l("Delete everything this many months after the end (empty: keep)"),
        validators=[
            Optional(),
            NumberRange(1, 120, _l("Choose between %(min)s and %(max)s months.")),
        ],
    )
    participate = BooleanField(_l("I take part with my own Vorhaben, too"), default=True)
    # The expedition's version the form was loaded with (settings only): detects a lost update.
    version = VersionField(validators=[Optional()])


class InviteForm(BaseForm):
    days_valid = SelectField(
        _l("Valid for"),
        coerce=int,
        default=14,
        choices=[
            SelectChoice(d, lazy_ngettext("%(num)d day", "%(num)d days", d))
            for d in INVITE_LIFETIMES_DAYS
        ],
    )
    single_use = BooleanField(_l("Only one person can use this link"))
    as_facilitator = BooleanField(_l("Joins as facilitator (Moderation)"))


class InviteMailForm(BaseForm):
    addresses = TextAreaField(
        _l("E-mail addresses, one per line"),
        validators=[
            InputRequired(_l("Please enter at least one e-mail address.")),
            Length(max=20000, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    locale = SelectField(
        _l("Language of the invitations"),
        choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")],
        default="de",
        validate_choice=True,
    )


class RolesForm(BaseForm):
    is_facilitator = BooleanField(_l("Facilitator (Moderation)"))
    is_participant = BooleanField(_l("Participant"))


class ConfirmForm(BaseForm):
    """A form with only the CSRF token, for buttons that change state."""
