"""Forms of the single sign-on area."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField
from wtforms.validators import InputRequired, Length

from alex.forms import BaseForm


class StartForm(BaseForm):
    """The login page's button: off to the identity provider (a POST, so no prefetch starts it)."""

    next = HiddenField()


class LinkForm(BaseForm):
    """The owner of an existing account confirms the link with the account's password."""

    password = PasswordField(
        _l("Your ALEx password"),
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=200, message=_l("Please use at most %(max)d characters.")),
        ],
    )
