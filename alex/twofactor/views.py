"""Two-factor pages: set-up in the account, the second login step, the expedition requirement."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex.auth import service as auth
from alex.auth.models import User
from alex.expeditions.access import get_facilitation_or_403, prefetch_membership
from alex.extensions import db, htmx, limiter
from alex.twofactor import service
from alex.twofactor.forms import CodeForm, ConfirmForm, DisableForm, RequirementForm
from alex.web import is_safe_next, render

bp = Blueprint("twofactor", __name__)
PENDING = "twofactor_pending"  # session key: who passed the password step, and when


def _login_rate_limit() -> str:
    return current_app.config["ALEX_LOGIN_RATE_LIMIT"]


def begin_second_step(user: User, remember: bool):
    """After a correct password: remember who is half logged in and ask for the code."""
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
    """Check the code; too many wrong ones lock the account like wrong passwords do."""
    from alex.auth.views import _after_sign_in, _sign_in

    user, remember = _pending_user()
    if user is None:
        flash(_("Please log in again: the code was not entered in time."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render("twofactor/challenge.html", form=form, status=422)
    policy = auth.LockoutPolicy(
        current_app.config["ALEX_LOCKOUT_THRESHOLD"], current_app.config["ALEX_LOCKOUT_MINUTES"]
    )
    if auth.is_locked(user):
        session.pop(PENDING, None)
        form.code.errors = [_("Too many failed attempts. Please try again later.")]
        return render("twofactor/challenge.html", form=form, status=422)
    verified = service.verify(db.session, user.id, form.code.data)
    if verified is None:
        service.count_failed_attempt(db.session, user.id, policy.threshold, policy.minutes)
        db.session.commit()
        form.code.errors = [_("This code does not fit. Try the newest code from your app.")]
        return render("twofactor/challenge.html", form=form, status=422)
    session.pop(PENDING, None)
    _sign_in(user, remember=remember)
    user.failed_logins = 0
    db.session.commit()
    if verified.with_recovery_code:
        left = service.unused_recovery_codes(db.session, user.id)
        flash(
            _("You used a recovery code. %(count)d are left.", count=left),
            "warning" if left < 3 else "info",
        )
    return _after_sign_in()


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
def setup():
    """Status, and the steps to turn two-factor login on or off."""
    return _setup_page()


@bp.post("/account/two-factor/start")
@login_required
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
def enable():
    """Confirm with the first code; show the recovery codes once."""
    form = CodeForm()
    if not form.validate_on_submit():
        return _setup_page(form, status=422)
    try:
        codes = service.enable(db.session, current_user, form.code.data)
    except service.TwoFactorError as error:
        db.session.rollback()
        form.code.errors = [str(error)]
        return _setup_page(form, status=422)
    db.session.commit()
    flash(_("Two-factor login is on."), "success")
    return _setup_page(codes=codes)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def recovery_codes():
    """New recovery codes (the old ones stop working); needs a current app code."""
    form = CodeForm()
    if not form.validate_on_submit():
        return _setup_page(form, status=422)
    if service.verify(db.session, current_user.id, form.code.data) is None:
        db.session.rollback()
        form.code.errors = [_("This code does not fit. Try the newest code from your app.")]
        return _setup_page(form, status=422)
    codes = service.new_recovery_codes(db.session, current_user.id)
    db.session.commit()
    return _setup_page(codes=codes)


@bp.post("/account/two-factor/disable")
@login_required
def disable():
    """Turn two-factor login off (needs the password)."""
    form = DisableForm()
    if form.validate_on_submit():
        if auth.verify_password(current_user, form.password.data):
            service.disable(db.session, current_user.id)
            db.session.commit()
            flash(_("Two-factor login is off."), "success")
            return redirect(url_for("twofactor.setup"))
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


# Pages a member may still open while the expedition waits for their second factor.
# The meeting poll checks the requirement inside its single query (see meetings.service).
_EXEMPT = {"expeditions.leave", "meetings.poll"}


def enforce_expedition_requirement():
    """Before any expedition page: a member without a second factor is sent to set it up."""
    args = request.view_args or {}
    if (
        "expedition_id" not in args
        or request.endpoint in _EXEMPT
        or (request.endpoint or "").startswith("twofactor.")
        or not current_user.is_authenticated
    ):
        return None
    membership = prefetch_membership(args["expedition_id"])
    if membership is None or not membership.needs_second_factor:
        return None
    flash(
        _("This expedition asks every member to log in with a second factor. Set it up here."),
        "info",
    )
    target = url_for("twofactor.setup", next=request.full_path.rstrip("?"))
    if htmx:
        response = redirect(target)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)
