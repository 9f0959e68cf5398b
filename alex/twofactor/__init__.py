"""Optional two-factor login: TOTP apps, one-time recovery codes, per-expedition requirement."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the requirement check that runs before every expedition page."""
    from alex.twofactor.views import enforce_expedition_requirement

    app.before_request(enforce_expedition_requirement)
