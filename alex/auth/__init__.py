"""Accounts: registration, login with lockout and rate limit, sessions that can be ended."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from alex.extensions import login_manager


def init_app(app: Flask) -> None:
    """Bind Flask-Login to our login-session table."""
    from alex.auth.service import load_user_by_session_token

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side login session is the protection
    login_manager.user_loader(load_user_by_session_token)
