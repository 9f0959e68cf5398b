"""Forms of the certificates area."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from alex.forms import BaseForm


class IssueForm(BaseForm):
    """Hours per meeting and the participants who get a certificate."""

    hours = StringField(
        _l("Hours per meeting"),
        validators=[
            InputRequired(_l("Please give the hours per meeting.")),
            Length(max=8, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    participants = SelectMultipleField(
        _l("Participants"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )


class RevokeForm(BaseForm):
    """Only the CSRF token: a button that revokes."""
