"""Forms of the boards area: cards, moves, checklist, Vorhaben, sprint notes, Logbuch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from alex.boards.models import TEXT_MAX, TITLE_MAX
from alex.forms import BaseForm, BoundedIntegerField, VersionField, not_blank, single_line

TOO_LONG = _l("Please use at most %(max)d characters.")
SENTENCE_MAX = 500
POSITION_MAX = 10_000
KIND_CHOICES = [SelectChoice("task", _l("Task")), SelectChoice("experiment", _l("Experiment"))]
VISIBILITY_CHOICES = [
    SelectChoice("zirkel", _l("My Zirkel")),
    SelectChoice("private", _l("Only me")),
]


def column_choices():
    """The board's columns with their names in the user's language."""
    from alex.boards.labels import COLUMN_LABELS

    return [SelectChoice(key, label) for key, label in COLUMN_LABELS.items()]


def _text(label, max_length=TEXT_MAX, **kwargs):
    return TextAreaField(
        label, validators=[Optional(), Length(max=max_length, message=TOO_LONG)], **kwargs
    )


def _title(label=None, placeholder=None):
    return StringField(
        label or _l("Title"),
        # On phones the new-card label is hidden to leave the first screen to the cards.
        render_kw={"placeholder": placeholder} if placeholder else None,
        validators=[
            InputRequired(_l("Please give the card a title.")),
            not_blank,
            single_line,
            Length(max=TITLE_MAX, message=TOO_LONG),
        ],
    )


class NewCardForm(BaseForm):
    title = _title(_l("New card"), placeholder=_l("New card: what do you want to try?"))
    column = SelectField(_l("Column"), default="ideas")
    kind = RadioField(
        _l("Kind"),
        choices=KIND_CHOICES,
        default="task",
    )
    visibility = RadioField(
        _l("Who sees it"),
        choices=VISIBILITY_CHOICES,
        default="zirkel",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.column.choices = column_choices()


class CardForm(BaseForm):
    version = VersionField(validators=[InputRequired()])
    title = _title()
    notes = _text(_l("Notes"))
    kind = RadioField(
        _l("Kind"),
        choices=KIND_CHOICES,
        default="task",
    )
    visibility = RadioField(
        _l("Who sees it"),
        choices=VISIBILITY_CHOICES,
        default="zirkel",
    )
    sprint_number = SelectField(_l("Sprint"), coerce=str, default="")
    hypothesis = _text(_l("Hypothesis: what do I expect?"))
    result = _text(_l("Result: what happened?"))
    learning = _text(_l("What have I learned?"))


class MoveForm(BaseForm):
    column = SelectField(_l("Move to column"))
    # The stable interface: 0-based `position`; people fill in `place` (1 = top) instead.
    position = BoundedIntegerField(
        validators=[
            Optional(),
            NumberRange(0, POSITION_MAX, _l("Please enter a place from 1 to %(max)s.")),
        ],
    )
    place = BoundedIntegerField(
        _l("Place in the column (1 = top, empty = at the end)"),
        validators=[
            Optional(),
            NumberRange(1, POSITION_MAX, _l("Please enter a place from %(min)s to %(max)s.")),
        ],
    )
    version = VersionField(
        validators=[InputRequired(_l("Please reload the board."))],
        invalid=_l("Please reload the board."),
    )
    learning = _text(_l("What have I learned?"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.column.choices = column_choices()

    def zero_based_position(self) -> int | None:
        """The place asked for, 0-based; None for the end of the column."""
        if self.position.data is not None:
            return self.position.data
        return self.place.data - 1 if self.place.data is not None else None


class AdvanceForm(BaseForm):
    """The one-tap "→" button: its value is "<card id>:<version>"."""

    card = StringField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}:[0-9]{1,9}$")])

    def card_and_version(self) -> tuple[int, int]:
        card_id, version = self.card.data.split(":")
        return int(card_id), int(version)


class TickForm(BaseForm):
    """Tick a checklist line (done=1) or untick it (done absent)."""

    done = BooleanField()


class ChecklistItemForm(BaseForm):
    text = StringField(
        _l("New checklist item"),
        validators=[
            InputRequired(_l("Please write what to tick off.")),
            not_blank,
            single_line,
            Length(max=TITLE_MAX, message=TOO_LONG),
        ],
    )


class VorhabenForm(BaseForm):
    version = VersionField(validators=[Optional()])
    what = _text(_l("What I want to learn or change"), max_length=2000)
    why = _text(_l("Why it matters to me"), max_length=2000)
    success_signs = _text(_l("How I will notice that I got there"), max_length=2000)
    support_needed = _text(_l("What support I need"), max_length=2000)
    first_steps = _text(_l("My first steps"), max_length=2000)
    reason = StringField(
        _l("Why are you changing it? (optional)"),
        validators=[Optional(), single_line, Length(max=SENTENCE_MAX, message=TOO_LONG)],
    )


class FocusForm(BaseForm):
    focus = StringField(
        _l("My focus for this sprint"),
        validators=[
            InputRequired(_l("Please write one sentence.")),
            not_blank,
            single_line,
            Length(max=SENTENCE_MAX, message=TOO_LONG),
        ],
    )


class AssessmentForm(BaseForm):
    confidence = BoundedIntegerField(
        _l("How confident are you of reaching your Vorhaben? (1–10)"),
        invalid=_l("Please choose a number from 1 to 10."),
        validators=[
            InputRequired(_l("Please choose a number from 1 to 10.")),
            NumberRange(1, 10, _l("Please choose a number from 1 to 10.")),
        ],
    )
    assessment = StringField(
        _l("One sentence about this sprint"),
        validators=[Optional(), single_line, Length(max=SENTENCE_MAX, message=TOO_LONG)],
    )


class WipForm(BaseForm):
    wip_limit = BoundedIntegerField(
        _l("Soft limit for “In progress”"),
        invalid=_l("Please enter a number from 1 to 20."),
        validators=[
            InputRequired(_l("Please enter a number from 1 to 20.")),
            NumberRange(1, 20, _l("Please enter a number from 1 to 20.")),
        ],
    )


class CheckInForm(BaseForm):
    done = _text(_l("Done"), max_length=2000)
    learned = _text(_l("Learned"), max_length=2000)
    next_steps = _text(_l("Next"), max_length=2000)
    stuck = _text(_l("Stuck"), max_length=2000)
    needs_support = BooleanField(_l("I need support"))
    private = BooleanField(_l("Only for me (private)"))
