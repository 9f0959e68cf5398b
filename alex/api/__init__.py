"""Optional read-only API: personal access tokens on the account, JSON under /api/v1/.

Plugs in from create_app: the bearer check runs before every other request hook (so nothing
reads the visitor from the session cookie on an API request), and every token of an account
ends with its login sessions (log out everywhere, new password, reset, deactivation). Tokens
appear in the personal data export; the retention purge deletes long-expired ones. Lower layers
never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Authenticate API requests first; end tokens with the sessions; export and purge them."""
    from alex.api import service, v1
    from alex.auth.hooks import register_on_all_sessions_ended
    from alex.exports.hooks import register_export_section, register_purge

    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, v1.authenticate_bearer)
    # Deactivating an account ends its sessions too, so its tokens go and stay gone.
    register_on_all_sessions_ended(app, service.revoke_all)
    register_export_section(app, "api_tokens", service.export_rows)
    register_purge(app, "expired API token(s)", service.purge_expired_tokens)
