"""Notification settings (each person, and the expedition's defaults) and one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from alex.auth.models import User
from alex.expeditions.access import get_facilitation_or_403
from alex.expeditions.models import Membership
from alex.extensions import csrf, db, limiter
from alex.notifications import (
    DEFAULT_CHANNELS,
    WEEKDAYS,
    digest_setting,
    expedition_defaults,
    preferences_of,
    set_digest,
    set_expedition_default,
    set_preference,
)
from alex.reach import forms
from alex.reach.unsubscribe import apply_unsubscribe, read_token
from alex.web import render

bp = Blueprint("reach", __name__)


def _weekdays() -> range:
    """The digest's possible days: not the weekend when weekends are quiet."""
    from flask import current_app

    return range(5) if current_app.config.get("ALEX_QUIET_WEEKENDS", True) else WEEKDAYS


def _my_defaults() -> dict[str, str]:
    """What "Default" means for me: my first expedition's defaults over the app's."""
    first = db.session.scalar(
        select(Membership.expedition_id)
        .where(Membership.user_id == current_user.id)
        .order_by(Membership.id)
        .limit(1)
    )
    return DEFAULT_CHANNELS | (expedition_defaults(db.session, first) if first else {})


def _settings_page(form, status: int = 200):
    return render(
        "reach/settings.html",
        status=status,
        form=form,
        prefix=forms.PREFIX,
        active_nav="account",
    )


@bp.get("/account/notifications")
@login_required
def settings():
    """Where each kind of notification goes, and the weekly digest."""
    setting = digest_setting(db.session, current_user.id)
    form = forms.PreferencesForm(
        formdata=None, digest_enabled=setting.enabled, digest_weekday=setting.weekday
    )
    forms.prepare(form, _my_defaults(), _weekdays())
    forms.fill(form, preferences_of(db.session, current_user.id))
    return _settings_page(form)


@bp.post("/account/notifications")
@login_required
def save_settings():
    """Store the choices this person changed."""
    form = forms.PreferencesForm()
    forms.prepare(form, _my_defaults(), _weekdays())
    if not form.validate_on_submit():
        return _settings_page(form, 422)
    for kind, channel in forms.changes(form).items():
        set_preference(db.session, current_user.id, kind, channel)
    set_digest(
        db.session,
        current_user.id,
        enabled=form.digest_enabled.data,
        weekday=form.digest_weekday.data,
    )
    db.session.commit()
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("reach.settings"))


def _defaults_page(membership, form, status: int = 200):
    return render(
        "reach/defaults.html",
        status=status,
        form=form,
        prefix=forms.PREFIX,
        expedition=membership.expedition,
        membership=membership,
        active_nav="settings",
    )


@bp.get("/expeditions/<int:expedition_id>/notifications")
@login_required
def defaults(expedition_id: int):
    """The facilitators choose the defaults for the members of their expedition."""
    membership = get_facilitation_or_403(expedition_id)
    form = forms.DefaultsForm(formdata=None)
    forms.prepare(form, DEFAULT_CHANNELS)
    forms.fill(form, expedition_defaults(db.session, expedition_id))
    return _defaults_page(membership, form)


@bp.post("/expeditions/<int:expedition_id>/notifications")
@login_required
def save_defaults(expedition_id: int):
    """Store the defaults this facilitator changed."""
    membership = get_facilitation_or_403(expedition_id)
    form = forms.DefaultsForm()
    forms.prepare(form, DEFAULT_CHANNELS)
    if not form.validate_on_submit():
        return _defaults_page(membership, form, 422)
    for kind, channel in forms.changes(form).items():
        set_expedition_default(db.session, expedition_id, kind, channel)
    db.session.commit()
    flash(_("The expedition's notification defaults are saved."), "success")
    return redirect(url_for("reach.defaults", expedition_id=expedition_id))


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """The link in a digest or reminder: a page with one button (a GET never changes anything)."""
    found = read_token(token)
    if found is None or db.session.get(User, found[0]) is None:
        abort(404)
    return render("reach/unsubscribe.html", token=token, topic=found[1], done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
@limiter.limit("30 per minute")
def unsubscribe_now(token: str):
    """RFC 8058 one-click: a mail program POSTs here, without login or CSRF token."""
    found = read_token(token)
    if found is None or db.session.get(User, found[0]) is None:
        abort(404)
    apply_unsubscribe(db.session, *found)
    db.session.commit()
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "", 204
    return render("reach/unsubscribe.html", token=token, topic=found[1], done=True)
