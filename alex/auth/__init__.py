"""Accounts: registration, login with a growing wait and rate limit, sessions that end."""

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from alex.extensions import login_manager


def init_app(app: Flask) -> None:
    """Bind Flask-Login to our login-session table; open the registry other areas plug into."""
    from alex.auth.hooks import init_hooks
    from alex.auth.service import load_user_by_session_token

    init_hooks(app)
    from alex.auth.hooks import keep_session_key
    from alex.i18n import LANGUAGE_KEY

    keep_session_key(app, LANGUAGE_KEY)  # the language chosen on the login page stays
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side login session is the protection
    login_manager.user_loader(load_user_by_session_token)
    from alex.auth import instance

    instance.init_app(app)  # instance settings (console): read by the loader, banner for pages

    @app.context_processor
    def inject_user() -> dict:
        # The user object itself, not Flask-Login's proxy: a page reads current_user dozens of
        # times, and each proxy read looks up the request context again.
        return {"current_user": current_user._get_current_object()}
