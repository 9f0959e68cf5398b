"""Forms of the two-factor area."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from alex.forms import BaseForm


class CodeForm(BaseForm):
    """A six-digit app code (or, at login, a recovery code)."""

    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(_l("Please enter the code.")),
            Length(max=32, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    next = HiddenField()


class DisableForm(BaseForm):
    """Turning two-factor login off needs the password."""

    password = PasswordField(
        _l("Your password"),
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=200, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class ConfirmForm(BaseForm):
    """Only the CSRF token: a button that changes something."""


class RequirementForm(BaseForm):
    """The facilitator's switch for the whole expedition."""

    required = BooleanField(_l("Every member logs in with a second factor"))
