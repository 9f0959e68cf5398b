"""Forms of the operator's console (every one a POST with CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Length, Optional

from alex.auth.instance import ANNOUNCEMENT_MAX, EVERYONE, LISTED
from alex.forms import BaseForm


class ConfirmForm(BaseForm):
    """A button: unlock, reset link, deactivate, reactivate, delete."""


class RolesForm(BaseForm):
    """The instance roles of one account."""

    is_operator = BooleanField(_l("Operator (Betrieb): runs this installation"))
    is_training_office = BooleanField(_l("Training office (Bildung): sees aggregate figures"))
    may_create_expeditions = BooleanField(
        _l("May create expeditions (when only listed people may)")
    )
    # The roles the form showed as held (service.roles_shown); left out: no check.
    seen = HiddenField(default=None, validators=[Optional(), Length(max=100)])


class PolicyForm(BaseForm):
    """Who may start an expedition."""

    policy = RadioField(
        _l("Who may create expeditions?"),
        choices=[
            SelectChoice(EVERYONE, _l("Everyone with an account")),
            SelectChoice(LISTED, _l("Only listed people (and those the identity provider names)")),
        ],
        default=EVERYONE,
    )


class AnnouncementForm(BaseForm):
    """The banner everyone sees; empty text removes it."""

    text = TextAreaField(
        _l("Announcement"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            Length(max=ANNOUNCEMENT_MAX, message=_l("Please use at most %(max)d characters."))
        ],
    )
    until = DateField(_l("Show until (including this day)"), validators=[Optional()])


class CloseAnnouncementForm(BaseForm):
    """A browser closes the banner it saw (remembered in a cookie)."""

    revision = HiddenField()
    next = HiddenField()
