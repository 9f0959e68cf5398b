"""The sign-in steps every way of logging in shares (password, second factor, sign-up).

Views of accounts and of the two-factor area both call these; neither imports the other.
"""

from __future__ import annotations

from flask import after_this_request, current_app, g, redirect, request, session, url_for
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeSerializer

from alex.auth import service
from alex.auth.audit import security_event
from alex.auth.hooks import hooks
from alex.auth.models import User
from alex.extensions import db
from alex.web import is_safe_next

# A browser that has logged in to an account before carries this signed cookie; its account ids
# are exempt from the wait strangers' failed tries put on an account (see SECURITY.md).
KNOWN_DEVICE_COOKIE = "alex_device"
_KNOWN_DEVICE_MAX = 5  # accounts remembered per browser (shared family computers)
_KNOWN_DEVICE_DAYS = 400


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="alex.known-device")


def known_device_of() -> frozenset[int]:
    """The accounts this browser has logged in to before (a forged cookie names none)."""
    raw = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not raw:
        return frozenset()
    try:
        ids = _serializer().loads(raw)
    except BadSignature:
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, int)) if isinstance(ids, list) else frozenset()


def _remember_device(user_id: int) -> None:
    """Add the account to this browser's known-device cookie on the way out."""
    ids = [user_id, *(i for i in known_device_of() if i != user_id)][:_KNOWN_DEVICE_MAX]

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            KNOWN_DEVICE_COOKIE,
            _serializer().dumps(ids),
            max_age=_KNOWN_DEVICE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        return response


def sign_in(user: User, remember: bool = False, passed_second_factor: bool = False) -> None:
    """Start a fresh server-side session; the cookie content is replaced (no fixation)."""
    kept = {key: session[key] for key in hooks().kept_session_keys if key in session}
    session.clear()
    session.update(kept)
    # The new session's CSRF token now, so the login's own cookie carries it: otherwise the first
    # page after login sets the cookie again (350 bytes more on a first visit). The old session's
    # token, cached for this request, goes with it.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()
    service.start_login_session(
        db.session, user, request.headers.get("User-Agent", ""), passed_second_factor
    )
    login_user(user, remember=remember)
    _remember_device(user.id)
    security_event("login", user.id, second_factor=passed_second_factor, remember=remember)


def second_step(user: User, remember: bool):
    """After the right password: the answer of an area that asks for more (two-factor), or None."""
    for step in hooks().second_steps:
        if (answer := step(user, remember)) is not None:
            return answer
    return None


def after_sign_in(next_url: str | None = None):
    """Land where the user was going: what an area asks (a pending invite), a safe `next`, home.

    `next_url` is for ways of signing in that carried it elsewhere (single sign-on's session).
    """
    for landing in hooks().landings:
        if (answer := landing()) is not None:
            return answer
    target = next_url or request.args.get("next") or request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("expeditions.home"))


def registration_open() -> bool:
    """Open registration, or an area's reason to let this visitor sign up (a pending invite)."""
    if not service.local_login_enabled():
        return False  # accounts come from the identity provider
    if current_app.config["ALEX_OPEN_REGISTRATION"]:
        return True
    return any(opener() for opener in hooks().registration_openers)
