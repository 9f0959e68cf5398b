"""Push settings: turn push on for this device (after the person asks), off, lock-screen choice."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex import outbox
from alex.auth.sessions import describe_user_agent
from alex.db import utcnow
from alex.errors import error_response
from alex.extensions import csrf, db, limiter
from alex.forms import ConfirmForm
from alex.push import deliver, service, vapid
from alex.push.forms import ContentForm, SubscribeForm
from alex.web import htmx_response, nav_url, wants_fragment

bp = Blueprint("push", __name__)
PARTIAL = "push/_push_settings.html"


def settings_context() -> dict:
    """`push_settings()` for the partial: keys, this person's devices, the forms."""
    return {"push_settings": _settings}


def _settings() -> dict:
    keys = vapid.keys(current_app)
    devices = []
    if keys and current_user.is_authenticated:
        for subscription in service.subscriptions_of(db.session, current_user.id):
            browser, system = describe_user_agent(subscription.user_agent)
            devices.append({"row": subscription, "browser": browser, "system": system})
    return {
        "available": keys is not None,
        "public_key": keys.public_key if keys else "",
        "devices": devices,
        "subscribe_form": SubscribeForm(formdata=None),
        "content_form": ContentForm(formdata=None),
    }


def _settings_page() -> str:
    """Where the push settings live: the notification settings, else the account page."""
    return nav_url("reach.settings") or nav_url("auth.account") or "/"


def _answer(message: str, status: int = 200):
    """The partial for an HTMX request (with the message read out), else back to the page."""
    db.session.commit()
    if wants_fragment():
        return htmx_response(PARTIAL, status, trigger={"announce": message})
    flash(message, "success" if status < 400 else "error")
    return redirect(_settings_page(), 303)


@bp.post("/account/push/subscriptions")
@login_required
def subscribe():
    """Keep the subscription the browser just made, after the person pressed the button."""
    if vapid.keys(current_app) is None:
        return error_response(404)
    form = SubscribeForm()
    if not form.validate_on_submit():
        problem = next(iter(form.errors.values()))[0]
        return _answer(str(problem), 422)
    endpoint, p256dh, auth = (
        form.endpoint.data.strip(),
        form.p256dh.data.strip(),
        form.auth.data.strip(),
    )
    if problem := service.subscription_problem(endpoint, p256dh, auth):
        return _answer(problem, 422)
    kept = service.subscribe(
        db.session,
        current_user.id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        user_agent=request.headers.get("User-Agent", ""),
        show_content=form.show_content.data,
    )
    if kept is None:
        return _answer(
            _(
                "Push is on for %(num)d devices already. Turn it off on one first.",
                num=service.MAX_DEVICES,
            ),
            422,
        )
    return _answer(_("Push notifications are on for this device."), 201)


@bp.post("/account/push/subscriptions/<int:subscription_id>/delete")
@login_required
def unsubscribe(subscription_id: int):
    """Turn push off for one device (the browser also forgets its subscription, see push.js)."""
    if not ConfirmForm().validate_on_submit():
        return error_response(400)
    if not service.unsubscribe(db.session, current_user.id, subscription_id):
        return error_response(404)
    return _answer(_("Push notifications are off for this device."))


@bp.post("/push/renew")
@csrf.exempt  # the service worker has no CSRF token; the old subscription's secret proves it
@limiter.limit("30 per hour")
def renew():
    """The service worker's `pushsubscriptionchange`: carry push over to the new subscription."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("subscription"), dict):
        return error_response(400)
    new, keys = data["subscription"], data["subscription"].get("keys")
    fields = [data.get("old_endpoint"), data.get("old_auth"), new.get("endpoint")]
    fields += [keys.get("p256dh"), keys.get("auth")] if isinstance(keys, dict) else [None, None]
    if not all(isinstance(value, str) and 0 < len(value) <= 1000 for value in fields):
        return error_response(400)
    old_endpoint, old_auth, endpoint, p256dh, auth = fields
    if service.subscription_problem(endpoint, p256dh, auth):
        return error_response(422)
    if not service.renew(
        db.session,
        old_endpoint=old_endpoint,
        old_auth=old_auth,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
    ):
        return error_response(404)
    db.session.commit()
    return Response(status=204)


@bp.post("/account/push/test")
@login_required
def send_test():
    """A test notification to each of the person's devices, through the outbox like any other."""
    if vapid.keys(current_app) is None:
        return error_response(404)
    if not ConfirmForm().validate_on_submit():
        return error_response(400)
    if not service.subscriptions_of(db.session, current_user.id):
        return _answer(_("Turn push on for a device first."), 422)
    minute = utcnow().strftime("%Y%m%d%H%M")
    outbox.enqueue(
        db.session,
        channel="push",
        kind=deliver.TEST_KIND,
        template="",
        context={"link": _settings_page()},
        user_id=current_user.id,
        dedupe_key=f"push-test:{current_user.id}:{minute}",  # at most one a minute
    )
    return _answer(_("A test notification is on its way to your devices."))


@bp.post("/account/push/subscriptions/<int:subscription_id>/content")
@login_required
def set_content(subscription_id: int):
    """Choose whether the device's lock screen shows what a message is about."""
    form = ContentForm()
    if not form.validate_on_submit():
        return error_response(400)
    if not service.set_show_content(
        db.session, current_user.id, subscription_id, form.show_content.data
    ):
        return error_response(404)
    if form.show_content.data:
        return _answer(_("This device's lock screen shows what a notification is about."))
    return _answer(_("This device's lock screen shows only that there is something new."))
