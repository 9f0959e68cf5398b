"""Login trust: server-side session lifetimes, the growing login delay, no enumeration, names."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import func, select, update

from alex.auth import service
from alex.auth.models import LoginSession, User
from alex.db import utcnow
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD, csrf_token, login

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def _sessions(app, user) -> list[LoginSession]:
    with app.app_context():
        rows = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _age_sessions(app, user, **columns) -> None:
    with app.app_context():
        db.session.execute(
            update(LoginSession).where(LoginSession.user_id == user.id).values(**columns)
        )
        db.session.commit()


def _from(ip: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": ip}}


def _login_from(client, email: str, password: str, ip: str):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        **_from(ip),
    )


# --- session lifetimes on the server ----------------------------------------------------------


def test_an_idle_session_ends_on_the_server(app, actor):
    ada = actor()
    _age_sessions(app, ada.user, last_seen=utcnow() - timedelta(hours=12, minutes=1))
    assert not _logged_in(ada.client)


def test_a_session_ends_after_the_absolute_limit_even_when_used(app, actor):
    ada = actor()
    _age_sessions(app, ada.user, created_at=utcnow() - timedelta(days=30, minutes=1))
    assert not _logged_in(ada.client)


def test_a_remembered_login_ends_after_the_absolute_limit_too(app, world):
    user = world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": TEST_PASSWORD,
            "remember": "y",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.expires is not None
    assert remember.expires - utcnow() <= timedelta(days=30, minutes=1)
    _age_sessions(app, user, created_at=utcnow() - timedelta(days=31))
    client.delete_cookie("session")  # the browser was closed: only the remember cookie is left
    assert not _logged_in(client)


def test_the_idle_limit_is_configurable(world, make_app):
    app = make_app(SESSION_IDLE_HOURS=1)
    user = world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    login(client, user.email)
    _age_sessions(app, user, last_seen=utcnow() - timedelta(minutes=61))
    assert not _logged_in(client)


def test_last_seen_is_refreshed_at_most_once_a_minute(app, actor):
    ada = actor()
    recent = utcnow() - timedelta(seconds=30)
    _age_sessions(app, ada.user, last_seen=recent)
    assert _logged_in(ada.client)
    (row,) = _sessions(app, ada.user)
    assert abs(row.last_seen - recent) < timedelta(seconds=1)  # not written again

    older = utcnow() - timedelta(minutes=5)
    _age_sessions(app, ada.user, last_seen=older)
    assert _logged_in(ada.client)  # a GET: the refresh runs in its own short transaction
    (row,) = _sessions(app, ada.user)
    assert utcnow() - row.last_seen < timedelta(seconds=30)


def test_purge_expired_deletes_expired_login_sessions(app, world):
    fresh, idle, old = (world.user(name) for name in ("Ada Lorenz", "Ben Kaya", "Cem Yilmaz"))
    with app.app_context():
        for user in (fresh, idle, old):
            service.start_login_session(db.session, db.session.merge(user), "test")
        db.session.commit()
    _age_sessions(app, idle, last_seen=utcnow() - timedelta(hours=13))
    _age_sessions(app, old, created_at=utcnow() - timedelta(days=31))
    result = app.test_cli_runner().invoke(args=["alex", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "2 expired login session" in result.output
    with app.app_context():
        left = db.session.scalars(select(LoginSession.user_id)).all()
    assert left == [fresh.id]


def test_the_account_page_lists_devices_and_ends_a_single_one(app, world):
    user = world.user("Ada Lorenz", "ada@example.org")
    phone, laptop = app.test_client(), app.test_client()
    phone.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(phone)},
        headers={"User-Agent": IPHONE},
    )
    laptop.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(laptop)},
        headers={"User-Agent": WINDOWS_FIREFOX},
    )
    html = laptop.get("/account", headers={"User-Agent": WINDOWS_FIREFOX}).get_data(as_text=True)
    assert "Safari auf iPhone" in html
    assert "Firefox auf Windows" in html
    assert "Dieses Gerät" in html
    handles = re.findall(r'name="session" value="([^"]+)"', html)
    assert len(handles) == 1  # only the other device gets a button; this one logs out instead
    assert all(s.token not in html for s in _sessions(app, user))  # tokens never reach a page
    response = laptop.post(
        "/account/sessions/end",
        data={"session": handles[0], "csrf_token": csrf_token(laptop, "/account")},
    )
    assert response.status_code == 302
    assert not _logged_in(phone)
    assert _logged_in(laptop)


def test_ending_a_session_needs_csrf_and_only_reaches_own_sessions(app, world):
    ada_user = world.user("Ada Lorenz", "ada@example.org")
    ben_user = world.user("Ben Kaya", "ben@example.org")
    ada, ben, ben_phone = app.test_client(), app.test_client(), app.test_client()
    login(ada, ada_user.email)
    login(ben, ben_user.email)
    login(ben_phone, ben_user.email)
    ben_handles = re.findall(
        r'name="session" value="([^"]+)"', ben.get("/account").get_data(as_text=True)
    )
    assert ada.post("/account/sessions/end", data={"session": ben_handles[0]}).status_code == 400
    response = ada.post(
        "/account/sessions/end",
        data={"session": ben_handles[0], "csrf_token": csrf_token(ada, "/account")},
    )
    assert response.status_code == 404
    assert _logged_in(ben_phone)


# --- account checks are limited and counted ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/password", {"current_password": "wrong one!", "new_password": "x"}),
        ("/account/two-factor/disable", {"password": "wrong one!"}),
        ("/account/two-factor/recovery-codes", {"code": "000000"}),
    ],
)
def test_account_checks_are_rate_limited(world, make_app, path, data):
    app = make_app(ACCOUNT_CHECK_RATE_LIMIT="3 per minute")
    user = world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    login(client, user.email)
    token = csrf_token(client, "/account")
    statuses = [client.post(path, data={**data, "csrf_token": token}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_a_wrong_current_password_counts_like_a_failed_login(app, actor):
    ada = actor()
    ada.post("/account/password", {"current_password": "wrong one!", "new_password": "x"})
    ada.post("/account/two-factor/disable", {"password": "wrong one!"})
    with app.app_context():
        assert db.session.get(User, ada.user.id).failed_logins == 2


# --- no enumeration, and a delay that cannot lock the owner out --------------------------------


def test_every_login_failure_says_the_same(world, make_app):
    app = make_app(LOCKOUT_THRESHOLD=2)
    world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    messages = {
        _field_error(login(client, email, password).get_data(as_text=True), "password")
        for email, password in [
            ("nobody@example.org", "whatever pass"),
            ("ada@example.org", "wrong password!"),
            ("ada@example.org", "wrong password!"),
            ("ada@example.org", "wrong password!"),  # the account waits now
            ("ada@example.org", TEST_PASSWORD),  # the right password, still waiting
        ]
    }
    assert len(messages) == 1, messages


def test_every_login_failure_runs_the_password_hasher_once(world, make_app, monkeypatch):
    app = make_app(LOCKOUT_THRESHOLD=1)
    world.user("Ada Lorenz", "ada@example.org")
    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 – argon2's own parameter name
            calls.append(password)
            return super().verify(hash, password)

    monkeypatch.setattr(service, "_cheap_hasher", CountingHasher.from_parameters(CHEAPEST))
    client = app.test_client()
    for email in ("nobody@example.org", "ada@example.org", "ada@example.org"):
        calls.clear()
        assert login(client, email, "wrong password!").status_code == 422
        assert len(calls) == 1, email


def test_failures_grow_a_delay_instead_of_a_hard_lock(app, world, make_app):
    app = make_app(LOCKOUT_THRESHOLD=3)
    user = world.user("Ada Lorenz", "ada@example.org")
    attacker = app.test_client()
    for _ in range(5):
        _login_from(attacker, user.email, "wrong password!", "203.0.113.9")
    with app.app_context():
        stored = db.session.get(User, user.id)
        waits = (stored.next_login_at - utcnow()).total_seconds()
    assert 0 < waits <= 2**2 + 1  # the third failure beyond the threshold: 4 seconds
    # A new device has to wait too, even with the right password ...
    assert (
        _login_from(app.test_client(), user.email, TEST_PASSWORD, "198.51.100.7").status_code == 422
    )
    # ... and may log in once the wait is over.
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(next_login_at=utcnow()))
        db.session.commit()
    assert (
        _login_from(app.test_client(), user.email, TEST_PASSWORD, "198.51.100.7").status_code == 302
    )


def test_an_attacker_cannot_lock_the_owner_out_of_a_known_device(world, make_app):
    app = make_app(LOCKOUT_THRESHOLD=3)
    user = world.user("Ada Lorenz", "ada@example.org")
    owner = app.test_client()
    assert _login_from(owner, user.email, TEST_PASSWORD, "198.51.100.7").status_code == 302
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/")})
    attacker = app.test_client()
    for _ in range(8):  # below the per-address limit: the account's wait is what stops it
        _login_from(attacker, user.email, "wrong password!", "203.0.113.9")
    assert _login_from(attacker, user.email, TEST_PASSWORD, "203.0.113.9").status_code == 422
    # The owner's browser has logged in before: the right password still gets it in.
    assert _login_from(owner, user.email, TEST_PASSWORD, "198.51.100.7").status_code == 302
    assert _logged_in(owner)


# --- names --------------------------------------------------------------------------------------


def test_invisible_and_direction_characters_are_stripped_from_names(app, client, actor):
    client.post(
        "/register",
        data={
            "name": "Nele\u200b Neu\u202e",
            "email": "nele@example.org",
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client, "/register"),
        },
    )
    ada = actor()
    ada.post("/account/profile", {"name": "\u2066Ada\u2069 \ufeffLorenz\u200d", "locale": ""})
    with app.app_context():
        names = set(db.session.scalars(select(User.name)))
    assert names == {"Nele Neu", "Ada Lorenz"}


def test_a_name_another_member_of_a_shared_expedition_uses_is_refused(app, actor, world):
    mona, ben, olga = actor(), actor(world.user("Ben Kaya")), actor(world.user("Olga Berg"))
    expedition = world.expedition(mona.user)
    world.join(expedition, ben.user)
    response = ben.post(
        "/account/profile", {"name": f" {mona.user.name.upper()}\u200b", "locale": ""}
    )
    assert response.status_code == 422
    assert "schon" in _field_error(response.get_data(as_text=True), "name")
    # Someone who shares no expedition with Mona may use the name.
    assert olga.post("/account/profile", {"name": mona.user.name, "locale": ""}).status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(User).where(User.name == mona.user.name)
            )
            == 2
        )


def test_joining_an_expedition_where_the_name_is_taken_is_refused(app, actor, world):
    mona = actor()
    expedition = world.expedition(mona.user)
    twin = actor(world.user(mona.user.name))
    from alex.expeditions.service import create_invite

    with app.app_context():
        invite = create_invite(
            db.session, db.session.merge(expedition), db.session.merge(mona.user)
        )
        db.session.commit()
        token = invite.token
    response = twin.post(f"/invite/{token}", {"csrf_token": twin.token(f"/invite/{token}")})
    assert response.status_code == 302
    with app.app_context():
        from alex.expeditions.models import Membership

        assert not db.session.scalar(
            select(Membership.id).where(
                Membership.expedition_id == expedition.id, Membership.user_id == twin.user.id
            )
        )


# --- private pages are not stored ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/account", "/account/two-factor"])
def test_account_pages_are_never_stored(actor, path):
    response = actor().get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_rueckenwind_shows_the_senders_role_beside_the_name(busy_zirkel, actor):
    card_id = busy_zirkel.shared_cards[busy_zirkel.ada.id][0]
    path = f"/expeditions/{busy_zirkel.expedition_id}/zirkel/cards/{card_id}/kudos"
    assert actor(busy_zirkel.ben).post(path, {"kind": "great_step"}).status_code == 302
    assert actor(busy_zirkel.facilitator).post(path, {"kind": "great_step"}).status_code == 302
    page = actor(busy_zirkel.ada).get(f"/expeditions/{busy_zirkel.expedition_id}/zirkel")
    box = page.get_data(as_text=True).split('id="rueckenwind"')[1].split("</section>")[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", box).split())
    assert f"von {busy_zirkel.ben.name} (Teilnehmer:in)" in text
    assert f"von {busy_zirkel.facilitator.name} (Moderation)" in text


def test_retro_notes_show_the_authors_role_beside_the_name(app, world, actor):
    from tests.support.meetings import make_zirkel, run_to, version_of

    z = make_zirkel(app, world)
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "retro")
    settings = {"format": "start_stop_continue", "vote_limit": "3", "anonymous": ""}
    assert mona.post(z.url("/retro"), settings, htmx=True).status_code == 200
    note = {"prompt": "0", "text": "Mehr zusammen schreiben"}
    assert ada.post(z.url("/retro/items"), note, htmx=True).status_code == 200
    version = version_of(mona.get(z.url()))
    reveal = {"phase": "reveal", "version": version}
    assert mona.post(z.url("/retro/phase"), reveal, htmx=True).status_code == 200
    body = mona.get(z.url()).get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    assert f"{z.ada.name} (Teilnehmer:in)" in text


def test_security_events_are_logged_without_secrets(app, world, caplog):
    user = world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    with caplog.at_level("INFO", logger="alex.security"):
        login(client, "nobody@example.org", "typed secret one")
        login(client, user.email, "typed secret two")
        login(client, user.email)
    lines = [r.getMessage() for r in caplog.records if r.name == "alex.security"]
    assert [line.split()[0] for line in lines] == ["login_failed", "login_failed", "login"]
    assert f"user={user.id}" in lines[1] and "reason=wrong_password" in lines[1]
    logged = "\n".join(lines)
    assert "secret" not in logged and "example.org" not in logged and TEST_PASSWORD not in logged


def test_a_get_refreshes_last_seen_apart_and_stays_without_a_transaction(make_app, world):
    """PostgreSQL runs GETs in autocommit and refuses writes in them: the touch has its own."""
    from flask_login import current_user

    application = make_app(WTF_CSRF_ENABLED=False)
    if application.config["SQLALCHEMY_ENGINES"]["default"]["url"].startswith("sqlite"):
        pytest.skip("PostgreSQL only: SQLite GETs run in a read transaction")

    @application.get("/_touch_state")
    def touch_state():
        assert current_user.is_authenticated  # loading the user is what touches
        connection = db.session.connection().connection.dbapi_connection
        return connection.info.transaction_status.name

    user = world.user("Ada Lorenz", "ada@example.org")
    client = application.test_client()
    assert login(client, user.email).status_code == 302
    _age_sessions(application, user, last_seen=utcnow() - timedelta(minutes=5))
    assert client.get("/_touch_state").get_data(as_text=True) == "IDLE"
    (row,) = _sessions(application, user)
    assert utcnow() - row.last_seen < timedelta(seconds=30)
