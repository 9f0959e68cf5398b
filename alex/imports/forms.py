"""The upload form and the mapping form (one column choice and one sharing box per list)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from alex.boards.labels import COLUMN_LABELS
from alex.forms import BaseForm
from alex.imports.formats import FORMAT_NAMES, FORMATS
from alex.imports.service import CHOICES, SKIP, Plan


class UploadForm(BaseForm):
    """A board export file and, where detection is not wanted, its tool."""

    file = FileField(_l("Export file"), validators=[FileRequired(_l("Please choose a file."))])
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("auto", _l("Recognise automatically"))]
        + [SelectChoice(key, FORMAT_NAMES[key]) for key in FORMATS],
        default="auto",
    )


class MappingForm(BaseForm):
    """Where each list goes and which lists' cards the Zirkel sees; `refresh` or `confirm`."""

    preview = HiddenField()
    refresh = SubmitField(_l("Update preview"))
    confirm = SubmitField(_l("Import cards"))


def mapping_form(list_count: int, plan: Plan | None = None) -> MappingForm:
    """A mapping form with a select and a box per list: from `plan`, or without it the request."""
    fields = {}
    for index in range(list_count):
        fields[f"list_{index}"] = SelectField(
            _l("Column on your board"), choices=[], validate_choice=True
        )
        fields[f"share_{index}"] = BooleanField(_l("Share these cards with the Zirkel"))
    form_class = type("ListMappingForm", (MappingForm,), fields)
    data = None
    if plan is not None:
        data = {f"list_{index}": column for index, column in enumerate(plan.columns)}
        data |= {f"share_{index}": index in plan.shared for index in range(list_count)}
    form = form_class() if plan is None else form_class(formdata=None, data=data)
    choices = [SelectChoice(c, str(COLUMN_LABELS[c])) for c in CHOICES if c != SKIP]
    choices.append(SelectChoice(SKIP, _("Leave out")))
    for index in range(list_count):
        form[f"list_{index}"].choices = choices
    return form


def plan_of(form: MappingForm, list_count: int) -> Plan:
    """The person's choices as a plan."""
    return Plan(
        tuple(form[f"list_{index}"].data for index in range(list_count)),
        frozenset(index for index in range(list_count) if form[f"share_{index}"].data),
    )
