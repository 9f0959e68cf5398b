"""Forms for planning meetings in one go, and the place-or-link check every meeting form shares."""

from __future__ import annotations

from datetime import date

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from alex.forms import BaseForm, BoundedIntegerField, single_line
from alex.meetings.forms import flag, secure_link
from alex.meetings.series import Proposal

LOCATION_MAX = 500


def location_field() -> StringField:
    return StringField(
        _l("Place or video link"),
        validators=[
            Optional(),
            single_line,
            Length(max=LOCATION_MAX, message=_l("Please use at most %(max)d characters.")),
            secure_link,
        ],
    )


class SeriesForm(BaseForm):
    """The rhythm of the whole series: weekday, time, duration, place, which kinds of meeting."""

    weekday = SelectField(
        _l("Weekday"),
        coerce=str,
        # No InputRequired: it would mark the select "required", which a select without an
        # empty first option may not be; a missing or foreign value fails AnyOf all the same.
        validators=[AnyOf([str(day) for day in range(7)], _l("Please choose a weekday."))],
    )
    time = TimeField(_l("Time"), validators=[InputRequired(_l("Please choose a time."))])
    duration_minutes = BoundedIntegerField(
        _l("Duration in minutes"),
        default=90,
        validators=[
            InputRequired(_l("Please enter a duration.")),
            NumberRange(15, 480, _l("Choose between %(min)s and %(max)s minutes.")),
        ],
    )
    location = location_field()
    kickoff = flag(_l("Auftakt at the start"))
    zirkeltreffen = flag(_l("Zirkeltreffen at the end of each sprint"))
    pit_stops = flag(_l("Boxenstopps between Zirkeltreffen (at about ⅓ and ⅔)"))
    closing = flag(_l("Abschluss at the end"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = get_day_names("wide", locale=get_locale())
        self.weekday.choices = [SelectChoice(str(day), names[day]) for day in range(7)]


def chosen_rows(
    formdata, proposals: list[Proposal], earliest: date, latest: date
) -> tuple[list[Proposal], dict[str, str]]:
    """The ticked rows of the preview with the dates as changed there, and a message per bad row.

    A date must lie between `earliest` and `latest` (around the expedition).
    """
    ticked = set(formdata.getlist("include"))
    rows: list[Proposal] = []
    errors: dict[str, str] = {}
    for proposal in proposals:
        if proposal.key not in ticked or proposal.taken:
            continue
        text = (formdata.get(f"day-{proposal.key}") or "").strip()
        try:
            day = date.fromisoformat(text) if text else proposal.day
        except ValueError:
            errors[proposal.key] = str(_l("Please enter a date like 2026-03-05."))
            continue
        if not earliest <= day <= latest:
            errors[proposal.key] = str(
                _l(
                    "Please choose a date between %(start)s and %(end)s.",
                    start=earliest.isoformat(),
                    end=latest.isoformat(),
                )
            )
            continue
        rows.append(Proposal(proposal.key, proposal.kind, proposal.sprint_number, day))
    return rows, errors
