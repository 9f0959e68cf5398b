"""Forms of the webhooks area: a new webhook, and turning one on or off."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from alex.events import EVENTS
from alex.forms import BaseForm, single_line
from alex.webhooks.models import URL_MAX


class WebhookForm(BaseForm):
    """Where the events go and which ones (the service checks the address itself)."""

    url = URLField(
        _l("Address (https://…)"),
        validators=[
            InputRequired(_l("Please give the address the events are sent to.")),
            Length(max=URL_MAX, message=_l("Please keep the address under 500 characters.")),
            single_line,
        ],
    )
    events = SelectMultipleField(
        _l("Events"),
        choices=[SelectChoice(event, event) for event in EVENTS],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )


class EnabledForm(BaseForm):
    """Turn a webhook on ("1") or off ("0")."""

    enabled = HiddenField(validators=[AnyOf(("0", "1"), message=_l("Please reload the page."))])
