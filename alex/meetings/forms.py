"""Forms of the meetings area: scheduling and moving a meeting."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from alex.forms import BaseForm, single_line

KIND_LABELS = {
    "kickoff": _l("Auftakt (kick-off)"),
    "zirkeltreffen": _l("Zirkeltreffen (end of sprint)"),
    "pit_stop": _l("Boxenstopp"),
    "closing": _l("Abschluss (closing)"),
}


class ScheduleForm(BaseForm):
    """Date, time, place and moderation of a meeting."""

    kind = SelectField(
        _l("Kind of meeting"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()]
    )
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date."))])
    time = TimeField(_l("Time"), validators=[InputRequired(_l("Please choose a time."))])
    duration_minutes = IntegerField(
        _l("Duration in minutes"),
        default=90,
        validators=[
            InputRequired(_l("Please enter a duration.")),
            NumberRange(15, 480, _l("Choose between %(min)s and %(max)s minutes.")),
        ],
    )
    location = StringField(
        _l("Place or video link"),
        validators=[
            Optional(),
            single_line,
            Length(max=500, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    sprint_number = SelectField(_l("Sprint it closes"), coerce=str, default="")
    moderator_id = SelectField(_l("Moderation"), coerce=str, default="")
