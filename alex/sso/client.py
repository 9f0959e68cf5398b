"""The OpenID Connect client: Authlib's Flask integration, configured from ALEX_OIDC_*.

Authlib does the protocol: discovery, the authorization-code flow with PKCE (S256), `state` and
`nonce` kept in the signed session cookie, the code exchange, and the ID token's signature (from
the provider's JWKS, fetched again when a key id is unknown), issuer, audience, expiry and nonce.
This module adds what Authlib leaves to the application: the discovered issuer must be the
configured one (no mix-up with another provider), every failure becomes one of two errors a page
can explain, and nothing waits longer than ALEX_OIDC_TIMEOUT_SECONDS for the provider.
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError

_KEY = "alex.sso.oauth"
_NAME = "idp"
# How long a started login may take at the provider before the callback (Authlib's state data).
LOGIN_VALID_SECONDS = 600
# Seconds of clock difference to the provider accepted for exp/iat.
LEEWAY_SECONDS = 60


class ProviderDown(Exception):
    """Discovery, keys or the token endpoint could not be reached (or answered nonsense)."""


class LoginRejected(Exception):
    """The provider's answer is not one to trust: `reason` goes to the security log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def configured(app: Flask | None = None) -> bool:
    """Whether single sign-on is set up (issuer and client id)."""
    config = (app or current_app).config
    return bool(config["ALEX_OIDC_ISSUER"] and config["ALEX_OIDC_CLIENT_ID"])


def issuer(app: Flask | None = None) -> str:
    """The configured issuer, as the provider must name itself (no trailing slash)."""
    return (app or current_app).config["ALEX_OIDC_ISSUER"].rstrip("/")


def init_client(app: Flask) -> None:
    """Register the provider with Authlib (nothing is fetched until the first login)."""
    config = app.config
    oauth = OAuth(app)
    oauth.register(
        _NAME,
        client_id=config["ALEX_OIDC_CLIENT_ID"],
        client_secret=config["ALEX_OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=issuer(app) + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": config["ALEX_OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": config["ALEX_OIDC_TIMEOUT_SECONDS"],
        },
    )
    client = oauth.create_client(_NAME)
    client.framework.expires_in = LOGIN_VALID_SECONDS
    app.extensions[_KEY] = client


def _client():
    return current_app.extensions[_KEY]


def _metadata() -> dict[str, Any]:
    """The provider's discovery document; its issuer must be exactly the configured one."""
    try:
        metadata = _client().load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise ProviderDown(str(error)) from error
    if str(metadata.get("issuer", "")).rstrip("/") != issuer():
        raise LoginRejected("discovery_issuer_mismatch")
    return metadata


def authorization_redirect(redirect_uri: str):
    """The redirect to the provider's login, with state, nonce and a PKCE challenge."""
    _metadata()
    return _client().authorize_redirect(redirect_uri)


def finish_login() -> tuple[dict[str, Any], str]:
    """Exchange the callback's code and check the ID token; returns its claims (merged with the
    userinfo endpoint's, whose `sub` must match) and the raw ID token."""
    _metadata()
    client = _client()
    try:
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "values": [issuer()]},
                "sub": {"essential": True},
                "aud": {"essential": True},
                "exp": {"essential": True},
            },
            leeway=LEEWAY_SECONDS,
        )
    except requests.RequestException as error:
        raise ProviderDown(str(error)) from error
    except OAuthError as error:
        raise LoginRejected(f"oauth_{error.error}") from error
    except JoseError as error:
        claim = getattr(error, "claim", None)  # which claim: iss, aud, nonce, exp …
        raise LoginRejected(f"id_token_{error.error}" + (f"_{claim}" if claim else "")) from error
    claims = token.get("userinfo")
    if not claims or "id_token" not in token:
        raise LoginRejected("no_id_token")
    claims = dict(claims)
    metadata = client.load_server_metadata()
    if metadata.get("userinfo_endpoint"):
        # Providers that keep the ID token small (OpenID's default) put name, e-mail and groups
        # here only; the ID token stays the one that decides who it is.
        try:
            extra = client.userinfo(token=token)
        except requests.RequestException as error:
            raise ProviderDown(str(error)) from error
        if extra.get("sub") != claims["sub"]:
            raise LoginRejected("userinfo_subject_mismatch")
        claims = {**extra, **claims}
    return claims, token["id_token"]


def logout_url(id_token: str, back_to: str) -> str | None:
    """The provider's end-session URL for this login (None: it offers none, or is unreachable)."""
    try:
        metadata = _metadata()
    except (ProviderDown, LoginRejected):
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    return _client().create_logout_url(post_logout_redirect_uri=back_to, id_token_hint=id_token)[
        "url"
    ]
