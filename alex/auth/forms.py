"""Forms of the account area."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length

from alex.auth.names import clean_display_name
from alex.forms import BaseForm, not_blank, single_line

LANGUAGE_CHOICES = [
    SelectChoice("", _l("Like my browser")),
    SelectChoice("de", "Deutsch"),
    SelectChoice("en", "English"),
]


TOO_LONG = _l("Please use at most %(max)d characters.")


def _email_validators() -> list:
    return [
        InputRequired(_l("Please enter your e-mail address.")),
        Length(max=254, message=TOO_LONG),
        Email(message=_l("This does not look like an e-mail address."), check_deliverability=False),
    ]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LanguageForm(BaseForm):
    """The language switch before logging in: a button per language (value "de" or "en")."""

    language = SelectField(choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")])
    next = HiddenField()


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=_email_validators(), filters=[_strip])
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Please enter your password.")),
            Length(max=200, message=TOO_LONG),
        ],
    )
    remember = BooleanField(_l("Stay logged in on this device"))


class RegisterForm(BaseForm):
    name = StringField(
        _l("Your name"),
        validators=[
            InputRequired(_l("Please tell us your name.")),
            not_blank,
            single_line,
            Length(max=80, message=TOO_LONG),
        ],
        filters=[clean_display_name],
    )
    email = EmailField(_l("E-mail address"), validators=_email_validators(), filters=[_strip])
    password = PasswordField(
        _l("Password"), validators=[InputRequired(_l("Please choose a password."))]
    )


class ProfileForm(BaseForm):
    name = StringField(
        _l("Your name"),
        validators=[
            InputRequired(_l("Please tell us your name.")),
            not_blank,
            single_line,
            Length(max=80, message=TOO_LONG),
        ],
        filters=[clean_display_name],
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validate_choice=True)


class PasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(_l("Please enter your current password.")),
            Length(max=200, message=TOO_LONG),
        ],
    )
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(_l("Please choose a password."))]
    )


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=_email_validators(), filters=[_strip])


class ResetPasswordForm(BaseForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(_l("Please choose a password.")),
            Length(max=200, message=TOO_LONG),
        ],
    )


class EndSessionForm(BaseForm):
    """Log out one other device, named by its handle (never by its token)."""

    session = HiddenField(validators=[InputRequired(), Length(max=64)])


class EmailChangeForm(BaseForm):
    new_email = EmailField(
        _l("New e-mail address"), validators=_email_validators(), filters=[_strip]
    )
    # Not "current_password": the password form on the same page has that field (and its id).
    password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(_l("Please enter your current password.")),
            Length(max=200, message=TOO_LONG),
        ],
    )


class ConfirmForm(BaseForm):
    """A button and its CSRF token (confirming a link: opening it alone changes nothing)."""
