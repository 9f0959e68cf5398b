"""Forms of the Börse and the instance library."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from alex.forms import BaseForm, BoundedIntegerField, not_blank, single_line
from alex.openings.models import LISTING_TEXT_MAX, MESSAGE_MAX, NAME_MAX
from alex.openings.service import SEATS_MAX


class ListingForm(BaseForm):
    """List an expedition on the Börse (or change its listing)."""

    seats = BoundedIntegerField(
        _l("Places offered"),
        validators=[
            InputRequired(_l("Please enter how many people you can take in.")),
            NumberRange(1, SEATS_MAX, _l("Offer between %(min)s and %(max)s places.")),
        ],
    )
    deadline = DateField(
        _l("Sign-up deadline"),
        validators=[InputRequired(_l("Please choose the last day to ask."))],
    )
    description = TextAreaField(
        _l("What should people know?"),
        validators=[
            InputRequired(_l("Please say in a few words what the expedition is about.")),
            not_blank,
            Length(max=LISTING_TEXT_MAX, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class JoinRequestForm(BaseForm):
    """Ask to join, with an optional word to the facilitator."""

    message = TextAreaField(
        _l("A word to the facilitator (optional)"),
        validators=[
            Optional(),
            Length(max=MESSAGE_MAX, message=_l("Please use at most %(max)d characters.")),
        ],
    )


class ShareVorlageForm(BaseForm):
    """Share an expedition's settings in the library."""

    name = StringField(
        _l("Name in the library"),
        validators=[
            InputRequired(_l("Please give it a name.")),
            not_blank,
            single_line,
            Length(max=NAME_MAX, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    note = TextAreaField(
        _l("A word on when it fits (optional)"),
        validators=[
            Optional(),
            Length(max=LISTING_TEXT_MAX, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    show_name = BooleanField(_l("Show my name with it"))


class ShareFormatForm(BaseForm):
    """Share one of the expedition's saved retro formats in the library."""

    template_id = BoundedIntegerField(
        _l("Retro format"), validators=[InputRequired(_l("Please choose a retro format."))]
    )
    show_name = BooleanField(_l("Show my name with it"))


class AdoptFormatForm(BaseForm):
    """Copy a library format into one of the expeditions one facilitates."""

    expedition_id = BoundedIntegerField(
        _l("Add to"), validators=[InputRequired(_l("Please choose an expedition."))]
    )
