"""Forms of the token pages on the account."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from alex.api.models import NAME_MAX
from alex.api.service import EXPIRY_DAYS
from alex.forms import BaseForm, not_blank, single_line

EXPIRY_LABELS = {
    30: _l("30 days"),
    90: _l("90 days"),
    365: _l("1 year"),
}


class TokenForm(BaseForm):
    """A new token: what it is for, and how long it works."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Please give the token a name, e.g. the script that uses it.")),
            not_blank,
            single_line,
            Length(max=NAME_MAX, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    days = SelectField(
        _l("Works for"),
        choices=[SelectChoice(str(days), EXPIRY_LABELS[days]) for days in EXPIRY_DAYS],
        default="90",
        validate_choice=True,
    )
