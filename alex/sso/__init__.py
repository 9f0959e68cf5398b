"""Optional single sign-on with OpenID Connect (Authlib against the organisation's provider).

It plugs in from create_app: the OpenID client, the provider's logout after ours, and the login
page's button. Lower layers never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the provider (when configured), the logout exit and the login page's button."""
    from alex.auth.hooks import register_account_fact, register_logout_exit
    from alex.exports.hooks import register_export_section
    from alex.sso import client, service, views
    from alex.sso.service import signs_in_through_sso_column

    register_logout_exit(app, views.logout_exit)
    # The operator's accounts list says "SSO" for accounts linked to a provider (even when SSO
    # is switched off now: the link stays).
    register_account_fact(app, "sso", signs_in_through_sso_column)
    register_export_section(app, "sso_identities", service.export_rows)
    if client.configured(app):
        client.init_client(app)
        # The login page shows the button when this is defined (a global: no cost per page).
        app.jinja_env.globals["sso_provider_name"] = views.provider_name
        _allow_forms_to_the_provider(app, client.issuer(app))


def _allow_forms_to_the_provider(app: Flask, issuer: str) -> None:
    """The login button and every page's logout button are forms whose answer redirects to the
    provider; browsers apply the page's CSP `form-action` to that redirect too, so the provider's
    origin joins 'self' there (its login and logout pages must be on the issuer's host)."""
    from urllib.parse import urlsplit

    from flask import request

    from alex.security import CONTENT_SECURITY_POLICY, NOT_DOCUMENTS

    parts = urlsplit(issuer)
    policy = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
    )

    @app.after_request
    def widen_form_action(response):
        # Runs before alex.security's hook (registered earlier), which then keeps this policy.
        if request.endpoint not in NOT_DOCUMENTS:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
