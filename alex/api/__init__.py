"""Optional read-only API: personal access tokens on the account, JSON under /api/v1/.

Plugs in from create_app: the bearer check runs before every other request hook (so nothing
reads the visitor from the session cookie on an API request), and every token of an account
ends with its login sessions (log out everywhere, new password, reset). Lower layers never
import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Authenticate API requests first; end tokens with the sessions; offer the account section."""
    from alex.api import service, v1
    from alex.auth.hooks import register_on_all_sessions_ended

    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, v1.authenticate_bearer)
    register_on_all_sessions_ended(app, service.revoke_all)
