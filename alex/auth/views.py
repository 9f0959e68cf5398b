"""Account pages: register, login, logout, settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from alex.auth import service
from alex.auth.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm
from alex.expeditions.service import find_usable_invite
from alex.extensions import db, limiter
from alex.web import is_safe_next, render

bp = Blueprint("auth", __name__)


def _login_rate_limit() -> str:
    return current_app.config["ALEX_LOGIN_RATE_LIMIT"]


def _sign_in(user, remember: bool = False) -> None:
    """Start a fresh server-side session; the cookie content is replaced (no fixation)."""
    pending_invite = session.get("invite_token")
    session.clear()
    if pending_invite:
        session["invite_token"] = pending_invite
    service.start_login_session(db.session, user, request.headers.get("User-Agent", ""))
    login_user(user, remember=remember)


def _after_sign_in():
    """Land where the user was going: the expedition of a pending invite, a safe `next`, or home."""
    if token := session.pop("invite_token", None):
        from alex.expeditions.views import join_through_invite

        return join_through_invite(token)
    target = request.args.get("next") or request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("expeditions.home"))


@bp.get("/login")
def login():
    """Show the login form."""
    if current_user.is_authenticated:
        return redirect(url_for("expeditions.home"))
    return render("auth/login.html", form=LoginForm(), next=request.args.get("next", ""))


@bp.post("/login")
@limiter.limit(_login_rate_limit)
def login_post():
    """Check the credentials; count failures; lock the account after too many."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, next=request.form.get("next", ""), status=422)
    policy = service.LockoutPolicy(
        current_app.config["ALEX_LOCKOUT_THRESHOLD"], current_app.config["ALEX_LOCKOUT_MINUTES"]
    )
    try:
        user = service.authenticate(db.session, form.email.data, form.password.data, policy)
    except service.AuthError as error:
        if isinstance(error, service.LoginFailed):
            db.session.commit()  # keep the failure count (lockout)
        form.password.errors = [str(error)]
        return render("auth/login.html", form=form, next=request.form.get("next", ""), status=422)
    from alex.twofactor import service as twofactor
    from alex.twofactor.views import begin_second_step

    if twofactor.is_enabled(db.session, user.id):
        db.session.commit()  # the password was right: its failure counter is reset
        return begin_second_step(user, remember=form.remember.data)
    _sign_in(user, remember=form.remember.data)
    db.session.commit()
    return _after_sign_in()


def _registration_open() -> bool:
    """Open registration, or a pending invite link that still works, allows new accounts."""
    if current_app.config["ALEX_OPEN_REGISTRATION"]:
        return True
    token = session.get("invite_token")
    return bool(token) and find_usable_invite(db.session, token) is not None


@bp.get("/register")
def register():
    """Show the sign-up form (when registration is open or an invite is pending)."""
    if current_user.is_authenticated:
        return redirect(url_for("expeditions.home"))
    if not _registration_open():
        return render("auth/registration_closed.html", status=403)
    return render("auth/register.html", form=RegisterForm())


@bp.post("/register")
@limiter.limit(_login_rate_limit)
def register_post():
    """Create the account and sign the new user in."""
    if not _registration_open():
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
                _sign_in(user)
                db.session.commit()
                flash(_("Welcome to ALEx, %(name)s!", name=user.name), "success")
                return _after_sign_in()
    return render("auth/register.html", form=form, status=422)


@bp.post("/logout")
def logout():
    """End this browser's session on the server, so a copied cookie stops working too."""
    if current_user.is_authenticated and current_user.session_token:
        service.end_login_session(db.session, current_user.session_token)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out. See you next time!"), "success")
    response = redirect(url_for("auth.login"))
    # Shared devices: the browser drops this user's cached pages and offline queue.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/account")
@login_required
def account():
    """Settings: name, language, password, sessions."""
    return _account_page(
        ProfileForm(obj=current_user, locale=current_user.locale or ""), PasswordForm()
    )


def _account_page(profile_form, password_form, status: int = 200):
    return render(
        "auth/account.html",
        profile_form=profile_form,
        password_form=password_form,
        session_count=service.count_login_sessions(db.session, current_user),
        status=status,
    )


@bp.post("/account/profile")
@login_required
def update_profile():
    """Change display name and language."""
    form = ProfileForm()
    if not form.validate_on_submit():
        return _account_page(form, PasswordForm(formdata=None), status=422)
    current_user.name = form.name.data.strip()
    current_user.locale = form.locale.data or None
    db.session.commit()
    refresh()  # the confirmation below already speaks the newly chosen language
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@login_required
def change_password():
    """Set a new password; every other session of the account ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not service.verify_password(current_user, form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        elif problem := service.password_problem(
            form.new_password.data, [current_user.name, current_user.email]
        ):
            form.new_password.errors = [problem]
        else:
            user = current_user._get_current_object()
            service.change_password(db.session, user, form.new_password.data)
            _sign_in(user)
            db.session.commit()
            flash(_("Your password is changed. All other devices are logged out."), "success")
            return redirect(url_for("auth.account"))
    return _account_page(
        ProfileForm(formdata=None, obj=current_user, locale=current_user.locale or ""),
        form,
        status=422,
    )


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
