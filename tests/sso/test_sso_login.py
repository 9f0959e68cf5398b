"""Single sign-on through HTTP against a real OpenID provider: accounts, links, roles, refusals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine
from sqlalchemy import delete, func, select

from alex.auth import recovery
from alex.auth.models import LoginSession, PasswordReset, User
from alex.db import utcnow
from alex.extensions import db
from alex.outbox import OutboxMessage
from alex.sso.models import SsoIdentity, SsoLogin
from tests.sso.conftest import (
    AFTER_LOGOUT,
    CREATOR_GROUP,
    OPERATOR_GROUP,
    back_from_provider,
    sso_login,
    start_sso,
)
from tests.support.accounts import TEST_PASSWORD, csrf_token, login
from tests.support.oidc import sign_in_at_provider, sign_out_at_provider


def _user_by_email(app, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_first_login_creates_the_account_from_the_claims(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person(name="Ada Lorenz", locale="en-GB")
    started = start_sso(client)
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["scope"] == ["openid email profile"]

    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{ada}@amt.example"))
        assert (user.name, user.locale) == ("Ada Lorenz", "en")
        assert user.password_hash.startswith("!")
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
        assert (identity.issuer, identity.subject) == (oidc_provider.issuer, ada)
        [login] = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id))
        assert db.session.get(SsoLogin, login.token).id_token.count(".") == 2
    account = client.get("/account").get_data(as_text=True)
    assert "Sign-in through your organisation" in account
    assert "Change password" not in account


def test_a_later_login_finds_the_same_account_even_after_an_email_change(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    first = _user_by_email(app, f"{ada}@amt.example")
    client.post("/logout", data={"csrf_token": _token(client)})

    oidc_provider.set_account(
        ada, email="ada.lorenz@neues-amt.example", email_verified=True, name="Ada L."
    )
    again = app.test_client()
    answer = sso_login(again, browser_at_provider, oidc_provider, ada)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    moved = _user_by_email(app, "ada.lorenz@neues-amt.example")
    assert moved is not None and moved.id == first.id
    assert moved.name == "Ada Lorenz"  # the name chosen in ALEx stays
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def _token(client) -> str:
    return csrf_token(client, "/account")


def test_an_unverified_address_is_refused_with_a_clear_message(
    app, client, oidc_provider, browser_at_provider, person
):
    unverified = person(email_verified=False)
    answer = sso_login(client, browser_at_provider, oidc_provider, unverified)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "keine bestätigte E-Mail-Adresse" in page
    assert _user_by_email(app, f"{unverified}@amt.example") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_a_deactivated_account_cannot_sign_in_by_sso(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{ada}@amt.example"))
        user.deactivated_at = utcnow()
        db.session.execute(delete(LoginSession))
        db.session.commit()
    fresh = app.test_client()
    answer = sso_login(fresh, browser_at_provider, oidc_provider, ada)
    assert answer.headers["Location"] == "/login"
    assert "Dieses Konto ist deaktiviert" in fresh.get("/login").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_roles_follow_the_claim_but_only_those_the_claim_granted(
    app, client, oidc_provider, browser_at_provider, person
):
    ops = person(groups=[f"/{OPERATOR_GROUP}", CREATOR_GROUP, "someone-else"])
    sso_login(client, browser_at_provider, oidc_provider, ops)
    user = _user_by_email(app, f"{ops}@amt.example")
    assert user.is_operator and user.may_create_expeditions and not user.is_training_office

    # The console makes them "Bildung" too; the provider drops them from both groups.
    with app.app_context():
        db.session.get(User, user.id).is_training_office = True
        db.session.commit()
    oidc_provider.set_account(ops, email=f"{ops}@amt.example", email_verified=True, groups=[])
    sso_login(app.test_client(), browser_at_provider, oidc_provider, ops)
    user = _user_by_email(app, f"{ops}@amt.example")
    assert not user.is_operator and not user.may_create_expeditions
    assert user.is_training_office  # not the claim's to take


def test_a_role_set_in_alex_before_stays_when_the_claim_drops_it(
    app, oidc_provider, browser_at_provider, person, world
):
    creator = person(groups=[CREATOR_GROUP])
    local = world.user("Cem Yilmaz", f"{creator}@amt.example", may_create_expeditions=True)
    client = app.test_client()
    sso_login(client, browser_at_provider, oidc_provider, creator)
    client.post(
        "/login/oidc/link",
        data={"csrf_token": csrf_token(client, "/login/oidc/link"), "password": TEST_PASSWORD},
    )
    oidc_provider.set_account(creator, email=f"{creator}@amt.example", email_verified=True)
    sso_login(app.test_client(), browser_at_provider, oidc_provider, creator)
    assert _user_by_email(app, local.email).may_create_expeditions


def test_an_existing_account_is_linked_only_after_its_password(
    app, client, oidc_provider, browser_at_provider, person, world
):
    ada = person()
    local = world.user("Ada Lorenz", f"{ada}@amt.example")
    answer = sso_login(client, browser_at_provider, oidc_provider, ada)
    assert answer.headers["Location"] == "/login/oidc/link"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 0
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
    page = client.get("/login/oidc/link").get_data(as_text=True)
    assert f"{ada}@amt.example" in page and 'autocomplete="current-password"' in page
    assert client.get("/").status_code == 302  # not signed in yet

    token = csrf_token(client, "/login/oidc/link")
    wrong = client.post("/login/oidc/link", data={"csrf_token": token, "password": "not it at all"})
    assert wrong.status_code == 422
    assert "nicht das Passwort dieses ALEx-Kontos" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 0
        assert db.session.get(User, local.id).failed_logins == 1

    right = client.post("/login/oidc/link", data={"csrf_token": token, "password": TEST_PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    with app.app_context():
        identity = db.session.scalar(select(SsoIdentity))
        assert identity.user_id == local.id
        assert not db.session.get(User, local.id).password_hash.startswith("!")  # keeps it
    # Next time straight in, no question.
    again = sso_login(app.test_client(), browser_at_provider, oidc_provider, ada)
    assert again.headers["Location"] == "/"


def test_the_pending_link_is_short_lived(
    app, client, oidc_provider, browser_at_provider, person, world
):
    ada = person()
    world.user("Ada Lorenz", f"{ada}@amt.example")
    sso_login(client, browser_at_provider, oidc_provider, ada)
    token = csrf_token(client, "/login/oidc/link")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        late = client.post(
            "/login/oidc/link", data={"csrf_token": token, "password": TEST_PASSWORD}
        )
    assert late.headers["Location"] == "/login"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 0


def test_logout_ends_the_session_here_and_at_the_provider(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    answer = client.post("/logout", data={"csrf_token": _token(client)})
    end_session = answer.headers["Location"]
    assert end_session.startswith(oidc_provider.issuer + "/session/end?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == [AFTER_LOGOUT]
    assert query["id_token_hint"][0].count(".") == 2
    with app.app_context():  # this browser's session is over at once, whatever the provider does
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
        assert db.session.scalar(select(func.count()).select_from(SsoLogin)) == 0
    assert client.get("/account").status_code == 302

    back = sign_out_at_provider(browser_at_provider, end_session, oidc_provider.issuer)
    assert back.startswith(AFTER_LOGOUT)
    # Signed out at the provider too: the next SSO login asks for the login again.
    started = start_sso(client)
    prompt = browser_at_provider.get(started.headers["Location"])
    assert 'name="prompt" value="login"' in prompt.text


def test_log_out_everywhere_and_the_device_list_cover_sso_sessions(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    other = app.test_client()
    sso_login(other, browser_at_provider, oidc_provider, ada)
    assert "2 Geräten" in client.get("/account").get_data(as_text=True)
    client.post("/account/logout-everywhere", data={"csrf_token": _token(client)})
    assert other.get("/account").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoLogin)) == 0


def test_the_landing_after_sso_is_the_safe_next(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    answer = sso_login(client, browser_at_provider, oidc_provider, ada, next_url="/account")
    assert answer.headers["Location"] == "/account"
    evil = sso_login(
        app.test_client(), browser_at_provider, oidc_provider, ada, next_url="https://evil.example/"
    )
    assert evil.headers["Location"] == "/"


def test_no_password_for_an_sso_account_through_recovery(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{ada}@amt.example"))
        assert (
            recovery.request_reset(
                db.session, user.email, lambda t: f"/reset/{t}", login_link="/login"
            )
            is False
        )
        assert db.session.scalar(select(func.count()).select_from(PasswordReset)) == 0
        # Only the mail that says how they log in (tests/sso/test_sso_account_mail.py reads it).
        assert db.session.scalars(select(OutboxMessage.template)).all() == ["password_reset_sso"]
    # No password to change on the account page, and the form's target refuses.
    refused = client.post(
        "/account/password",
        data={"csrf_token": _token(client), "current_password": "x", "new_password": "y" * 12},
    )
    assert refused.status_code == 404
    # Nor a password login with what the unusable hash might look like.
    stranger = app.test_client()
    assert login(stranger, f"{ada}@amt.example", "!").status_code == 422


def test_an_sso_account_is_deleted_after_a_fresh_login_not_a_password(
    app, client, oidc_provider, browser_at_provider, person
):
    ada = person()
    sso_login(client, browser_at_provider, oidc_provider, ada)
    token = csrf_token(client, "/account/delete")
    page = client.get("/account/delete").get_data(as_text=True)
    assert 'name="password"' not in page
    # A browser left open for a while cannot do it: the login must be recent.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        late = client.post("/account/delete", data={"csrf_token": token})
        assert late.status_code == 422
        assert "melde dich über deine Organisation wieder an" in late.get_data(as_text=True)
    assert _user_by_email(app, f"{ada}@amt.example") is not None

    done = client.post("/account/delete", data={"csrf_token": token})
    assert done.status_code == 302
    assert _user_by_email(app, f"{ada}@amt.example") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 0


def test_two_first_logins_of_one_person_at_once_make_one_account(
    app, oidc_provider, browser_at_provider, person
):
    """Two tabs back from the provider at the same moment: one account, one link, two sessions
    (on PostgreSQL the later insert hits the unique constraint and the callback finds the row)."""
    ada = person()
    browsers = [app.test_client(), app.test_client()]
    callbacks = []
    for browser in browsers:
        started = start_sso(browser)
        callbacks.append(
            sign_in_at_provider(
                browser_at_provider, started.headers["Location"], ada, oidc_provider.issuer
            )
        )
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def arrive(index: int) -> None:
        barrier.wait()
        answers[index] = back_from_provider(browsers[index], callbacks[index])

    threads = [threading.Thread(target=arrive, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.headers["Location"] for a in answers] == ["/", "/"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 1
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 2


def test_the_callback_address_comes_from_the_base_url_when_set(make_app):
    """Behind a proxy the request's Host may be the app server's; the provider knows the public one."""
    public = make_app(BASE_URL="https://alex.example.org")
    started = start_sso(public.test_client())
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://alex.example.org/login/oidc/callback"]


def test_the_operators_accounts_list_tells_sso_accounts_from_local_ones(
    app, client, world, oidc_provider, browser_at_provider, person
):
    ada = person(name="Ada Lorenz")
    sso_login(client, browser_at_provider, oidc_provider, ada)
    world.user("Lia Lokal", email="lia@amt.example")
    operator = world.user("Otto Betrieb", is_operator=True)
    console = app.test_client()
    assert login(console, operator.email).status_code == 302

    rows = console.get("/betrieb/accounts?q=amt.example").get_data(as_text=True)
    sso_row = rows[rows.index(f"{ada}@amt.example") :].split("</tr>")[0]
    local_row = rows[rows.index("lia@amt.example") :].split("</tr>")[0]
    assert ">SSO<" in sso_row and ">SSO<" not in local_row
