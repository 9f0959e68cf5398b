"""Account pages: register, login, logout, settings."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alex.auth import attempts, email_change, recovery, service, sessions
from alex.auth.audit import security_event
from alex.auth.forms import (
    ConfirmForm,
    EmailChangeForm,
    EndSessionForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from alex.auth.hooks import account_facts, hooks
from alex.auth.models import User
from alex.auth.protect import account_check_limit, failed_check, no_store
from alex.auth.signin import after_sign_in, known_device_of, registration_open, second_step, sign_in
from alex.extensions import db, limiter
from alex.i18n import LANGUAGE_KEY
from alex.web import is_safe_next, render

bp = Blueprint("auth", __name__)


def _login_rate_limit() -> str:
    return current_app.config["ALEX_LOGIN_RATE_LIMIT"]


@bp.get("/login")
def login():
    """Show the login form."""
    if current_user.is_authenticated:
        return redirect(url_for("expeditions.home"))
    return render("auth/login.html", form=LoginForm(), next=request.args.get("next", ""))


@bp.post("/language")
def choose_language():
    """The language switch on the login and registration pages (before there is an account)."""
    form = LanguageForm()
    if form.validate_on_submit():
        session[LANGUAGE_KEY] = form.language.data
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("auth.login"))


@bp.post("/login")
@limiter.limit(_login_rate_limit)
def login_post():
    """Check the credentials; failures count and make further tries of the account wait."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, next=request.form.get("next", ""), status=422)
    try:
        user = service.authenticate(
            db.session,
            form.email.data,
            form.password.data,
            attempts.policy(current_app, attempts.Check.PASSWORD),
            known_device_of(),
        )
    except service.AuthError as error:
        if isinstance(error, service.LoginFailed):
            db.session.commit()  # keep the failure count
        form.password.errors = [str(error)]
        return render("auth/login.html", form=form, next=request.form.get("next", ""), status=422)
    if not service.local_login_allowed(user):
        db.session.commit()  # the password was right: its failure count starts again
        security_event("login_refused", user.id, reason="local_login_off")
        form.password.errors = [
            _("Logging in with a password is switched off here. Use your organisation's account.")
        ]
        return render("auth/login.html", form=form, next=request.form.get("next", ""), status=422)
    if (answer := second_step(user, form.remember.data)) is not None:
        db.session.commit()  # the password was right: its failure count starts again
        return answer
    sign_in(user, remember=form.remember.data)
    db.session.commit()
    return after_sign_in()


def _reset_rate_limit() -> str:
    return current_app.config["ALEX_RESET_RATE_LIMIT"]


@bp.get("/password/forgot")
def forgot_password():
    """Ask for the address a reset link should go to."""
    return render("auth/forgot.html", form=ForgotPasswordForm())


@bp.post("/password/forgot")
@limiter.limit(_reset_rate_limit)
@no_store
def forgot_password_post():
    """Mail a link if the address has an account; the answer is the same either way."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render("auth/forgot.html", form=form, status=422)
    # Beyond the address's limit the visitor gets the same answer as always (a 429 would block
    # a colleague's own recovery from the same office and tell nothing useful).
    next_allowed = recovery.spend_reset_mail(
        form.email.data,
        current_app.config["ALEX_RESET_ADDRESS_LIMIT"],
        current_app.config["RATELIMIT_KEY_PREFIX"],
    )
    if next_allowed is None:
        recovery.request_reset(
            db.session,
            form.email.data,
            lambda token: url_for("auth.reset_password", token=token),  # absolute at delivery
            login_link=url_for("auth.login"),
        )
        db.session.commit()
    else:
        security_event("password_reset_throttled", None)
    return render("auth/forgot_sent.html", email=form.email.data)


@bp.get("/password/reset/<token>")
@no_store
def reset_password(token: str):
    """The link's page: a form for the new password (opening it uses nothing up)."""
    if recovery.find_valid(db.session, token) is None:
        return render("auth/reset_invalid.html", status=410)
    return render("auth/reset.html", form=ResetPasswordForm(), token=token)


@bp.post("/password/reset/<token>")
@limiter.limit(_login_rate_limit)
@no_store
def reset_password_post(token: str):
    """Set the new password; the link is used up and every session of the account ends."""
    reset = recovery.find_valid(db.session, token)
    if reset is None:
        return render("auth/reset_invalid.html", status=410)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, reset.user_id)
        if problem := service.password_problem(form.new_password.data, [user.name, user.email]):
            form.new_password.errors = [problem]
        elif recovery.finish_reset(db.session, token, form.new_password.data) is None:
            db.session.rollback()
            return render("auth/reset_invalid.html", status=410)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your new password is set. Log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render("auth/reset.html", form=form, token=token, status=422)


@bp.get("/register")
def register():
    """Show the sign-up form (when registration is open or an invite is pending)."""
    if current_user.is_authenticated:
        return redirect(url_for("expeditions.home"))
    if not registration_open():
        return render("auth/registration_closed.html", status=403)
    return render("auth/register.html", form=RegisterForm())


@bp.post("/register")
@limiter.limit(_login_rate_limit)
def register_post():
    """Create the account and sign the new user in."""
    if not registration_open():
        return render("auth/registration_closed.html", status=403)
    form = RegisterForm()
    if form.validate_on_submit():
        problem = service.password_problem(form.password.data, [form.name.data, form.email.data])
        if problem:
            form.password.errors = [problem]
        else:
            try:
                user = service.register_user(
                    db.session, form.name.data, form.email.data, form.password.data, locale=None
                )
            except service.AuthError as error:
                form.email.errors = [str(error)]
            except IntegrityError:
                # Someone registered the same address a moment earlier.
                db.session.rollback()
                form.email.errors = [str(service.EMAIL_TAKEN)]
            else:
                sign_in(user)
                db.session.commit()
                flash(_("Welcome to ALEx, %(name)s!", name=user.name), "success")
                return after_sign_in()
    return render("auth/register.html", form=form, status=422)


@bp.post("/logout")
def logout():
    """End this browser's session on the server, so a copied cookie stops working too."""
    exit_url = None
    if current_user.is_authenticated and current_user.session_token:
        # Asked before the session ends: a single sign-on session also ends at the provider.
        exit_url = next((url for ask in hooks().logout_exits if (url := ask())), None)
        service.end_login_session(db.session, current_user.session_token)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out. See you next time!"), "success")
    response = redirect(exit_url or url_for("auth.login"))
    # Shared devices: the browser drops this user's cached pages and offline queue.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/account")
@login_required
@no_store
def account():
    """Settings: name, language, password, devices."""
    return _account_page(
        ProfileForm(obj=current_user, locale=current_user.locale or ""), PasswordForm()
    )


def _account_page(profile_form, password_form, status: int = 200, email_form=None):
    return render(
        "auth/account.html",
        profile_form=profile_form,
        password_form=password_form,
        email_form=email_form or EmailChangeForm(formdata=None),
        devices=sessions.devices(
            db.session, current_user.id, current_user.session_token, sessions.limits(current_app)
        ),
        end_form=EndSessionForm(formdata=None),
        has_password=service.has_password(current_user),
        address_from_organisation=_address_from_organisation(current_user),
        status=status,
    )


def _address_from_organisation(user: User) -> bool:
    """Whether the organisation's identity provider owns the account's address.

    So for an account without a password of its own, and for any account linked to a provider
    (the "sso" account fact, registered by alex.sso): every single sign-on login sets the
    address the provider confirmed, so a change made here would be undone at the next one.
    """
    if not service.has_password(user):
        return True
    linked = account_facts().get("sso")
    return linked is not None and bool(
        db.session.scalar(select(linked()).where(User.id == user.id))
    )


@bp.post("/account/profile")
@login_required
@no_store
def update_profile():
    """Change display name and language."""
    form = ProfileForm()
    if form.validate_on_submit() and (
        problem := service.display_name_problem(db.session, current_user.id, form.name.data)
    ):
        form.name.errors = [problem]
    if form.errors:
        return _account_page(form, PasswordForm(formdata=None), status=422)
    current_user.name = form.name.data
    current_user.locale = form.locale.data or None
    db.session.commit()
    refresh()  # the confirmation below already speaks the newly chosen language
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
@account_check_limit
@no_store
def change_password():
    """Set a new password; every other session of the account ends."""
    form = PasswordForm()
    if not service.has_password(current_user):
        abort(404)  # signs in through the organisation: there is no password to change
    if form.validate_on_submit():
        user = current_user._get_current_object()
        rule = attempts.policy(current_app, attempts.Check.PASSWORD)
        if not service.check_password(db.session, user, form.current_password.data, rule):
            db.session.commit()  # keep the failure count
            failed_check()
            form.current_password.errors = [_("This is not your current password.")]
        elif problem := service.password_problem(
            form.new_password.data, [current_user.name, current_user.email]
        ):
            form.new_password.errors = [problem]
        else:
            passed_second_factor = user.passed_second_factor
            service.change_password(db.session, user, form.new_password.data)
            sign_in(user, passed_second_factor=passed_second_factor)
            db.session.commit()
            flash(_("Your password is changed. All other devices are logged out."), "success")
            return redirect(url_for("auth.account"))
    return _account_page(
        ProfileForm(formdata=None, obj=current_user, locale=current_user.locale or ""),
        form,
        status=422,
    )


@bp.post("/account/email")
@login_required
@account_check_limit
@limiter.limit(_reset_rate_limit)
@no_store
def change_email():
    """Ask to change the address: a link to the new one, a notice to the current one."""
    user = current_user._get_current_object()
    if _address_from_organisation(user):
        abort(404)  # the organisation's account decides the address (the page says so)
    form = EmailChangeForm()
    if form.validate_on_submit():
        rule = attempts.policy(current_app, attempts.Check.PASSWORD)
        new_email = service.normalise_email(form.new_email.data)
        if not service.check_password(db.session, user, form.password.data, rule):
            db.session.commit()  # keep the failure count
            failed_check()
            form.password.errors = [_("This is not your current password.")]
        elif new_email == user.email:
            form.new_email.errors = [_("This is your address already.")]
        else:
            # The same answer whether another account has the address (no one learns which
            # addresses have accounts) and whether the per-address limit held the mail back.
            next_allowed = recovery.spend_reset_mail(
                new_email,
                current_app.config["ALEX_RESET_ADDRESS_LIMIT"],
                current_app.config["RATELIMIT_KEY_PREFIX"],
                purpose="email_change",  # counted apart from reset links, under the same limit
            )
            if next_allowed is None:
                email_change.request_change(
                    db.session,
                    user,
                    new_email,
                    lambda token: url_for("auth.confirm_email", token=token),
                    account_link=url_for("auth.account"),
                )
            else:
                security_event("email_change_throttled", user.id)
            db.session.commit()
            flash(
                _(
                    "We sent a link to %(email)s. Your address changes when you open it, within "
                    "24 hours, while logged in. We told your current address too.",
                    email=new_email,
                ),
                "success",
            )
            return redirect(url_for("auth.account"))
    return _account_page(
        ProfileForm(formdata=None, obj=current_user, locale=current_user.locale or ""),
        PasswordForm(formdata=None),
        email_form=form,
        status=422,
    )


@bp.get("/account/email/confirm/<token>")
@login_required
@no_store
def confirm_email(token: str):
    """The link's page: which address it confirms, and a button (opening it changes nothing,
    so mail scanners that follow links use nothing up)."""
    change = email_change.find_valid(db.session, token)
    if change is None:
        return _email_refused(str(email_change.LINK_INVALID), 410)
    if change.user_id != current_user.id:
        return _email_refused(str(email_change.FOREIGN_LINK), 403)
    return render(
        "auth/email_confirm.html", form=ConfirmForm(), token=token, new_email=change.new_email
    )


@bp.post("/account/email/confirm/<token>")
@login_required
@limiter.limit(_login_rate_limit)
@no_store
def confirm_email_post(token: str):
    """Make the confirmed address the account's (once; only for the account that asked)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    if _address_from_organisation(user):
        abort(404)  # linked to the organisation since asking: its address rules
    refused = email_change.confirm_change(db.session, user, token)
    if refused is not None:
        if refused.rollback:
            db.session.rollback()
        else:
            db.session.commit()  # the spent link stays spent
        return _email_refused(refused.message, refused.status)
    db.session.commit()
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.account"))


def _email_refused(message: str, status: int):
    return render("auth/email_refused.html", message=message, status=status)


@bp.post("/account/sessions/end")
@login_required
def end_session():
    """Log out one other device of this account."""
    form = EndSessionForm()
    if not form.validate_on_submit():
        abort(400)
    if not sessions.end_by_handle(db.session, current_user.id, form.session.data):
        abort(404)  # not a session of this account (or it ended meanwhile)
    db.session.commit()
    security_event("session_ended", current_user.id, by="account_page")
    flash(_("That device is logged out."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    """End every session of this account, this one included."""
    service.end_all_login_sessions(db.session, current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out on all devices."), "success")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
