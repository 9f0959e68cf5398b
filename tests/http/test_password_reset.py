"""Password recovery through HTTP and a real SMTP server: the link, its limits, its effects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from alex.auth.models import LoginSession, PasswordReset
from alex.auth.recovery import token_hash
from alex.db import utcnow
from alex.extensions import db
from alex.outbox import OutboxMessage
from tests.conftest import mail_settings
from tests.support.accounts import TEST_PASSWORD, csrf_token, login
from tests.support.smtp import run_outbox

NEW_PASSWORD = "seven purple kites over hamburg"


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, **mail_settings(smtp_server)}


def _ask(client, email: str, ip: str = "192.0.2.1"):
    token = csrf_token(client, "/password/forgot")
    return client.post(
        "/password/forgot",
        data={"csrf_token": token, "email": email},
        environ_base={"REMOTE_ADDR": ip},
    )


def _link_of(smtp_server) -> str:
    [mail] = smtp_server.messages
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"https://alex\.example\.org(/password/reset/\S+)", text).group(1)


def test_login_page_links_to_the_reset_form_with_an_email_field(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<a href="/password/forgot">Passwort vergessen?</a>' in html
    form = client.get("/password/forgot").get_data(as_text=True)
    assert 'name="email"' in form and 'type="email"' in form


def test_the_answer_is_the_same_whether_the_address_exists(app, client, world, smtp_server):
    world.user("Ada Lorenz", "ada@example.org")
    known = _ask(client, "ada@example.org")
    unknown = _ask(app.test_client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    normalise = lambda r: (  # noqa: E731
        r.get_data(as_text=True).replace("ada@example.org", "X").replace("nobody@example.org", "X")
    )
    strip_tokens = lambda html: re.sub(  # noqa: E731
        r'(X-CSRFToken": "|nonce=")[^"]*"', "", html
    )
    assert strip_tokens(normalise(known)) == strip_tokens(normalise(unknown))
    run_outbox(app)
    assert [m["To"] for m in smtp_server.messages] == ["Ada Lorenz <ada@example.org>"]


def test_reset_link_sets_a_new_password_once_and_ends_every_session(
    app, client, world, actor, smtp_server
):
    user = world.user("Ada Lorenz", "ada@example.org")
    elsewhere = actor(user)  # logged in on another device
    assert elsewhere.get("/").status_code == 200
    _ask(client, "ada@example.org")
    run_outbox(app)
    link = _link_of(smtp_server)
    page = client.get(link)
    assert page.status_code == 200
    assert 'type="password"' in page.get_data(as_text=True)
    assert client.get(link).status_code == 200  # looking does not use it up (mail scanners)

    token = csrf_token(client, link)
    done = client.post(link, data={"csrf_token": token, "new_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    assert elsewhere.get("/").status_code == 302  # that session ended
    with app.app_context():
        assert db.session.scalars(select(LoginSession)).all() == []
    assert client.get(link).status_code == 410  # single use
    token = csrf_token(client, "/password/forgot")  # the session was cleared
    again = client.post(link, data={"csrf_token": token, "new_password": "another long passphrase"})
    assert again.status_code == 410
    assert login(app.test_client(), "ada@example.org", TEST_PASSWORD).status_code == 422
    assert login(app.test_client(), "ada@example.org", NEW_PASSWORD).status_code == 302


def test_a_password_change_on_the_account_page_voids_open_reset_links(
    app, client, world, smtp_server
):
    world.user("Ada Lorenz", "ada@example.org")
    _ask(client, "ada@example.org")
    run_outbox(app)
    link = _link_of(smtp_server)
    account = app.test_client()
    assert login(account, "ada@example.org").status_code == 302
    changed = account.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(account, "/account"),
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert client.get(link).status_code == 410  # the old mail cannot undo the change
    with app.app_context():
        assert db.session.scalars(select(PasswordReset.used_at)).all() != [None]


def test_only_the_hash_is_stored_and_the_mailed_link_is_blanked(app, client, world, smtp_server):
    world.user("Ada Lorenz", "ada@example.org")
    _ask(client, "ada@example.org")
    run_outbox(app)
    raw = _link_of(smtp_server).rsplit("/", 1)[1]
    with app.app_context():
        [reset] = db.session.scalars(select(PasswordReset)).all()
        assert reset.token_hash == token_hash(raw) and raw not in reset.token_hash
        assert reset.expires_at - reset.created_at == timedelta(minutes=30)
        [row] = db.session.scalars(select(OutboxMessage)).all()
        assert row.state == "sent" and row.context["link"] == ""


def test_an_expired_link_does_not_work(app, client, world, smtp_server):
    world.user("Ada Lorenz", "ada@example.org")
    _ask(client, "ada@example.org")
    run_outbox(app)
    link = _link_of(smtp_server)
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = client.get(link)
    assert page.status_code == 410
    assert "Neuen Link anfordern" in page.get_data(as_text=True)


def test_a_weak_password_is_refused_and_the_link_stays_valid(app, client, world, smtp_server):
    world.user("Ada Lorenz", "ada@example.org")
    _ask(client, "ada@example.org")
    run_outbox(app)
    link = _link_of(smtp_server)
    token = csrf_token(client, link)
    weak = client.post(link, data={"csrf_token": token, "new_password": "short"})
    assert weak.status_code == 422
    assert client.get(link).status_code == 200


def test_beyond_the_per_address_limit_the_same_answer_but_no_mail(app, client, world):
    world.user("Ada Lorenz", "ada@example.org")
    first = _ask(client, "ada@example.org", ip="192.0.2.10")
    for n in range(1, 5):
        assert _ask(client, "ada@example.org", ip=f"192.0.2.{n + 10}").status_code == 200
    beyond = _ask(client, "ADA@example.org", ip="192.0.2.99")
    assert beyond.status_code == 200  # no 429: a colleague's recovery is not blocked
    assert beyond.get_data(as_text=True).replace("ADA@", "ada@").count("ada@example.org") == (
        first.get_data(as_text=True).count("ada@example.org")
    )
    with app.app_context():
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 5
        assert len(db.session.scalars(select(PasswordReset)).all()) == 5


def test_rate_limited_per_ip_across_addresses_but_a_whole_office_fits(client):
    for n in range(30):
        assert _ask(client, f"person{n}@example.org", ip="198.51.100.7").status_code == 200
    assert _ask(client, "other@example.org", ip="198.51.100.7").status_code == 429
    assert _ask(client, "other@example.org", ip="198.51.100.8").status_code == 200


def test_operator_command_prints_a_working_link(app, client, world):
    world.user("Ada Lorenz", "ada@example.org")
    result = app.test_cli_runner().invoke(args=["alex", "reset-link", "ada@example.org"])
    assert result.exit_code == 0, result.output
    link = re.search(r"https://alex\.example\.org(/password/reset/\S+)", result.output).group(1)
    assert client.get(link).status_code == 200
    missing = app.test_cli_runner().invoke(args=["alex", "reset-link", "nobody@example.org"])
    assert missing.exit_code != 0 and "No such account" in missing.output
