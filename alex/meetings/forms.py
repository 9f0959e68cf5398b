"""Forms of the meetings area: scheduling a meeting and every command of the live run-sheet.

The forms check the shape of the input (a whole number the database can hold, a text of
bounded length); the service checks the rules of the meeting (is this step in the run-sheet,
is voting open) and says what went wrong.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from alex.forms import BaseForm, BoundedIntegerField, single_line
from alex.meetings.models import ITEM_MAX, PROMPT_MAX, WORD_MAX
from alex.meetings.series import location_problem
from alex.meetings.service import (
    GROUP_TITLE_MAX,
    NOTES_MAX,
    TIMER_MAX_MINUTES,
    VOTE_LIMIT_MAX,
)

KIND_LABELS = {
    "kickoff": _l("Auftakt (kick-off)"),
    "zirkeltreffen": _l("Zirkeltreffen (end of sprint)"),
    "pit_stop": _l("Boxenstopp"),
    "closing": _l("Abschluss (closing)"),
}
# The largest id or version an INTEGER column holds: the same bound as the URL converter.
NUMBER_MAX = 2**31 - 1
# Check boxes and the presence toggle post "1" or "0".
FALSE_VALUES = (False, "false", "", "0")
# Custom prompts arrive one a line; the service counts and measures each, this only caps the
# size of what is read at all.
PROMPTS_TEXT_MAX = 2000


def whole_number(
    label: str, minimum: int = 1, maximum: int = NUMBER_MAX, message=None, required: bool = True
) -> BoundedIntegerField:
    """A whole number within bounds (ids and versions: anything the database can hold)."""
    message = message or _l("Please choose one of the options.")
    presence = InputRequired(message) if required else Optional()
    return BoundedIntegerField(
        label,
        validators=[presence, NumberRange(minimum, maximum, message)],
        minimum=minimum,
        maximum=maximum,
        invalid=message,
    )


def flag(label: str) -> BooleanField:
    """A yes/no choice posted as "1" or "0" (or left out)."""
    return BooleanField(label, false_values=FALSE_VALUES)


def bounded_text(label: str, maximum: int, message, area: bool = False):
    """A text of at most `maximum` characters (the service decides whether it may be empty)."""
    field = TextAreaField if area else StringField
    return field(label, default="", validators=[Length(max=maximum, message=message)])


def secure_link(_form, field) -> None:
    """A place is free text; a video link in it must start with https://."""
    problem = location_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ScheduleForm(BaseForm):
    """Date, time, place and moderation of a meeting."""

    kind = SelectField(
        _l("Kind of meeting"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()]
    )
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date."))])
    time = TimeField(_l("Time"), validators=[InputRequired(_l("Please choose a time."))])
    duration_minutes = BoundedIntegerField(
        _l("Duration in minutes"),
        default=90,
        validators=[
            InputRequired(_l("Please enter a duration.")),
            NumberRange(15, 480, _l("Choose between %(min)s and %(max)s minutes.")),
        ],
    )
    location = StringField(
        _l("Place or video link"),
        validators=[
            Optional(),
            single_line,
            Length(max=500, message=_l("Please use at most %(max)d characters.")),
            secure_link,
        ],
    )
    sprint_number = SelectField(_l("Sprint it closes"), coerce=str, default="")
    moderator_id = SelectField(_l("Moderation"), coerce=str, default="")
    # Only for a meeting of a series: change it alone, or it and all later ones of the series.
    scope = RadioField(
        _l("Apply the changes to"),
        choices=[
            SelectChoice("one", _l("only this meeting")),
            SelectChoice("following", _l("this and all following meetings of the series")),
        ],
        default="one",
        validators=[Optional()],
    )


def seen_state(label: str, maximum: int = 40) -> StringField:
    """What the facilitator's page showed of the thing a command moves (left out: no check).

    Facilitator commands are targets; this is how the service tells a double-click (already
    there: fine) from another facilitator's change in between (a conflict).
    """
    return StringField(label, default=None, validators=[Optional(), Length(max=maximum)])


class TargetForm(BaseForm):
    """A facilitator command with the state its page showed."""

    seen = seen_state(_l("Shown state"))  # None when the client sent none


class StepForm(TargetForm):
    """Move the run-sheet to a step, optionally marking the current one as skipped."""

    step = StringField(_l("Step"), validators=[InputRequired(), Length(max=20)])
    skip = flag(_l("Skip this step"))


class PhaseForm(TargetForm):
    """Move the retro to a phase."""

    phase = StringField(_l("Phase"), validators=[InputRequired(), Length(max=20)])


class TimerForm(TargetForm):
    """Start a countdown (0 minutes: stop it)."""

    minutes = whole_number(
        _l("Minutes"),
        minimum=0,
        maximum=TIMER_MAX_MINUTES,
        message=_l("Please choose between 1 and %(max)d minutes.", max=TIMER_MAX_MINUTES),
    )


class ReviewPersonForm(TargetForm):
    """Whose turn it is in the review round, with their time."""

    user_id = whole_number(_l("Person"), message=_l("Please choose a member of the expedition."))
    minutes = BoundedIntegerField(
        _l("Minutes"),
        default=5,
        validators=[
            Optional(),
            NumberRange(
                0,
                TIMER_MAX_MINUTES,
                _l("Please choose between 1 and %(max)d minutes.", max=TIMER_MAX_MINUTES),
            ),
        ],
    )


class NotesForm(BaseForm):
    """The shared notes of the meeting."""

    notes = bounded_text(
        _l("Notes"),
        NOTES_MAX,
        _l("Please keep the notes under %(max)d characters.", max=NOTES_MAX),
        area=True,
    )


class CheckInForm(BaseForm):
    """Mood and a word on arrival."""

    mood = whole_number(_l("Mood"), maximum=5, message=_l("Please choose a mood from 1 to 5."))
    word = bounded_text(
        _l("A word"), WORD_MAX, _l("Please use at most %(max)d characters.", max=WORD_MAX)
    )


class PresenceForm(BaseForm):
    """Who is in the room."""

    user_id = whole_number(_l("Person"), message=_l("Please choose a member of the expedition."))
    present = flag(_l("here"))


class RetroSetupForm(BaseForm):
    """The retro's format (or a saved one: "template:<id>"), prompts and rules."""

    format = StringField(
        _l("Format"),
        validators=[InputRequired(_l("Please choose a retro format.")), Length(max=40)],
    )
    prompts = bounded_text(
        _l("Own prompts"),
        PROMPTS_TEXT_MAX,
        _l("Please use at most %(max)d characters.", max=PROMPTS_TEXT_MAX),
        area=True,
    )
    anonymous = flag(_l("Anonymous notes"))
    votes_enabled = flag(_l("Dot voting"))
    vote_limit = BoundedIntegerField(
        _l("Votes per person"),
        default=3,
        validators=[
            Optional(),
            NumberRange(
                1,
                VOTE_LIMIT_MAX,
                _l("Please allow between 1 and %(max)d votes per person.", max=VOTE_LIMIT_MAX),
            ),
        ],
    )
    template_name = bounded_text(
        _l("Save as"),
        PROMPT_MAX,
        _l("Please keep the name under %(max)d characters.", max=PROMPT_MAX),
    )

    TEMPLATE_PREFIX = "template:"

    def saved_template_id(self) -> int | None:
        """The id of a saved format chosen as "template:<id>" (0 if it cannot be one), else None."""
        value = self.format.data or ""
        if not value.startswith(self.TEMPLATE_PREFIX):
            return None
        number = value.removeprefix(self.TEMPLATE_PREFIX)
        if not number.isdigit() or not 0 < int(number) <= NUMBER_MAX:
            return 0
        return int(number)


class NoteForm(BaseForm):
    """A new retro note under one of the prompts."""

    prompt = whole_number(_l("Prompt"), minimum=0, message=_l("Please choose one of the prompts."))
    text = bounded_text(
        _l("My note"),
        ITEM_MAX,
        _l("Please keep your note under %(max)d characters.", max=ITEM_MAX),
        area=True,
    )


class NoteTextForm(BaseForm):
    """The changed text of one's own note."""

    text = bounded_text(
        _l("Edit my note"),
        ITEM_MAX,
        _l("Please keep your note under %(max)d characters.", max=ITEM_MAX),
        area=True,
    )


class GroupForm(BaseForm):
    """The note to gather this one with (empty: take it out of its group)."""

    other_id = whole_number(_l("Group with"), required=False)
    whole = flag(_l("With its whole group"))


class GroupTitleForm(BaseForm):
    """The title of a group of notes."""

    title = bounded_text(
        _l("Group title"),
        GROUP_TITLE_MAX,
        _l("Please keep the title under %(max)d characters.", max=GROUP_TITLE_MAX),
    )


class DoneWritingForm(BaseForm):
    """A participant's "I am done writing" (0: not yet)."""

    done = flag(_l("I am done writing"))


class DiscussForm(BaseForm):
    """The note being discussed (empty: none)."""

    item_id = whole_number(_l("Note"), required=False)


class ActionForm(BaseForm):
    """An action agreed in the retro, with its owner and the note it answers."""

    title = bounded_text(
        _l("Action"), 200, _l("Please keep the action under %(max)d characters.", max=200)
    )
    owner_id = whole_number(_l("Who"), message=_l("The owner must be a member of the expedition."))
    kind = StringField(_l("Kind"), default="", validators=[Length(max=16)])
    item_id = whole_number(_l("From the note"), required=False)


class OutcomeForm(BaseForm):
    """How an earlier action went."""

    outcome = StringField(_l("Outcome"), default="", validators=[Length(max=16)])
    note = bounded_text(
        _l("One sentence (optional)"),
        ITEM_MAX,
        _l("Please keep your note under %(max)d characters.", max=ITEM_MAX),
    )


class FocusForm(BaseForm):
    """One's focus for the next sprint."""

    focus = bounded_text(
        _l("My focus"),
        ITEM_MAX,
        _l("Please keep your focus under %(max)d characters.", max=ITEM_MAX),
        area=True,
    )
