"""Two-factor pages: set-up in the account, the second login step, the expedition requirement."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from alex.auth import attempts, sessions
from alex.auth import service as auth
from alex.auth.audit import security_event
from alex.auth.models import User
from alex.auth.protect import account_check_limit, failed_check, no_store
from alex.auth.signin import after_sign_in, sign_in
from alex.expeditions.access import get_facilitation_or_403
from alex.extensions import db, htmx, limiter
from alex.twofactor import service
from alex.twofactor.forms import CodeForm, ConfirmForm, DisableForm, RequirementForm
from alex.web import is_safe_next, render

bp = Blueprint("twofactor", __name__)
PENDING = "twofactor_pending"  # session key: who passed the password step, and when


def _login_rate_limit() -> str:
    return current_app.config["ALEX_LOGIN_RATE_LIMIT"]


def begin_second_step(user: User, remember: bool):
    """After a correct password: ask for the code when the account uses a second factor."""
    if not service.is_enabled(db.session, user.id):
        return None
    next_url = request.args.get("next") or request.form.get("next") or ""
    session[PENDING] = {
        "user_id": user.id,
        "remember": bool(remember),
        "since": time.time(),
    }
    return redirect(
        url_for("twofactor.challenge", next=next_url if is_safe_next(next_url) else None)
    )


def _pending_user() -> tuple[User | None, bool]:
    """The half-logged-in user, unless the password step is too long ago."""
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("since", 0) > 300:
        session.pop(PENDING, None)
        return None, False
    return db.session.get(User, pending["user_id"]), pending.get("remember", False)


@bp.get("/login/two-factor")
def challenge():
    """The second login step: the code from the app or a recovery code."""
    user, _remember = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    return render("twofactor/challenge.html", form=CodeForm(next=request.args.get("next", "")))


@bp.post("/login/two-factor")
@limiter.limit(_login_rate_limit)
def challenge_post():
    """Check the code; wrong codes make the next try wait, and only a right code resets that."""
    user, remember = _pending_user()
    if user is None:
        flash(_("Please log in again: the code was not entered in time."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render("twofactor/challenge.html", form=form, status=422)
    if wait := attempts.seconds_to_wait(user, attempts.Check.CODE):
        security_event("code_refused", user.id, reason="waiting", seconds=wait)
        form.code.errors = [_too_many_codes(wait)]
        return render("twofactor/challenge.html", form=form, status=422)
    verified = service.verify(db.session, user.id, form.code.data)
    if verified is None:
        rule = attempts.policy(current_app, attempts.Check.CODE)
        failures = attempts.count_failure(db.session, user.id, attempts.Check.CODE, rule)
        db.session.commit()
        security_event("code_failed", user.id, at="login", in_a_row=failures)
        form.code.errors = [_("This code does not fit. Try the newest code from your app.")]
        return render("twofactor/challenge.html", form=form, status=422)
    session.pop(PENDING, None)
    sign_in(user, remember=remember, passed_second_factor=True)
    attempts.reset(user, attempts.Check.CODE)
    attempts.reset(user, attempts.Check.PASSWORD)
    db.session.commit()
    if verified.with_recovery_code:
        left = service.unused_recovery_codes(db.session, user.id)
        flash(
            _("You used a recovery code. %(count)d are left.", count=left),
            "warning" if left < 3 else "info",
        )
    return after_sign_in()


def _too_many_codes(seconds: int) -> str:
    """The wait after too many wrong codes, in minutes (someone may know your password)."""
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many wrong codes. Try again in %(num)d minute. If that was not you, someone knows "
        "your password: change it afterwards.",
        "Too many wrong codes. Try again in %(num)d minutes. If that was not you, someone knows "
        "your password: change it afterwards.",
        minutes,
    )


def _count_wrong_code() -> None:
    """A wrong code on an account page counts like one at login."""
    rule = attempts.policy(current_app, attempts.Check.CODE)
    failures = attempts.count_failure(db.session, current_user.id, attempts.Check.CODE, rule)
    db.session.commit()
    failed_check()
    security_event("code_failed", current_user.id, at="account", in_a_row=failures)


def _changed_second_factor(passed: bool) -> None:
    """Two-factor was switched or changed: every other browser logs in again; this one is
    marked as having (or no longer having) passed the second factor."""
    ended = sessions.end_others(db.session, current_user.id, current_user.session_token)
    sessions.mark_second_factor(db.session, current_user.session_token, passed)
    security_event("second_factor_changed", current_user.id, on=passed, sessions_ended=ended)


def _setup_page(
    code_form: CodeForm | None = None,
    status: int = 200,
    codes: list[str] | None = None,
    disable_form: DisableForm | None = None,
):
    """The account's two-factor page in whatever state it is."""
    factor = service.second_factor(db.session, current_user.id)
    qr = secret = None
    if factor and not factor.enabled_at:
        uri = service.provisioning_uri(factor, current_user.email)
        qr = service.qr_svg(uri, _("QR code for your authenticator app"))
        secret = " ".join(factor.secret[i : i + 4] for i in range(0, len(factor.secret), 4))
    next_url = request.values.get("next", "")
    return render(
        "twofactor/setup.html",
        factor=factor,
        qr=qr,
        secret=secret,
        codes=codes,
        # Fresh forms unless given: after a success the page must not echo the used code.
        code_form=code_form or CodeForm(formdata=None, next=next_url),
        disable_form=disable_form or DisableForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        remaining=service.unused_recovery_codes(db.session, current_user.id),
        next_url=next_url if is_safe_next(next_url) else "",
        status=status,
    )


@bp.get("/account/two-factor")
@login_required
@no_store
def setup():
    """Status, and the steps to turn two-factor login on or off."""
    return _setup_page()


@bp.post("/account/two-factor/start")
@login_required
@no_store
def start():
    """Make a new secret and show its QR code."""
    if not ConfirmForm().validate_on_submit():
        return _setup_page(status=422)
    try:
        service.start_setup(db.session, current_user)
    except service.TwoFactorError as error:
        flash(str(error), "info")
    db.session.commit()
    return _setup_page()


@bp.post("/account/two-factor/enable")
@login_required
@account_check_limit
@no_store
def enable():
    """Confirm with the first code; show the recovery codes once."""
    form = CodeForm()
    if not form.validate_on_submit():
        return _setup_page(form, status=422)
    try:
        codes = service.enable(db.session, current_user, form.code.data)
    except service.TwoFactorError as error:
        db.session.rollback()
        failed_check()
        form.code.errors = [str(error)]
        return _setup_page(form, status=422)
    _changed_second_factor(passed=True)  # the code just typed proves the factor here
    db.session.commit()
    flash(_("Two-factor login is on. Your other devices are logged out."), "success")
    return _setup_page(codes=codes)


@bp.post("/account/two-factor/recovery-codes")
@login_required
@account_check_limit
@no_store
def recovery_codes():
    """New recovery codes (the old ones stop working); needs a current app code."""
    form = CodeForm()
    if not form.validate_on_submit():
        return _setup_page(form, status=422)
    if wait := attempts.seconds_to_wait(current_user, attempts.Check.CODE):
        form.code.errors = [_too_many_codes(wait)]
        return _setup_page(form, status=422)
    if service.verify(db.session, current_user.id, form.code.data) is None:
        db.session.rollback()
        _count_wrong_code()
        form.code.errors = [_("This code does not fit. Try the newest code from your app.")]
        return _setup_page(form, status=422)
    codes = service.new_recovery_codes(db.session, current_user.id)
    _changed_second_factor(passed=True)
    db.session.commit()
    return _setup_page(codes=codes)


@bp.post("/account/two-factor/disable")
@login_required
@account_check_limit
@no_store
def disable():
    """Turn two-factor login off (needs the password)."""
    form = DisableForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        rule = attempts.policy(current_app, attempts.Check.PASSWORD)
        if auth.check_password(db.session, user, form.password.data, rule):
            service.disable(db.session, current_user.id)
            _changed_second_factor(passed=False)
            db.session.commit()
            flash(_("Two-factor login is off. Your other devices are logged out."), "success")
            return redirect(url_for("twofactor.setup"))
        db.session.commit()  # keep the failure count
        failed_check()
        form.password.errors = [_("This is not your current password.")]
    return _setup_page(disable_form=form, status=422)


@bp.get("/expeditions/<int:expedition_id>/two-factor")
@login_required
def requirement(expedition_id: int):
    """The facilitator's switch: require two-factor login of every member."""
    membership = get_facilitation_or_403(expedition_id)
    form = RequirementForm(required=service.is_required(db.session, expedition_id))
    return render("twofactor/expedition.html", expedition=membership.expedition, form=form)


@bp.post("/expeditions/<int:expedition_id>/two-factor")
@login_required
def require(expedition_id: int):
    """Switch the requirement on or off."""
    membership = get_facilitation_or_403(expedition_id)
    form = RequirementForm()
    if form.validate_on_submit():
        try:
            service.set_required(db.session, expedition_id, form.required.data, current_user)
        except service.TwoFactorError as error:
            form.required.errors = [str(error)]
        else:
            db.session.commit()
            flash(
                _("Members now need two-factor login for this expedition.")
                if form.required.data
                else _("Two-factor login is no longer required for this expedition."),
                "success",
            )
            return redirect(url_for("twofactor.requirement", expedition_id=expedition_id))
    return render(
        "twofactor/expedition.html", expedition=membership.expedition, form=form, status=422
    )


def is_exempt(endpoint: str) -> bool:
    """Pages a member may still open while the expedition waits for their second factor.

    The meeting poll answers 403 itself instead of a redirect (it asks every 2 seconds).
    """
    return endpoint in {"expeditions.leave", "meetings.poll"} or endpoint.startswith("twofactor.")


def send_to_setup():
    """A member held back by the requirement: off to set up the second factor, then back."""
    flash(
        _("This expedition asks every member to log in with a second factor. Set it up here."),
        "info",
    )
    target = url_for("twofactor.setup", next=request.full_path.rstrip("?"))
    response = redirect(target)
    if htmx:
        response.headers["HX-Redirect"] = target
    return response
