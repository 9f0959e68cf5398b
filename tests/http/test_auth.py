"""Accounts through HTTP: sign-up, login, lockout, rate limit, sessions that really end, settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from alex.auth.models import LoginSession, User
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD, csrf_token, login

NEW_PASSWORD = "seven purple kites over hamburg"


def _register(client, name="Nele Neu", email="nele@example.org", password=TEST_PASSWORD, **kw):
    data = {"name": name, "email": email, "password": password, **kw}
    data.setdefault("csrf_token", csrf_token(client, "/register"))
    return client.post("/register", data=data)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _field_error(html: str, field: str) -> str:
    """The error text rendered next to a field (empty when none)."""
    match = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def _logged_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


# --- registration -------------------------------------------------------------------------


def test_register_creates_account_and_logs_in(app, client):
    response = _register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _logged_in(client)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nele@example.org"))
        assert user.name == "Nele Neu"
        assert user.password_hash.startswith("$argon2id$")


def test_register_normalises_email_and_refuses_duplicates(app, client, world):
    world.user("Ada Lorenz", "ada@example.org")
    response = _register(client, email="  ADA@Example.org ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "schon ein Konto" in _field_error(html, "email")
    assert _count(app, User) == 1


LONG = "x" * 300


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Bitte sag uns deinen Namen."),
        ({"name": "   "}, "name", "Bitte fülle dieses Feld aus."),
        ({"name": "A" * 81}, "name", "höchstens 80 Zeichen"),
        ({"name": "Zeile\neins"}, "name", "einzige Zeile"),
        ({"name": "Nul\x00Byte"}, "name", "einzige Zeile"),
        ({"email": ""}, "email", "E-Mail-Adresse"),
        ({"email": "not-an-address"}, "email", "sieht nicht nach einer E-Mail-Adresse aus"),
        ({"email": "a@" + "b" * 260 + ".de"}, "email", "höchstens 254 Zeichen"),
        ({"password": ""}, "password", "Passwort"),
        ({"password": "short"}, "password", "mindestens 10 Zeichen"),
        ({"password": "password123"}, "password", "leicht zu erraten"),
        ({"password": "y" * 201}, "password", "höchstens 200 Zeichen"),
        ({"password": "Nele Neu nele@example.org"[:12] + "x"}, "password", "erraten"),
    ],
)
def test_register_bad_input(app, client, data, field, message):
    payload = {"name": "Nele Neu", "email": "nele@example.org", "password": TEST_PASSWORD, **data}
    response = _register(client, **payload)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in _field_error(html, field), _field_error(html, field)
    assert 'aria-invalid="true"' in html
    if field != "password":  # what the user typed stays (never the password)
        kept = payload["email"] if field == "name" else payload["name"]
        assert kept.replace("\n", "") in html
    assert _count(app, User) == 0


def test_register_keeps_typed_input(client):
    html = _register(client, name="Nele Neu", email="bad-address").get_data(as_text=True)
    assert 'value="Nele Neu"' in html and 'value="bad-address"' in html


def test_register_with_huge_field_is_422_not_500(app, client):
    response = _register(client, name="N" * 500_000)
    assert response.status_code == 422
    assert _count(app, User) == 0


def test_register_closed_without_invite(world, make_app):
    app = make_app(OPEN_REGISTRATION=False)
    client = app.test_client()
    assert client.get("/register").status_code == 403
    assert "Einladungslink" in client.get("/register").get_data(as_text=True)
    token = csrf_token(client, "/login")
    response = client.post(
        "/register",
        data={
            "name": "Eve",
            "email": "eve@example.org",
            "password": TEST_PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    assert 'href="/register"' not in client.get("/login").get_data(as_text=True)
    assert _count(app, User) == 0


# --- login ---------------------------------------------------------------------------------


def test_login_page_and_wrong_password(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    assert client.get("/login").status_code == 200
    response = login(client, "ada@example.org", "wrong password!")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "E-Mail-Adresse oder das Passwort stimmt nicht" in _field_error(html, "password")
    assert 'value="ada@example.org"' in html
    assert not _logged_in(client)


def test_unknown_account_gets_the_same_message(client):
    html = login(client, "nobody@example.org", "whatever pass").get_data(as_text=True)
    assert "E-Mail-Adresse oder das Passwort stimmt nicht" in _field_error(html, "password")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "", "password": "x"}, "email"),
        ({"email": "   ", "password": "x"}, "email"),
        ({"email": "no-at-sign", "password": "x"}, "email"),
        ({"email": "a\x00@example.org", "password": "x"}, "email"),
        ({"email": "ada@example.org", "password": ""}, "password"),
        ({"email": "ada@example.org", "password": "p" * 201}, "password"),
        ({"email": "e" * 100_000, "password": "x"}, "email"),
    ],
)
def test_login_bad_input(client, world, data, field):
    world.user("Ada Lorenz", "ada@example.org")
    response = client.post("/login", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), field)


def test_login_redirects_home_and_email_is_case_insensitive(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    response = login(client, "  Ada@Example.ORG ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _logged_in(client)


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/expeditions/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_safe_next_is_followed(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    token = csrf_token(client)
    response = client.post(
        "/login?next=/account",
        data={"email": "ada@example.org", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/%0a/evil.example".replace("%0a", "\n"),
        "evil.example",
        "",
    ],
)
def test_open_redirects_are_refused(client, world, target):
    world.user("Ada Lorenz", "ada@example.org")
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": TEST_PASSWORD,
            "next": target,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logged_in_user_visiting_login_goes_home(actor):
    ada = actor()
    assert ada.get("/login").headers["Location"] == "/"
    assert ada.get("/register").headers["Location"] == "/"


# --- lockout and rate limit ----------------------------------------------------------------


@pytest.fixture
def lockout_app(make_app):
    return lambda: make_app(LOCKOUT_THRESHOLD=3, LOGIN_DELAY_MAX_SECONDS=900)


def _wait_of(app, user) -> float:
    from alex.db import utcnow

    with app.app_context():
        next_at = db.session.get(User, user.id).next_login_at
    return (next_at - utcnow()).total_seconds() if next_at else 0.0


def test_the_wait_after_failures_holds_across_app_instances(app, world, lockout_app):
    user = world.user("Ada Lorenz", "ada@example.org")
    first = lockout_app().test_client()
    second = lockout_app().test_client()  # another worker on the same database
    for client in (first, second, first):
        assert login(client, "ada@example.org", "wrong password!").status_code == 422
    assert _wait_of(app, user) > 0
    # Waiting now: a new browser is refused even with the right password, on either instance.
    for client in (second, first):
        response = login(client, "ada@example.org")
        assert response.status_code == 422
        assert "zu viele Versuche" in _field_error(response.get_data(as_text=True), "password")
        assert not _logged_in(client)


def test_the_failure_count_resets_after_a_good_login(app, world, lockout_app):
    user = world.user("Ada Lorenz", "ada@example.org")
    client = lockout_app().test_client()
    login(client, "ada@example.org", "wrong password!")
    login(client, "ada@example.org", "wrong password!")
    assert login(client, "ada@example.org").status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).failed_logins == 0


def test_the_wait_ends(app, world, lockout_app):
    from datetime import timedelta

    from sqlalchemy import update

    from alex.db import utcnow

    user = world.user("Ada Lorenz", "ada@example.org")
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=12, next_login_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    client = lockout_app().test_client()
    assert login(client, "ada@example.org").status_code == 302


def test_login_rate_limit_per_ip_answers_429_in_german(world, make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute", LOCKOUT_THRESHOLD=100)
    client = app.test_client()
    world.user("Ada Lorenz", "ada@example.org")
    statuses = [login(client, "ada@example.org", "wrong password!").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    response = login(client, "ada@example.org")
    assert response.status_code == 429
    assert "Zu viele Versuche" in response.get_data(as_text=True)
    # Another address is not throttled.
    other = client.post(
        "/login",
        data={"email": "ada@example.org", "password": "x", "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert other.status_code == 422


# --- sessions ------------------------------------------------------------------------------


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_session_cookie_rotates_at_login(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    client.get("/login")
    before = _session_cookie(client)
    login(client, "ada@example.org")
    assert _session_cookie(client) != before


def test_logout_invalidates_the_copied_cookie(app, client, world):
    world.user("Ada Lorenz", "ada@example.org")
    login(client, "ada@example.org")
    copied = _session_cookie(client)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert "Clear-Site-Data" in response.headers
    assert not _logged_in(client)
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/").status_code == 302  # not logged in any more
    assert _count(app, LoginSession) == 0


def test_logout_needs_post_and_csrf(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    login(client, "ada@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert _logged_in(client)


def test_password_change_ends_every_other_session(app, world):
    user = world.user("Ada Lorenz", "ada@example.org")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user.email)
    login(laptop, user.email)
    response = laptop.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": NEW_PASSWORD,
            "csrf_token": csrf_token(laptop, "/account"),
        },
    )
    assert response.status_code == 302
    assert _logged_in(laptop)  # this browser continues with a fresh session
    assert not _logged_in(phone)
    assert _count(app, LoginSession) == 1
    fresh = app.test_client()
    assert login(fresh, user.email).status_code == 422
    assert login(fresh, user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "wrong one!"}, "current_password", "nicht dein aktuelles"),
        ({"current_password": ""}, "current_password", "aktuelles Passwort"),
        ({"new_password": ""}, "new_password", "Passwort"),
        ({"new_password": "short"}, "new_password", "mindestens 10"),
        ({"new_password": "Ada Lorenz1"}, "new_password", "erraten"),
        ({"new_password": "z" * 5000}, "new_password", "höchstens 200"),
    ],
)
def test_password_change_bad_input(app, actor, data, field, message):
    ada = actor()
    payload = {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, **data}
    response = ada.post("/account/password", payload)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in _field_error(html, field)
    assert f'value="{ada.user.name}"' in html  # the profile form still shows the name
    assert login(app.test_client(), ada.user.email).status_code == 302  # old password works


def test_logout_everywhere(app, world):
    user = world.user("Ada Lorenz", "ada@example.org")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, user.email)
    login(laptop, user.email)
    html = laptop.get("/account").get_data(as_text=True)
    assert "2 Geräten" in html
    response = laptop.post(
        "/account/logout-everywhere", data={"csrf_token": csrf_token(laptop, "/account")}
    )
    assert response.status_code == 302
    assert not _logged_in(phone) and not _logged_in(laptop)
    assert _count(app, LoginSession) == 0


# --- account settings and language ---------------------------------------------------------


def test_change_name_and_language_to_english(app, actor):
    ada = actor()
    assert "Dein Konto" in ada.get("/account").get_data(as_text=True)
    response = ada.post("/account/profile", {"name": "Ada L.", "locale": "en"})
    assert response.status_code == 302
    html = ada.get("/account", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Your account" in html and "Ada L." in html
    # Back to "like my browser": Accept-Language decides again.
    ada.post("/account/profile", {"name": "Ada L.", "locale": ""})
    english = ada.get("/account", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    german = ada.get("/account", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in english and '<html lang="de">' in german


def test_language_setting_beats_accept_language(actor):
    ada = actor()
    ada.post("/account/profile", {"name": ada.user.name, "locale": "de"})
    html = ada.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="de">' in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": " \t "}, "name"),
        ({"name": "n" * 81}, "name"),
        ({"name": "n" * 200_000}, "name"),
        ({"locale": "fr"}, "locale"),
        ({"locale": "<script>"}, "locale"),
    ],
)
def test_profile_bad_input(app, actor, data, field):
    ada = actor()
    response = ada.post("/account/profile", {"name": "Ada L.", "locale": "de", **data})
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), field)
    with app.app_context():
        stored = db.session.get(User, ada.user.id)
        assert stored.name == ada.user.name and stored.locale is None


ACCOUNT_ROUTES = [
    ("get", "/account"),
    ("post", "/account/profile"),
    ("post", "/account/password"),
    ("post", "/account/logout-everywhere"),
]


@pytest.mark.parametrize(("method", "path"), ACCOUNT_ROUTES)
def test_account_routes_need_login(client, method, path):
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
