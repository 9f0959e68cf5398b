"""Forms of the push area: the subscription a browser made, and the lock-screen choice."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired, Length

from alex.forms import BaseForm
from alex.push.models import ENDPOINT_MAX

_MISSING = _l("Your browser did not give a push subscription. Please try again.")


class SubscribeForm(BaseForm):
    """Filled by static/js/push.js from the browser's PushSubscription after the person agreed."""

    endpoint = HiddenField(validators=[InputRequired(_MISSING), Length(max=ENDPOINT_MAX)])
    p256dh = HiddenField(validators=[InputRequired(_MISSING), Length(max=100)])
    auth = HiddenField(validators=[InputRequired(_MISSING), Length(max=30)])
    show_content = BooleanField(_l("Show what it is about on this device's lock screen"))


class ContentForm(BaseForm):
    """The lock-screen choice of one device."""

    show_content = BooleanField(_l("Show what it is about on the lock screen"))
