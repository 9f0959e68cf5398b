"""Form building blocks shared by all areas."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError


class BaseForm(FlaskForm):
    """Every form: CSRF-protected, messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            from flask_babel import get_translations

            return get_translations()


def not_blank(_form, field) -> None:
    """Reject input that is only white space."""
    if field.data is not None and isinstance(field.data, str) and not field.data.strip():
        raise ValidationError(_l("Please fill in this field."))


def single_line(_form, field) -> None:
    """Reject line breaks and control characters in one-line fields (names, titles)."""
    if field.data and any(ord(ch) < 32 for ch in field.data):
        raise ValidationError(_l("Please use a single line without special characters."))
