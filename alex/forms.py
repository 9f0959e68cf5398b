"""Form building blocks shared by all areas."""

from __future__ import annotations

from functools import lru_cache

from babel import support
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.i18n import messages_path

# WTForms' own messages (wrong type, unknown choice…) in our words; the rest fall back to
# WTForms' catalog in the user's language.
BUILTIN_MESSAGES = {
    "Not a valid date value.": _l("Please enter a valid date."),
    "Not a valid datetime value.": _l("Please enter a valid date and time."),
    "Not a valid time value.": _l("Please enter a valid time."),
    "Not a valid integer value.": _l("Please enter a whole number."),
    "Not a valid decimal value.": _l("Please enter a number."),
    "Not a valid float value.": _l("Please enter a number."),
    "Not a valid choice.": _l("Please choose one of the options."),
    "Invalid Choice: could not coerce.": _l("Please choose one of the options."),
    "This field is required.": _l("Please fill in this field."),
    "Invalid email address.": _l("This does not look like an e-mail address."),
}


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str) -> support.Translations:
    """WTForms' own catalog for a language, read once per process.

    Flask-WTF's helper reads and parses the .mo file again in every request that builds a form
    (a third of a card move's time).
    """
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _Messages:
    """Translations object WTForms asks for its built-in messages."""

    def gettext(self, string: str) -> str:
        if string in BUILTIN_MESSAGES:
            return str(BUILTIN_MESSAGES[string])
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


class BaseForm(FlaskForm):
    """Every form: CSRF-protected, messages in the user's language, no NUL bytes stored."""

    class Meta:
        def get_translations(self, form):
            return _Messages()

    def validate(self, extra_validators=None) -> bool:
        """Validate; text with NUL or other binary control bytes never reaches the database.

        PostgreSQL refuses NUL in text columns, so it must fail here with a message, not there
        with a 500.
        """
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and _has_binary_controls(field.data):
                field.errors = [*field.errors, str(_l("Please remove the special characters."))]
                valid = False
        return valid


class ConfirmForm(BaseForm):
    """A form with nothing but the CSRF token: a confirmation button."""


def _has_binary_controls(text: str) -> bool:
    """Control characters other than tab and line breaks."""
    return any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text)


def not_blank(_form, field) -> None:
    """Reject input that is only white space."""
    if field.data is not None and isinstance(field.data, str) and not field.data.strip():
        raise ValidationError(_l("Please fill in this field."))


def single_line(_form, field) -> None:
    """Reject line breaks and control characters in one-line fields (names, titles)."""
    if field.data and any(ord(ch) < 32 for ch in field.data):
        raise ValidationError(_l("Please use a single line without special characters."))
