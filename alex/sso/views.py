"""Single sign-on pages: off to the provider, back from it, and linking an existing account."""

from __future__ import annotations

import time
from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alex.auth import attempts
from alex.auth import service as auth
from alex.auth.audit import security_event
from alex.auth.models import User
from alex.auth.protect import no_store
from alex.auth.signin import after_sign_in, sign_in
from alex.db import writes_on_get
from alex.extensions import db, limiter
from alex.mail import absolute_url
from alex.sso import client, service
from alex.sso.forms import LinkForm, StartForm
from alex.sso.models import SsoLogin
from alex.web import is_safe_next, render

bp = Blueprint("sso", __name__)
NEXT_KEY = "sso_next"  # session: where to land after the provider (a safe path or nothing)
PENDING_LINK = "sso_pending_link"  # session: the verified person waiting for the password
LINK_VALID_SECONDS = 600


def _login_rate_limit() -> str:
    return current_app.config["ALEX_LOGIN_RATE_LIMIT"]


def provider_name() -> str:
    """How pages name the provider: ALEX_OIDC_NAME, or "your organisation"."""
    return current_app.config["ALEX_OIDC_NAME"] or _("your organisation")


def _our_url(endpoint: str) -> str:
    """An absolute URL of ours as registered at the provider: from ALEX_BASE_URL when set (the
    request's Host can be wrong behind a proxy without ALEX_PROXY_FIX), else from the request."""
    if current_app.config["ALEX_BASE_URL"]:
        return absolute_url(endpoint)
    return url_for(endpoint, _external=True)


def _require_configured() -> None:
    if not client.configured():
        abort(404)


def _back_to_login(message: str):
    flash(message, "error")
    return redirect(url_for("auth.login"))


def _provider_down(error: client.ProviderDown):
    security_event("sso_provider_down", None, detail=type(error.__cause__).__name__)
    return _back_to_login(
        _(
            "%(provider)s cannot be reached right now, so signing in through it does not work. "
            "Try again in a few minutes.",
            provider=provider_name(),
        )
        + (
            " " + _("You can still log in with your ALEx password.")
            if auth.local_login_enabled()
            else ""
        )
    )


def _rejected(error: client.LoginRejected):
    security_event("sso_rejected", None, reason=error.reason)
    return _back_to_login(
        _(
            "Signing in through %(provider)s did not work: the answer was expired, already used "
            "or not valid. Please start again.",
            provider=provider_name(),
        )
    )


def _role_values() -> service.RoleValues:
    config = current_app.config
    if not config["ALEX_OIDC_ROLE_CLAIM"]:
        return service.RoleValues()
    return service.RoleValues(
        operator=config["ALEX_OIDC_OPERATOR_VALUE"],
        creator=config["ALEX_OIDC_CREATOR_VALUE"],
        training_office=config["ALEX_OIDC_TRAINING_OFFICE_VALUE"],
    )


@bp.post("/login/oidc")
@limiter.limit(_login_rate_limit)
def start():
    """Off to the identity provider's login (state, nonce and PKCE kept in the session)."""
    _require_configured()
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        return redirect(url_for("expeditions.home"))
    session[NEXT_KEY] = form.next.data if is_safe_next(form.next.data) else None
    try:
        return client.authorization_redirect(_our_url("sso.callback"))
    except client.ProviderDown as error:
        return _provider_down(error)
    except client.LoginRejected as error:
        return _rejected(error)


def _finish(
    user: User, claims: service.Claims, id_token: str, next_url: str | None, note: str = ""
):
    """Sign in through the same login sessions as a password login; keep the ID token for logout.

    No second factor is asked: the provider owns how people prove who they are. Its `amr` claim
    saying it checked more than a password counts as passing one (an expedition may require it).
    """
    sign_in(user, passed_second_factor=claims.multi_factor)
    if note:
        flash(note, "success")
    db.session.add(SsoLogin(login_session_token=user.session_token, id_token=id_token))
    db.session.commit()
    security_event("sso_login", user.id, multi_factor=claims.multi_factor)
    return after_sign_in(next_url)


@bp.get("/login/oidc/callback")
@limiter.limit(_login_rate_limit)
@writes_on_get  # the provider sends the browser back with a GET; this signs in (writes)
@no_store
def callback():
    """Back from the provider: check everything, then sign in, create, or ask to link."""
    _require_configured()
    next_url = session.pop(NEXT_KEY, None)
    try:
        raw, id_token = client.finish_login()
    except client.ProviderDown as error:
        return _provider_down(error)
    except client.LoginRejected as error:
        return _rejected(error)
    claims = service.read_claims(client.issuer(), raw, current_app.config["ALEX_OIDC_ROLE_CLAIM"])
    for attempt in range(2):
        try:
            result = service.resolve_login(db.session, claims, _role_values())
            db.session.flush()
            break
        except service.SsoError as error:
            db.session.rollback()
            return _back_to_login(str(error))
        except IntegrityError:
            # The same person's other tab created the account a moment earlier: find it now.
            db.session.rollback()
            if attempt:
                raise
    if isinstance(result, service.NeedsLink):
        db.session.rollback()
        session[PENDING_LINK] = {
            "user_id": result.user_id,
            "claims": {**asdict(claims), "roles": sorted(claims.roles)},
            "id_token": id_token,
            "next": next_url,
            "since": time.time(),
        }
        return redirect(url_for("sso.link"))
    return _finish(result.user, claims, id_token, next_url)


def _pending_link() -> tuple[User, service.Claims, dict] | None:
    """The person waiting to link, unless it is too long ago or the account went away."""
    pending = session.get(PENDING_LINK)
    if not pending or time.time() - pending.get("since", 0) > LINK_VALID_SECONDS:
        session.pop(PENDING_LINK, None)
        return None
    user = db.session.get(User, pending["user_id"])
    if user is None:
        return None
    raw = pending["claims"]
    claims = service.Claims(**{**raw, "roles": frozenset(raw["roles"])})
    return user, claims, pending


@bp.get("/login/oidc/link")
@no_store
def link():
    """Confirm with the ALEx password that the existing account is yours."""
    _require_configured()
    if (found := _pending_link()) is None:
        return _back_to_login(_("Please sign in again: the confirmation took too long."))
    user, _claims, _pending = found
    return render("sso/link.html", form=LinkForm(), email=user.email, provider=provider_name())


@bp.post("/login/oidc/link")
@limiter.limit(_login_rate_limit)
@no_store
def link_post():
    """Check the password (failures count like failed logins), then link and sign in."""
    _require_configured()
    if (found := _pending_link()) is None:
        return _back_to_login(_("Please sign in again: the confirmation took too long."))
    user, claims, pending = found
    form = LinkForm()
    if form.validate_on_submit():
        if wait := attempts.seconds_to_wait(user, attempts.Check.PASSWORD):
            security_event("login_refused", user.id, reason="waiting", seconds=wait, way="sso_link")
            form.password.errors = [str(auth.LOGIN_FAILED)]
        elif not auth.check_password(
            db.session,
            user,
            form.password.data,
            attempts.policy(current_app, attempts.Check.PASSWORD),
        ):
            db.session.commit()  # keep the failure count
            form.password.errors = [_("This is not the password of this ALEx account.")]
        else:
            attempts.reset(user, attempts.Check.PASSWORD)
            try:
                service.link_identity(db.session, user, claims, _role_values())
            except service.SsoError as error:
                db.session.rollback()
                session.pop(PENDING_LINK, None)
                return _back_to_login(str(error))
            except IntegrityError:
                db.session.rollback()  # linked meanwhile (another tab): that link stands
                session.pop(PENDING_LINK, None)
                return _back_to_login(_("This account is linked already. Please sign in again."))
            note = _("Your ALEx account is now linked with %(provider)s.", provider=provider_name())
            return _finish(user, claims, pending["id_token"], pending.get("next"), note)
    return render(
        "sso/link.html", form=form, email=user.email, provider=provider_name(), status=422
    )


def logout_exit() -> str | None:
    """At logout of an SSO session: the provider's end-session URL (back to our login page)."""
    token = current_user.session_token
    id_token = db.session.scalar(
        select(SsoLogin.id_token).where(SsoLogin.login_session_token == token)
    )
    if id_token is None or not client.configured():
        return None
    return client.logout_url(id_token, _our_url("auth.login"))
