"""Optional two-factor login: TOTP apps, one-time recovery codes, per-expedition requirement.

It plugs in from create_app: a second step after the right password, and an access guard that
holds back members of an expedition requiring it whose login session did not pass a second
factor. Lower layers never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the second login step and the expedition requirement (after auth, expeditions)."""
    from alex.auth.hooks import register_account_fact, register_second_step
    from alex.expeditions.access import AccessGuard, register_access_guard
    from alex.twofactor import service, views

    register_second_step(app, views.begin_second_step)
    register_account_fact(app, "second_factor", service.enabled_column)
    register_access_guard(
        AccessGuard(
            name="second_factor_required",
            column=service.requirement_column,
            holds_back=service.holds_back,
            refuse=views.send_to_setup,
            exempt=views.is_exempt,
        )
    )
