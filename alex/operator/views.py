"""The operator's console ("Betrieb"): accounts, instance settings, audit log.

Only for accounts with `is_operator`; everyone else logged in gets 404, as if it did not exist.
Nothing here shows expedition content.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex.auth.hooks import account_facts
from alex.auth.instance import CLOSED_COOKIE, read_settings
from alex.auth.instance import latest_retention_runs as retention_runs
from alex.extensions import db, htmx
from alex.operator import service
from alex.operator.forms import (
    AnnouncementForm,
    CloseAnnouncementForm,
    ConfirmForm,
    PolicyForm,
    RolesForm,
)
from alex.web import is_safe_next, render

bp = Blueprint("operator", __name__)


def operator_required(view):
    """Logged in (else the login page) and an operator (else 404: the console is not there)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_operator:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _account_or_404(user_id: int) -> service.AccountRow:
    row = service.account(db.session, account_facts(), user_id)
    if row is None:
        abort(404)
    return row


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@bp.get("/betrieb")
@operator_required
def console():
    """The console's front page: who may create expeditions, the banner, the retention purge."""
    settings = read_settings(db.session)
    announcement = AnnouncementForm(
        formdata=None,
        text=settings.announcement or "",
        until=_local_date(settings.announcement_until),
    )
    return render(
        "operator/console.html",
        policy_form=PolicyForm(formdata=None, policy=settings.expedition_creation),
        announcement_form=announcement,
        settings=settings,
        runs=retention_runs(db.session),
    )


@bp.get("/betrieb/accounts")
@operator_required
def accounts():
    """All accounts, searchable, a page at a time."""
    listing = service.list_accounts(
        db.session, account_facts(), request.args.get("q", ""), _page_arg()
    )
    return render("operator/accounts.html", "operator/_accounts.html", listing=listing)


@bp.get("/betrieb/accounts/<int:user_id>")
@operator_required
def account(user_id: int):
    """One account: its state, its roles and what the operator can do."""
    row = _account_or_404(user_id)
    return _account_page(row, _roles_form(row))


def _roles_form(row: service.AccountRow) -> RolesForm:
    """The roles as they are now, with what the form shows as its `seen` state."""
    return RolesForm(formdata=None, obj=row, seen=service.roles_shown(row))


def _account_page(
    row: service.AccountRow, roles_form: RolesForm, status: int = 200, roles_conflict: str = ""
):
    return render(
        "operator/account.html",
        row=row,
        roles_form=roles_form,
        roles_conflict=roles_conflict,
        history=service.audit_log(db.session, target=row.id).lines[:10],
        status=status,
    )


def _act(user_id: int, action, done):
    """Run one account action after the CSRF check; refusals come back as a message.

    `done` is the message on success, or a function of what the action returned that gives it.
    """
    _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = action()
    except service.ConsoleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("operator.account", user_id=user_id))
    db.session.commit()
    flash(done(result) if callable(done) else done, "success")
    return redirect(url_for("operator.account", user_id=user_id))


@bp.post("/betrieb/accounts/<int:user_id>/unlock")
@operator_required
def unlock(user_id: int):
    """Lift the wait after failed tries."""
    return _act(
        user_id,
        lambda: service.unlock(db.session, current_user, user_id),
        _("The account is unlocked: the next try is checked at once."),
    )


@bp.post("/betrieb/accounts/<int:user_id>/reset-link")
@operator_required
def send_reset_link(user_id: int):
    """Mail a password-reset link to the account's address."""
    return _act(
        user_id,
        lambda: service.send_reset_link(
            db.session,
            current_user,
            user_id,
            lambda token: url_for("auth.reset_password", token=token),
            current_app.config["ALEX_RESET_ADDRESS_LIMIT"],
            current_app.config["RATELIMIT_KEY_PREFIX"],
        ),
        lambda link_sent: (
            _("A reset link is on its way to the account's address (valid for 30 minutes).")
            if link_sent
            else _(
                "This account signs in only with the organisation's login, so it gets no reset "
                "link: its address was sent how to log in instead."
            )
        ),
    )


@bp.get("/betrieb/accounts/<int:user_id>/deactivate")
@operator_required
def deactivate_confirm(user_id: int):
    """Ask before deactivating."""
    return render(
        "operator/confirm.html",
        row=_account_or_404(user_id),
        form=ConfirmForm(formdata=None),
        action="deactivate",
    )


@bp.post("/betrieb/accounts/<int:user_id>/deactivate")
@operator_required
def deactivate(user_id: int):
    """Deactivate: no more logins, every session ends now."""
    return _act(
        user_id,
        lambda: service.deactivate(db.session, current_user, user_id),
        _("The account is deactivated and logged out everywhere."),
    )


@bp.post("/betrieb/accounts/<int:user_id>/reactivate")
@operator_required
def reactivate(user_id: int):
    """Let the account log in again."""
    return _act(
        user_id,
        lambda: service.reactivate(db.session, current_user, user_id),
        _("The account can log in again."),
    )


@bp.post("/betrieb/accounts/<int:user_id>/roles")
@operator_required
def set_roles(user_id: int):
    """Grant or revoke operator, training office and "may create expeditions"."""
    row = _account_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return _account_page(row, form, status=422)
    wanted = {role: bool(getattr(form, role).data) for role in service.ROLES}
    seen = service.parse_seen(form.seen.data)
    try:
        changes = service.set_roles(db.session, current_user, user_id, wanted, seen)
    except service.StaleRoles as error:
        # Another operator saved first: the fresh roles and why nothing was saved.
        db.session.rollback()
        fresh = _account_or_404(user_id)
        return _account_page(fresh, _roles_form(fresh), status=409, roles_conflict=str(error))
    except service.ConsoleError as error:
        db.session.rollback()
        form.is_operator.errors = [str(error)]
        return _account_page(row, form, status=422)
    db.session.commit()
    flash(_("The roles are saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("operator.account", user_id=user_id))


@bp.get("/betrieb/accounts/<int:user_id>/delete")
@operator_required
def delete_confirm(user_id: int):
    """Ask before deleting."""
    return render(
        "operator/confirm.html",
        row=_account_or_404(user_id),
        form=ConfirmForm(formdata=None),
        action="delete",
    )


@bp.post("/betrieb/accounts/<int:user_id>/delete")
@operator_required
def delete(user_id: int):
    """Delete the account the way its owner would."""
    _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.remove_account(db.session, current_user, user_id)
    except service.ConsoleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("operator.account", user_id=user_id))
    db.session.commit()
    flash(_("The account and its personal data are deleted."), "success")
    return redirect(url_for("operator.accounts"))


@bp.post("/betrieb/policy")
@operator_required
def creation_policy():
    """Save who may create expeditions."""
    form = PolicyForm()
    if not form.validate_on_submit():
        abort(400)
    service.set_creation_policy(db.session, current_user, form.policy.data)
    db.session.commit()
    flash(_("Saved: who may create expeditions."), "success")
    return redirect(url_for("operator.console"))


@bp.post("/betrieb/announcement")
@operator_required
def announcement():
    """Set, change or remove the banner everyone sees."""
    form = AnnouncementForm()
    if request.form.get("remove"):
        form.text.data, form.until.data = "", None
    if not form.validate_on_submit():
        settings = read_settings(db.session)
        return render(
            "operator/console.html",
            policy_form=PolicyForm(formdata=None, policy=settings.expedition_creation),
            announcement_form=form,
            settings=settings,
            runs=retention_runs(db.session),
            status=422,
        )
    until = _end_of_day(form.until.data) if form.until.data else None
    service.set_announcement(db.session, current_user, form.text.data, until)
    db.session.commit()
    flash(
        _("The announcement is shown.") if form.text.data else _("The announcement is removed."),
        "success",
    )
    return redirect(url_for("operator.console"))


@bp.get("/betrieb/audit")
@operator_required
def audit():
    """Every operator action, newest first (read only: there is no way to change it)."""
    return render("operator/audit.html", log=service.audit_log(db.session, _page_arg()))


@bp.post("/announcement/close")
def close_announcement():
    """Anyone closes the banner for this browser (a cookie remembers which one)."""
    form = CloseAnnouncementForm()
    if not form.validate_on_submit() or not (form.revision.data or "").isdigit():
        abort(400)
    target = form.next.data
    if htmx:
        response = make_response("", 200)
    else:
        response = redirect(target if is_safe_next(target) else url_for("expeditions.home"))
    response.set_cookie(
        CLOSED_COOKIE,
        form.revision.data[:10],
        max_age=90 * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ALEX_DEFAULT_TIMEZONE"])


def _end_of_day(day) -> datetime:
    """The end of that day in the instance's time zone (the banner shows through that day)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=_zone())


def _local_date(moment: datetime | None):
    """The last day a banner ending at `moment` is shown."""
    if moment is None:
        return None
    return (moment.astimezone(_zone()) - timedelta(seconds=1)).date()
