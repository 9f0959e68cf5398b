"""The form that starts a follow-up run."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length

from alex.expeditions.forms import plausible_start
from alex.forms import BaseForm, not_blank, single_line


class FollowUpForm(BaseForm):
    title = StringField(
        _l("Title of the follow-up expedition"),
        validators=[
            InputRequired(_l("Please give the expedition a title.")),
            not_blank,
            single_line,
            Length(max=120, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    start_date = DateField(
        _l("Start date"),
        validators=[
            InputRequired(_l("Please choose the first day of the expedition.")),
            plausible_start,
        ],
    )
