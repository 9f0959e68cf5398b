"""What ALEx refuses from a provider or a network in between, and the ways back in without it.

The ID tokens here come from the real provider; a forward proxy (tests/support/oidc.py) sits
between ALEx and the provider, where an attacker or a broken network would, and changes them:
  - a claim changed after signing (the signature no longer fits),
  - re-signed with a key of the attacker's (not in the provider's JWKS: unknown key),
  - re-signed with a key the attacker slipped into the JWKS (a valid signature: then the issuer
    is what must fail, and the same token with the right issuer is accepted, so the machinery
    itself is shown to work),
  - a valid token of an earlier login (its nonce is not this login's).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from alex.auth.models import LoginSession, User
from alex.extensions import db
from tests.sso.conftest import OPERATOR_GROUP, back_from_provider, sso_login, start_sso
from tests.support.accounts import csrf_token, login
from tests.support.oidc import TamperingProxy, b64, jwt_parts, sign_in_at_provider

REJECTED = "Die Anmeldung über deine Organisation hat nicht geklappt"
DOWN = "ist gerade nicht erreichbar"


@pytest.fixture
def proxy(monkeypatch):
    """ALEx's own requests to the provider go through the proxy; the browser's do not."""
    middle = TamperingProxy()
    monkeypatch.setenv("HTTP_PROXY", middle.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    yield middle
    middle.stop()


def _sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginSession))


@pytest.fixture
def security_log(caplog):
    """The security log's lines: each refusal names its reason there."""
    caplog.set_level(logging.INFO, logger="alex.security")
    return caplog


@pytest.fixture
def refused(app, security_log):
    """Check an answer: back on the login page with the message, nobody signed in, and the
    security log naming the expected reason."""

    def check(client, answer, words: str = REJECTED, reason: str | None = None) -> None:
        assert answer.status_code == 302 and answer.headers["Location"] == "/login"
        page = client.get("/login").get_data(as_text=True)
        assert words in page, re.findall(r'<p class="flash.*?</p>', page, re.S)
        assert _sessions(app) == 0
        if reason:
            assert f"reason={reason}" in security_log.text, security_log.text

    return check


def _attacker_key(kid: str = "attacker") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def _resign(token: str, key: RSAKey, **changes) -> str:
    header, payload, _signature = jwt_parts(token)
    return jwt.encode(
        {"alg": "RS256", "kid": key.kid, "typ": header.get("typ", "JWT")},
        {**payload, **changes},
        key,
    )


def test_the_proxy_alone_changes_nothing(
    app, client, oidc_provider, browser_at_provider, person, proxy
):
    ada = person()
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    assert answer.headers["Location"] == "/" and _sessions(app) == 1
    assert len(proxy.seen_id_tokens) == 1  # ALEx's token request did go through it


def test_a_provider_naming_another_issuer_is_not_used(app, client, proxy, refused):
    proxy.announce_issuer = "https://id.somewhere-else.example"
    answer = start_sso(client)
    refused(client, answer, reason="discovery_issuer_mismatch")


def test_a_changed_claim_breaks_the_signature(
    app, client, oidc_provider, browser_at_provider, person, proxy, refused
):
    ada, mallory = person(), person(email="mallory@amt.example")

    def swap_subject(token: str) -> str:
        header, payload, signature = jwt_parts(token)
        return ".".join([b64(header), b64({**payload, "sub": mallory}), signature])

    proxy.rewrite_id_token = swap_subject
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    refused(client, answer, reason="id_token_bad_signature")


def test_a_token_signed_with_a_key_the_provider_does_not_have_is_refused(
    client, oidc_provider, browser_at_provider, person, proxy, refused
):
    ada = person()
    forger = _attacker_key()
    proxy.rewrite_id_token = lambda token: _resign(token, forger)
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    refused(client, answer, reason="id_token_invalid_key_id")


def test_a_token_under_the_providers_key_id_but_another_key_is_refused(
    client, oidc_provider, browser_at_provider, person, proxy, refused
):
    ada = person()

    def forge(token: str) -> str:
        kid = jwt_parts(token)[0]["kid"]
        return _resign(token, _attacker_key(kid))

    proxy.rewrite_id_token = forge
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    refused(client, answer, reason="id_token_bad_signature")


@pytest.mark.parametrize("issuer_changed", [True, False])
def test_the_issuer_must_be_the_configured_one(
    app, client, oidc_provider, browser_at_provider, person, proxy, issuer_changed, refused
):
    """With a key slipped into the JWKS the signature is valid; only the issuer tells."""
    ada = person()
    slipped = _attacker_key()
    proxy.extra_keys = [slipped.as_dict(private=False)]
    changes = {"iss": "https://id.somewhere-else.example"} if issuer_changed else {}
    proxy.rewrite_id_token = lambda token: _resign(token, slipped, **changes)
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    if issuer_changed:
        refused(client, answer, reason="id_token_invalid_claim_iss")
    else:
        assert answer.headers["Location"] == "/" and _sessions(app) == 1


def test_a_replayed_id_token_fails_on_its_nonce(
    app, client, oidc_provider, browser_at_provider, person, proxy, refused
):
    ada = person()
    sso_login(app.test_client(), browser_at_provider, oidc_provider, ada)
    earlier = proxy.seen_id_tokens[-1]
    with app.app_context():
        db.session.execute(LoginSession.__table__.delete())
        db.session.commit()
    proxy.rewrite_id_token = lambda _token: earlier  # valid signature, issuer, audience, expiry
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    refused(client, answer, reason="id_token_invalid_claim_nonce")


def test_a_replayed_callback_fails_on_its_state(
    app, client, oidc_provider, browser_at_provider, person, refused
):
    ada = person()
    started = start_sso(client)
    callback = sign_in_at_provider(
        browser_at_provider, started.headers["Location"], ada, oidc_provider.issuer
    )
    assert back_from_provider(client, callback).headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": _csrf(client)})
    # The same code and state again, in the same browser and in another one.
    refused(client, back_from_provider(client, callback), reason="oauth_mismatching_state")
    stranger = app.test_client()
    refused(stranger, back_from_provider(stranger, callback))


def test_a_callback_from_a_login_someone_else_started_is_refused(
    app, client, oidc_provider, browser_at_provider, person, refused
):
    """Login CSRF: Mallory's code and state in Ada's browser, which never started that login."""
    mallory = person()
    mallorys_browser = app.test_client()
    started = start_sso(mallorys_browser)
    callback = sign_in_at_provider(
        browser_at_provider, started.headers["Location"], mallory, oidc_provider.issuer
    )
    start_sso(client)  # Ada's own login, with its own state
    refused(client, back_from_provider(client, callback), reason="oauth_mismatching_state")


def test_an_expired_id_token_is_refused(
    client, oidc_provider, browser_at_provider, person, refused
):
    """The provider's ID tokens live 60 s; ALEx's clock is five minutes on when it gets one."""
    ada = person()
    started = start_sso(client)
    callback = sign_in_at_provider(
        browser_at_provider, started.headers["Location"], ada, oidc_provider.issuer
    )
    # (The page is read in the future too: a session cookie from the future does not count now.)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        answer = back_from_provider(client, callback)
        refused(client, answer, reason="id_token_expired_token_exp")


def test_provider_down_at_the_start_says_so_and_the_password_still_works(app, make_app, world):
    down = make_app(OIDC_ISSUER="http://127.0.0.1:9")  # nothing listens on the discard port
    ada = world.user("Ada Lorenz", "ada@example.org")
    client = down.test_client()
    answer = start_sso(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "deine Organisation ist gerade nicht erreichbar" in page
    assert "Mit deinem ALEx-Passwort kannst du dich weiterhin anmelden" in page
    assert login(client, ada.email).headers["Location"] == "/"


def test_provider_down_at_the_token_endpoint(
    app, client, oidc_provider, browser_at_provider, person, proxy, refused
):
    ada = person()
    started = start_sso(client)  # discovery through the proxy, then the proxy goes away
    callback = sign_in_at_provider(
        browser_at_provider, started.headers["Location"], ada, oidc_provider.issuer
    )
    proxy.stop()
    refused(client, back_from_provider(client, callback), DOWN)


def _csrf(client) -> str:
    return csrf_token(client, "/account")


def test_without_sso_configured_there_is_no_button_and_no_route(make_app):
    plain = make_app(OIDC_ISSUER="", OIDC_CLIENT_ID="")
    client = plain.test_client()
    answer = client.get("/login")
    page = answer.get_data(as_text=True)
    assert "form-action 'self';" in answer.headers["Content-Security-Policy"]
    assert "Mit dem Konto deiner Organisation anmelden" not in page
    assert 'name="password"' in page
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    assert client.get("/login/oidc/link").status_code == 404


def test_the_login_page_shows_the_button_and_the_providers_name(make_app, oidc_provider):
    named = make_app(OIDC_NAME="Behörden-Konto")
    answer = named.test_client().get("/login")
    page = answer.get_data(as_text=True)
    # The button's answer redirects to the provider: the page's CSP must let the form go there.
    assert (
        f"form-action 'self' {oidc_provider.issuer};" in answer.headers["Content-Security-Policy"]
    )
    assert "Mit dem Konto deiner Organisation anmelden" in page
    assert "Du meldest dich bei Behörden-Konto an." in page
    assert 'name="password"' in page  # the password stays, as the fallback


def test_local_login_switched_off(make_app, world, oidc_provider):
    closed = make_app(LOCAL_LOGIN=False)
    ada = world.user("Ada Lorenz", "ada@example.org")
    olga = world.user("Olga Betrieb", "olga@example.org", is_operator=True)
    client = closed.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Mit dem Konto deiner Organisation anmelden" in page
    assert '<details class="sso-local">' in page  # the form, folded away for operators
    answer = login(client, ada.email)
    assert answer.status_code == 422
    assert "Die Anmeldung mit Passwort ist hier ausgeschaltet" in answer.get_data(as_text=True)
    assert client.get("/register").status_code == 403
    # The operator's way in when the provider fails (`flask alex reset-link` gives a password).
    assert login(closed.test_client(), olga.email).headers["Location"] == "/"
    with closed.app_context():
        assert db.session.get(User, ada.id).failed_logins == 0


def test_an_sso_only_operator_gets_in_by_reset_link_when_local_login_is_off(
    make_app, oidc_provider, browser_at_provider, person
):
    """The break-glass way: the provider is down, password login is off, the operator has only
    SSO so far; `alex reset-link` on the server gives a password, and operators may use it."""
    closed = make_app(LOCAL_LOGIN=False)
    olga = person(groups=[OPERATOR_GROUP])
    sso_login(closed.test_client(), browser_at_provider, oidc_provider, olga)
    email = f"{olga}@amt.example"
    result = closed.test_cli_runner().invoke(args=["alex", "reset-link", email])
    assert result.exit_code == 0, result.output
    path = re.search(r"(/password/reset/\S+)", result.output).group(1)
    client = closed.test_client()
    token = csrf_token(client, path)
    new_password = "seven purple kites over hamburg"
    set_it = client.post(path, data={"csrf_token": token, "new_password": new_password})
    assert set_it.status_code == 302
    assert login(client, email, new_password).headers["Location"] == "/"
