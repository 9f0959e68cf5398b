"""The facilitators' webhook settings of an expedition: register, turn on and off, delete."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from alex.events import EVENTS
from alex.expeditions.access import get_facilitation_or_403
from alex.expeditions.models import Membership
from alex.extensions import db
from alex.forms import ConfirmForm
from alex.web import render
from alex.webhooks import service
from alex.webhooks.forms import EnabledForm, WebhookForm
from alex.webhooks.models import Webhook

bp = Blueprint("webhooks", __name__)


@bp.after_request
def never_store(response):
    """A page that shows a secret once is kept by no browser cache or service worker."""
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


def get_webhook_or_404(membership: Membership, webhook_id: int) -> Webhook:
    """A webhook of the facilitator's expedition; another expedition's is as good as missing."""
    webhook = db.session.scalar(
        select(Webhook).where(
            Webhook.id == webhook_id, Webhook.expedition_id == membership.expedition_id
        )
    )
    if webhook is None:
        abort(404)
    return webhook


def _page(membership: Membership, form: WebhookForm, status: int = 200, **extra):
    hooks = service.webhooks_of(db.session, membership.expedition_id)
    return render(
        "webhooks/settings.html",
        status=status,
        expedition=membership.expedition,
        form=form,
        hooks=hooks,
        deliveries=service.deliveries_of(db.session, [h.id for h in hooks]),
        events=EVENTS,
        event_label=service.event_label,
        max_hooks=service.MAX_WEBHOOKS,
        confirm_form=ConfirmForm(formdata=None),
        active_nav="more",
        **extra,
    )


@bp.get("/expeditions/<int:expedition_id>/webhooks")
@login_required
def settings(expedition_id: int):
    """The expedition's webhooks and the form for a new one."""
    membership = get_facilitation_or_403(expedition_id)
    return _page(membership, WebhookForm(formdata=None, events=list(EVENTS)))


@bp.post("/expeditions/<int:expedition_id>/webhooks")
@login_required
def create(expedition_id: int):
    """Register a webhook; the answer shows its secret, once."""
    membership = get_facilitation_or_403(expedition_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(membership, form, 422)
    try:
        webhook = service.create_webhook(
            db.session, expedition_id, current_user.id, form.url.data, form.events.data or []
        )
    except service.WebhookError as error:
        field = form.events if error.field == "events" else form.url
        field.errors = [*field.errors, str(error)]
        return _page(membership, form, 422)
    secret = webhook.secret
    db.session.commit()
    fresh = WebhookForm(formdata=None, events=list(EVENTS))
    return _page(membership, fresh, 201, new_hook=webhook, secret=secret)


@bp.post("/expeditions/<int:expedition_id>/webhooks/<int:webhook_id>/enabled")
@login_required
def set_enabled(expedition_id: int, webhook_id: int):
    """Turn a webhook on or off."""
    membership = get_facilitation_or_403(expedition_id)
    webhook = get_webhook_or_404(membership, webhook_id)
    form = EnabledForm()
    if not form.validate_on_submit():
        flash(_("Please reload the page and try again."), "error")
        return redirect(url_for(".settings", expedition_id=expedition_id), 303)
    enabled = form.enabled.data == "1"
    service.set_enabled(db.session, webhook, enabled)
    db.session.commit()
    flash(_("The webhook is on.") if enabled else _("The webhook is off."), "success")
    return redirect(url_for(".settings", expedition_id=expedition_id), 303)


@bp.post("/expeditions/<int:expedition_id>/webhooks/<int:webhook_id>/delete")
@login_required
def delete(expedition_id: int, webhook_id: int):
    """Delete a webhook; nothing more is sent to it."""
    membership = get_facilitation_or_403(expedition_id)
    webhook = get_webhook_or_404(membership, webhook_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Please reload the page and try again."), "error")
        return redirect(url_for(".settings", expedition_id=expedition_id), 303)
    service.delete_webhook(db.session, webhook)
    db.session.commit()
    flash(_("The webhook is deleted."), "success")
    return redirect(url_for(".settings", expedition_id=expedition_id), 303)


@bp.post("/expeditions/<int:expedition_id>/webhooks/<int:webhook_id>/test")
@login_required
def send_test(expedition_id: int, webhook_id: int):
    """Send a signed test event now (also to a webhook that is off, to check a fix)."""
    membership = get_facilitation_or_403(expedition_id)
    webhook = get_webhook_or_404(membership, webhook_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Please reload the page and try again."), "error")
        return redirect(url_for(".settings", expedition_id=expedition_id), 303)
    service.send_test(db.session, webhook)
    db.session.commit()
    flash(
        _("A test event is on its way. Reload the page in a moment to see how it went."), "success"
    )
    return redirect(url_for(".settings", expedition_id=expedition_id), 303)
