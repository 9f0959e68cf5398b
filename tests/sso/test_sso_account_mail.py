"""Accounts made by single sign-on: "Passwort vergessen?" explains the way in, the account page
offers no password, second factor or address change (a real provider and a real SMTP server)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from alex.auth.models import EmailChange, PasswordReset, User
from alex.extensions import db
from tests.conftest import mail_settings
from tests.sso.conftest import sso_login
from tests.support.accounts import csrf_token
from tests.support.smtp import run_outbox


@pytest.fixture
def app_config(app_config, smtp_server):
    # The base URL is where the provider sends people back: the callback it has registered.
    return {**app_config, **mail_settings(smtp_server), "BASE_URL": "http://localhost"}


def _ask(client, email: str):
    return client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": email},
    )


def _same_page(one, other, *emails: str) -> bool:
    def normal(response) -> str:
        html = response.get_data(as_text=True)
        for email in emails:
            html = html.replace(email, "X")
        return re.sub(r'(X-CSRFToken": "|nonce=")[^"]*"', "", html)

    return one.status_code == other.status_code and normal(one) == normal(other)


def test_forgot_password_of_an_sso_account_mails_how_to_log_in_and_answers_as_always(
    app, client, world, oidc_provider, browser_at_provider, person, smtp_server
):
    ada = person()
    sso_login(app.test_client(), browser_at_provider, oidc_provider, ada)
    world.user("Ben Okafor", "ben@example.org")
    sso = _ask(client, f"{ada}@amt.example")
    local = _ask(app.test_client(), "ben@example.org")
    unknown = _ask(app.test_client(), "nobody@example.org")
    assert sso.status_code == 200
    assert _same_page(sso, local, f"{ada}@amt.example", "ben@example.org")
    assert _same_page(sso, unknown, f"{ada}@amt.example", "nobody@example.org")

    run_outbox(app)
    [mail] = [m for m in smtp_server.messages if f"{ada}@amt.example" in m["To"]]
    assert mail["Subject"] == "So meldest du dich bei ALEx an"
    text = mail.get_body(("plain",)).get_content()
    assert "Dein Konto hat kein eigenes ALEx-Passwort" in text
    assert "http://localhost/login" in text
    assert "/password/reset/" not in text
    html = mail.get_body(("html",)).get_content()
    assert '<a class="button" href="http://localhost/login">Zur Anmeldeseite</a>' in html
    with app.app_context():
        # No reset link exists for the SSO account: only Ben's.
        assert db.session.scalar(select(func.count()).select_from(PasswordReset)) == 1


def test_the_account_page_of_an_sso_account_offers_no_password_second_factor_or_address(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    html = client.get("/account").get_data(as_text=True)
    assert "Sie kommt vom Konto deiner Organisation" in html
    assert "bietet ALEx hier keine eigene Zwei-Faktor-Anmeldung an" in html
    assert 'name="new_email"' not in html and 'name="new_password"' not in html
    assert "/account/two-factor" not in html
    with app.app_context():
        db.session.execute(
            update(User).where(User.email == f"{ada}@amt.example").values(locale="en")
        )
        db.session.commit()
    english = client.get("/account").get_data(as_text=True)
    assert "It comes from your organisation" in english
    assert "ALEx offers no two-factor login of its own here" in english
    refused = client.post(
        "/account/email",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "new_email": "ada@example.org",
            "password": "anything",
        },
    )
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EmailChange)) == 0
