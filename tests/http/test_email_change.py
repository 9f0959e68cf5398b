"""Changing the e-mail address through HTTP and a real SMTP server: the link, the notice, limits."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from alex.auth.models import EmailChange, PasswordReset, User
from alex.auth.recovery import token_hash
from alex.db import utcnow
from alex.extensions import db
from alex.outbox import OutboxMessage
from alex.sso.models import SsoIdentity
from tests.conftest import mail_settings
from tests.support.accounts import TEST_PASSWORD, csrf_token, login
from tests.support.smtp import run_outbox

NEW = "ada.neu@example.org"


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, **mail_settings(smtp_server)}


def _logged_in(app, email: str = "ada@example.org"):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _ask(client, new_email: str = NEW, password: str = TEST_PASSWORD, ip: str = "192.0.2.1"):
    return client.post(
        "/account/email",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "new_email": new_email,
            "password": password,
        },
        environ_base={"REMOTE_ADDR": ip},
    )


def _mail_to(smtp_server, address: str):
    [mail] = [m for m in smtp_server.messages if address in m["To"]]
    return mail


def _link_of(smtp_server, address: str = NEW) -> str:
    text = _mail_to(smtp_server, address).get_body(("plain",)).get_content()
    return re.search(r"https://alex\.example\.org(/account/email/confirm/\S+)", text).group(1)


def _confirm(client, link: str):
    return client.post(link, data={"csrf_token": csrf_token(client, "/account")})


def _email_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email


def test_the_account_page_offers_the_change_with_the_current_address(app, world):
    world.user("Ada Lorenz", "ada@example.org")
    html = _logged_in(app).get("/account").get_data(as_text=True)
    assert "E-Mail-Adresse ändern" in html and "Deine Adresse ist ada@example.org." in html
    assert 'name="new_email"' in html and 'type="email"' in html
    assert html.count('autocomplete="current-password"') == 2  # this form and the password's


def test_link_to_the_new_address_notice_to_the_old_then_the_change(app, world, smtp_server):
    ada = world.user("Ada Lorenz", "ada@example.org")
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == ada.id)
            .values(email_undeliverable_at=utcnow(), email_undeliverable_reason="550 gone")
        )
        db.session.commit()
    client = _logged_in(app)
    asked = _ask(client, "  Ada.Neu@Example.org ")
    assert asked.status_code == 302 and asked.headers["Location"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "Wir haben einen Link an ada.neu@example.org geschickt" in page
    assert _email_of(app, ada.id) == "ada@example.org"  # nothing changes before the link
    run_outbox(app)

    confirm = _mail_to(smtp_server, NEW)
    assert confirm["To"] == "Ada Lorenz <ada.neu@example.org>"
    assert confirm["Subject"] == "Bestätige deine neue E-Mail-Adresse für ALEx"
    text = confirm.get_body(("plain",)).get_content()
    assert "innerhalb von 24 Stunden" in text and "ada.neu@example.org" in text
    html = confirm.get_body(("html",)).get_content()
    link = _link_of(smtp_server)
    assert f'href="https://alex.example.org{link}"' in html
    assert "Neue Adresse bestätigen" in html

    notice = _mail_to(smtp_server, "ada@example.org")
    assert notice["Subject"] == "Deine E-Mail-Adresse bei ALEx wird geändert"
    notice_text = notice.get_body(("plain",)).get_content()
    assert "deine E-Mail-Adresse bei ALEx wird in ada.neu@example.org geändert" in notice_text
    assert "Warst du das nicht?" in notice_text
    assert "https://alex.example.org/account" in notice_text
    assert link not in notice_text  # the old inbox never gets the link
    assert "Warst du das nicht?" in notice.get_body(("html",)).get_content()

    shown = client.get(link)
    assert shown.status_code == 200  # looking uses nothing up (mail scanners)
    assert "ada.neu@example.org" in shown.get_data(as_text=True)
    done = _confirm(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    assert "Deine E-Mail-Adresse ist jetzt ada.neu@example.org." in client.get("/account").get_data(
        as_text=True
    )
    with app.app_context():
        user = db.session.get(User, ada.id)
        assert user.email == NEW
        assert user.email_undeliverable_at is None and user.email_undeliverable_reason is None
        # Only the hash is kept, and the link is blanked in the sent outbox row.
        [change] = db.session.scalars(select(EmailChange)).all()
        assert change.token_hash == token_hash(link.rsplit("/", 1)[1])
        assert change.expires_at - change.created_at == timedelta(hours=24)
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email_change"))
        assert row.state == "sent" and row.context["link"] == ""
    assert _confirm(client, link).status_code == 410  # single use
    assert login(app.test_client(), NEW).status_code == 302
    assert login(app.test_client(), "ada@example.org").status_code == 422


def test_english_mails(app, world, smtp_server):
    ada = world.user("Ada Lorenz", "ada@example.org")
    with app.app_context():
        db.session.execute(update(User).where(User.id == ada.id).values(locale="en"))
        db.session.commit()
    _ask(_logged_in(app))
    run_outbox(app)
    confirm = _mail_to(smtp_server, NEW)
    assert confirm["Subject"] == "Confirm your new e-mail address for ALEx"
    assert "within 24 hours" in confirm.get_body(("plain",)).get_content()
    notice = _mail_to(smtp_server, "ada@example.org")
    assert notice["Subject"] == "Your ALEx e-mail address is being changed"
    assert "Wasn't you?" in notice.get_body(("plain",)).get_content()


def test_wrong_password_or_same_address_is_refused_and_nothing_is_sent(app, world):
    world.user("Ada Lorenz", "ada@example.org")
    client = _logged_in(app)
    wrong = _ask(client, password="not my password")
    assert wrong.status_code == 422
    assert "Das ist nicht dein aktuelles Passwort." in wrong.get_data(as_text=True)
    same = _ask(client, "ADA@example.org")
    assert same.status_code == 422
    assert "Das ist schon deine Adresse." in same.get_data(as_text=True)
    invalid = _ask(client, "not an address")
    assert invalid.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(EmailChange)).all() == []
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert db.session.scalar(select(User.failed_logins)) == 1  # counted like a login


def test_an_address_of_another_account_gets_the_same_answer_then_fails_clearly(
    app, world, smtp_server
):
    ada = world.user("Ada Lorenz", "ada@example.org")
    world.user("Ben Okafor", "ben@example.org")
    client = _logged_in(app)
    taken = _ask(client, "ben@example.org")
    free = _ask(client, "frei@example.org")
    assert taken.status_code == free.status_code == 302
    assert taken.headers["Location"] == free.headers["Location"]
    run_outbox(app)
    link = _link_of(smtp_server, "ben@example.org")
    answer = _confirm(client, link)
    assert answer.status_code == 409
    assert "gehört schon zu einem anderen ALEx-Konto" in answer.get_data(as_text=True)
    assert _email_of(app, ada.id) == "ada@example.org"
    # The other link was used up together with this one: one confirmation settles the change.
    assert client.get(_link_of(smtp_server, "frei@example.org")).status_code == 410


def test_an_expired_link_does_not_work(app, world, smtp_server):
    ada = world.user("Ada Lorenz", "ada@example.org")
    client = _logged_in(app)
    _ask(client)
    run_outbox(app)
    link = _link_of(smtp_server)
    with app.app_context():
        db.session.execute(update(EmailChange).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = client.get(link)
    assert page.status_code == 410
    assert "funktioniert nicht mehr" in page.get_data(as_text=True)
    assert _confirm(client, link).status_code == 410
    assert _email_of(app, ada.id) == "ada@example.org"


def test_a_link_works_only_for_the_account_that_asked(app, world, smtp_server):
    ada = world.user("Ada Lorenz", "ada@example.org")
    world.user("Ben Okafor", "ben@example.org")
    _ask(_logged_in(app))
    run_outbox(app)
    link = _link_of(smtp_server)
    # Someone reading the new inbox (a typo's owner) is sent to log in first…
    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    # …and with another account the link opens nothing, nor uses it up.
    ben = _logged_in(app, "ben@example.org")
    page = ben.get(link)
    assert page.status_code == 403
    assert "gehört zu einem anderen ALEx-Konto" in page.get_data(as_text=True)
    assert _confirm(ben, link).status_code == 403
    assert _email_of(app, ada.id) == "ada@example.org"
    # The owner, logging in from the mail on another device, lands on the link's page.
    phone = app.test_client()
    landed = phone.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": TEST_PASSWORD,
            "next": link,
            "csrf_token": csrf_token(phone),
        },
    )
    assert landed.headers["Location"] == link
    assert _confirm(phone, link).status_code == 302
    assert _email_of(app, ada.id) == NEW


def test_a_password_change_stops_a_pending_change_and_the_change_voids_reset_links(
    app, world, smtp_server
):
    ada = world.user("Ada Lorenz", "ada@example.org")
    client = _logged_in(app)
    _ask(client)
    run_outbox(app)
    link = _link_of(smtp_server)
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current_password": TEST_PASSWORD,
            "new_password": "seven purple kites over hamburg",
        },
    )
    assert changed.status_code == 302
    assert client.get(link).status_code == 410  # "warst du das nicht?" → change the password

    forgot = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"csrf_token": forgot, "email": "ada@example.org"})
    _ask(client, password="seven purple kites over hamburg")
    run_outbox(app)
    links = [
        re.search(r"https://alex\.example\.org(/account/email/confirm/\S+)", text).group(1)
        for m in smtp_server.messages
        if "/account/email/confirm/" in (text := m.get_body(("plain",)).get_content())
    ]
    assert _confirm(client, links[-1]).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(PasswordReset.used_at)).all() != [None]
    assert _email_of(app, ada.id) == NEW


def test_two_confirmations_at_once_change_the_address_once(app, world, smtp_server):
    ada = world.user("Ada Lorenz", "ada@example.org")
    tabs = [_logged_in(app), _logged_in(app)]
    _ask(tabs[0])
    _ask(tabs[0], "ada.zwei@example.org")
    run_outbox(app)
    links = [_link_of(smtp_server), _link_of(smtp_server, "ada.zwei@example.org")]
    tokens = [csrf_token(tab, "/account") for tab in tabs]
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def press(tab, token, link):
        barrier.wait()
        answers[link] = tab.post(link, data={"csrf_token": token}).status_code

    threads = [
        threading.Thread(target=press, args=args) for args in zip(tabs, tokens, links, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers.values()) == [302, 410]
    [winner] = [link for link, status in answers.items() if status == 302]
    assert _email_of(app, ada.id) == (NEW if winner == links[0] else "ada.zwei@example.org")
    with app.app_context():
        assert db.session.scalars(select(EmailChange.used_at)).all().count(None) == 0


def test_beyond_the_per_address_limit_the_same_answer_but_no_mail(app, world):
    world.user("Ada Lorenz", "ada@example.org")
    client = _logged_in(app)
    for n in range(5):
        assert _ask(client, ip=f"192.0.2.{n + 10}").status_code == 302
    beyond = _ask(client, ip="192.0.2.99")
    assert beyond.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(EmailChange)).all()) == 5


def test_an_account_linked_to_the_organisation_cannot_change_it_here(app, world):
    ada = world.user("Ada Lorenz", "ada@example.org")
    with app.app_context():
        db.session.add(SsoIdentity(user_id=ada.id, issuer="https://id.amt.example", subject="a1"))
        db.session.commit()
    client = _logged_in(app)
    html = client.get("/account").get_data(as_text=True)
    assert "Sie kommt vom Konto deiner Organisation" in html
    assert 'name="new_email"' not in html
    assert _ask(client).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(EmailChange)).all() == []
