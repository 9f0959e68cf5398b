"""Optional single sign-on with OpenID Connect (Authlib against the organisation's provider).

It plugs in from create_app: the OpenID client, the provider's logout after ours, and the login
page's button. Lower layers never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the provider (when configured), the logout exit and the login page's button."""
    from alex.auth.hooks import register_logout_exit
    from alex.sso import client, views

    register_logout_exit(app, views.logout_exit)
    if client.configured(app):
        client.init_client(app)
        # The login page shows the button when this is defined (a global: no cost per page).
        app.jinja_env.globals["sso_provider_name"] = views.provider_name
