"""Single sign-on against a real OpenID provider (oidc-provider in node, see tests/support/oidc.py)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from flask.testing import FlaskClient

from tests.support.accounts import csrf_token
from tests.support.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIdProvider,
    random_account_id,
    sign_in_at_provider,
)

# Where the test client's app lives (Flask's default host), as registered at the provider.
CALLBACK = "http://localhost/login/oidc/callback"
AFTER_LOGOUT = "http://localhost/login"
OPERATOR_GROUP = "alex-betrieb"
CREATOR_GROUP = "alex-expeditionen"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OpenIdProvider]:
    """One provider for the run; ID tokens live 60 s (the expiry test moves ALEx's clock on)."""
    provider = OpenIdProvider.start(
        tmp_path_factory.mktemp("oidc"), CALLBACK, AFTER_LOGOUT, id_token_ttl=60
    )
    yield provider
    provider.stop()


def sso_settings(provider: OpenIdProvider) -> dict:
    return {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_OPERATOR_VALUE": OPERATOR_GROUP,
        "OIDC_CREATOR_VALUE": CREATOR_GROUP,
    }


@pytest.fixture
def app_config(app_config, oidc_provider):
    return {**app_config, **sso_settings(oidc_provider)}


@pytest.fixture
def person(oidc_provider):
    """A new person at the provider (verified address); returns the account id to log in as."""

    def make(**claims) -> str:
        account_id = random_account_id()
        oidc_provider.set_account(
            account_id,
            **{
                "email": f"{account_id}@amt.example",
                "email_verified": True,
                "name": "Ada Lorenz",
                "locale": "de-DE",
                **claims,
            },
        )
        return account_id

    return make


@pytest.fixture
def browser_at_provider() -> Iterator[requests.Session]:
    """The person's browser at the provider (its own cookies; never through a test proxy)."""
    with requests.Session() as http:
        http.trust_env = False
        yield http


def start_sso(client: FlaskClient, next_url: str = ""):
    """Press the login page's button; returns ALEx's answer (a redirect to the provider)."""
    token = csrf_token(client)
    return client.post("/login/oidc", data={"csrf_token": token, "next": next_url})


def back_from_provider(client: FlaskClient, callback_url: str):
    """The browser arriving at ALEx's callback with what the provider put in the URL."""
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sso_login(client, http, provider: OpenIdProvider, account_id: str, next_url: str = ""):
    """The whole way: button, provider's login and consent, back to ALEx; ALEx's last answer."""
    started = start_sso(client, next_url)
    assert started.status_code == 302, started.get_data(as_text=True)[:500]
    callback = sign_in_at_provider(http, started.headers["Location"], account_id, provider.issuer)
    return back_from_provider(client, callback)
