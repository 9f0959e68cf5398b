"""Optional two-factor login: set-up, second login step, recovery codes, expedition requirement."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from alex.extensions import db
from alex.twofactor import service
from alex.twofactor.models import RecoveryCode, TwoFactor
from tests.support.accounts import TEST_PASSWORD, Actor, csrf_token, login
from tests.support.scene import fast_hashes

pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning"
)


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    fast_hashes(monkeypatch)


def _secret(app, user) -> str:
    with app.app_context():
        return db.session.get(TwoFactor, user.id).secret


def _enable(app, someone) -> list[str]:
    """Turn 2FA on through the pages; returns the recovery codes shown."""
    someone.post("/account/two-factor/start", {"csrf_token": someone.token("/account")})
    code = pyotp.TOTP(_secret(app, someone.user)).now()
    page = someone.post("/account/two-factor/enable", {"code": code}).get_data(as_text=True)
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)


def _password_step(client, user, next_url: str = ""):
    return client.post(
        "/login" + (f"?next={next_url}" if next_url else ""),
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )


def _code_step(client, code: str, next_url: str = ""):
    token = csrf_token(client, "/login/two-factor")
    return client.post(
        "/login/two-factor", data={"code": code, "next": next_url, "csrf_token": token}
    )


def test_setup_shows_a_qr_code_without_inline_style_and_a_typable_key(app, actor):
    ada = actor()
    page = ada.get("/account/two-factor").get_data(as_text=True)
    assert "Zwei-Faktor-Anmeldung einrichten" in page
    page = ada.post("/account/two-factor/start", {"csrf_token": ada.token("/account")})
    html = page.get_data(as_text=True)
    assert '<svg role="img" viewBox=' in html and "<title>QR-Code" in html
    assert "style=" not in html
    secret = _secret(app, ada.user)
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html


def test_a_wrong_first_code_is_explained_and_nothing_is_switched_on(app, actor):
    ada = actor()
    ada.post("/account/two-factor/start", {"csrf_token": ada.token("/account")})
    response = ada.post("/account/two-factor/enable", {"code": "000000"})
    assert response.status_code == 422
    assert "Dieser Code passt nicht" in response.get_data(as_text=True)
    with app.app_context():
        assert not service.is_enabled(db.session, ada.user.id)


def test_enabling_shows_ten_recovery_codes_stored_only_as_hashes(app, actor):
    ada = actor()
    codes = _enable(app, ada)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        assert service.is_enabled(db.session, ada.user.id)
        hashes = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert not hashes & {c.replace("-", "") for c in codes}
    page = ada.get("/account/two-factor").get_data(as_text=True)
    assert "Noch 10 Wiederherstellungscodes übrig." in page
    assert not re.search(r"<code>[a-z0-9]{5}-[a-z0-9]{5}</code>", page)  # shown once only


def test_login_needs_the_code_after_the_password(app, actor, client):
    ada = actor()
    _enable(app, ada)
    response = _password_step(client, ada.user, "/account")
    assert response.status_code == 302 and "/login/two-factor" in response.location
    # Half logged in is not logged in.
    assert client.get("/account").status_code == 302
    assert client.get("/login/two-factor").status_code == 200

    wrong = _code_step(client, "123456", "/account")
    assert wrong.status_code == 422
    secret = _secret(app, ada.user)
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: this one was used to enable
    right = _code_step(client, code, "/account")
    assert right.status_code == 302 and right.location.endswith("/account")
    assert client.get("/account").status_code == 200


def test_a_code_works_only_once(app, actor, client, world):
    ada = actor()
    _enable(app, ada)
    code = pyotp.TOTP(_secret(app, ada.user)).at(time.time() + 30)
    _password_step(client, ada.user)
    assert _code_step(client, code).status_code == 302
    other = app.test_client()
    _password_step(other, ada.user)
    assert _code_step(other, code).status_code == 422


def test_a_recovery_code_works_once(app, actor, client):
    ada = actor()
    codes = _enable(app, ada)
    _password_step(client, ada.user)
    response = _code_step(client, codes[0].upper().replace("-", " "))
    assert response.status_code == 302
    again = app.test_client()
    _password_step(again, ada.user)
    assert _code_step(again, codes[0]).status_code == 422
    with app.app_context():
        assert service.unused_recovery_codes(db.session, ada.user.id) == 9


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, actor, client):
    ada = actor()
    _enable(app, ada)
    _password_step(client, ada.user)
    for _ in range(app.config["ALEX_LOCKOUT_THRESHOLD"]):
        _code_step(client, "999999")
    response = _code_step(client, pyotp.TOTP(_secret(app, ada.user)).at(time.time() + 30))
    assert response.status_code == 422
    assert client.get("/account").status_code == 302


def test_the_second_step_expires(app, actor, client):
    ada = actor()
    _enable(app, ada)
    _password_step(client, ada.user)
    with client.session_transaction() as session:
        session["twofactor_pending"] = {**session["twofactor_pending"], "since": time.time() - 600}
    assert client.get("/login/two-factor").location.endswith("/login")


def test_turning_off_needs_the_password(app, actor):
    ada = actor()
    _enable(app, ada)
    wrong = ada.post("/account/two-factor/disable", {"password": "not it"})
    assert wrong.status_code == 422
    assert "Das ist nicht dein aktuelles Passwort." in wrong.get_data(as_text=True)
    right = ada.post("/account/two-factor/disable", {"password": TEST_PASSWORD})
    assert right.status_code == 302
    with app.app_context():
        assert not service.is_enabled(db.session, ada.user.id)
        assert not db.session.scalars(select(RecoveryCode)).all()


def test_new_recovery_codes_replace_the_old_ones(app, actor):
    ada = actor()
    old = _enable(app, ada)
    code = pyotp.TOTP(_secret(app, ada.user)).at(time.time() + 30)
    page = ada.post("/account/two-factor/recovery-codes", {"code": code}).get_data(as_text=True)
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)
    assert len(new) == 10 and not set(new) & set(old)
    with app.app_context():
        assert service.verify(db.session, ada.user.id, old[0]) is None
        assert service.verify(db.session, ada.user.id, new[0]) is not None


def test_a_facilitator_must_use_2fa_before_requiring_it(app, actor, world):
    mona = actor()
    expedition = world.expedition(mona.user)
    path = f"/expeditions/{expedition.id}/two-factor"
    refused = mona.post(path, {"required": "y"})
    assert refused.status_code == 422
    assert "zuerst für dein eigenes Konto" in refused.get_data(as_text=True)
    _enable(app, mona)
    assert mona.post(path, {"required": "y"}).status_code == 302
    with app.app_context():
        assert service.is_required(db.session, expedition.id)


def test_members_without_2fa_are_sent_to_set_it_up_before_entering(app, actor, world):
    mona, ben, olga = actor(), actor(), actor()
    expedition = world.expedition(mona.user)
    world.join(expedition, ben.user)
    _enable(app, mona)
    mona.post(f"/expeditions/{expedition.id}/two-factor", {"required": "y"})

    page = f"/expeditions/{expedition.id}"
    assert mona.get(page).status_code == 200
    sent = ben.get(page)
    assert sent.status_code == 302 and "/account/two-factor?next=" in sent.location
    htmx = ben.get(page, htmx=True)
    assert htmx.headers["HX-Redirect"].startswith("/account/two-factor")
    assert olga.get(page).status_code == 404  # outsiders learn nothing about the requirement

    codes = _enable(app, ben)
    assert codes
    assert ben.get(page).status_code == 200


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abc", "x" * 40, "<b>1</b>"])
def test_malformed_codes_never_log_in(app, actor, client, code):
    ada = actor()
    _enable(app, ada)
    _password_step(client, ada.user)
    response = _code_step(client, code)
    assert response.status_code == 422
    assert client.get("/account").status_code == 302


def test_the_page_after_enabling_does_not_echo_the_used_code(app, actor):
    ada = actor()
    ada.post("/account/two-factor/start", {"csrf_token": ada.token("/account")})
    code = pyotp.TOTP(_secret(app, ada.user)).now()
    page = ada.post("/account/two-factor/enable", {"code": code}).get_data(as_text=True)
    assert f'value="{code}"' not in page


def test_a_right_password_does_not_reset_wrong_codes(make_app, world):
    app = make_app(LOCKOUT_THRESHOLD=3, LOGIN_RATE_LIMIT="100 per minute")
    user = world.user("Ada Lorenz")
    ada = Actor(app.test_client(), user)
    assert login(ada.client, user.email).status_code == 302
    _enable(app, ada)
    client = app.test_client()
    for _ in range(3):  # password, wrong codes below the threshold, password again …
        assert _password_step(client, user).status_code == 302
        for _ in range(2):
            assert _code_step(client, "999999").status_code == 422
    _password_step(client, user)
    response = _code_step(client, pyotp.TOTP(_secret(app, user)).at(time.time() + 30))
    assert response.status_code == 422, "the code step must be waiting by now"
    assert client.get("/account").status_code == 302


def test_the_code_counter_resets_only_after_the_second_factor_passes(app, actor, client):
    from alex.auth.models import User

    ada = actor()
    _enable(app, ada)
    _password_step(client, ada.user)
    _code_step(client, "999999")
    _password_step(client, ada.user)
    with app.app_context():
        assert db.session.get(User, ada.user.id).failed_codes == 1
    assert (
        _code_step(client, pyotp.TOTP(_secret(app, ada.user)).at(time.time() + 30)).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(User, ada.user.id).failed_codes == 0


def test_turning_two_factor_on_ends_the_other_password_only_sessions(app, actor, world):
    mona = actor()
    ben_user = world.user("Ben Kaya")
    ben_laptop, ben_phone = actor(ben_user), actor(ben_user)
    expedition = world.expedition(mona.user)
    world.join(expedition, ben_user)
    _enable(app, mona)
    mona.post(f"/expeditions/{expedition.id}/two-factor", {"required": "y"})
    _enable(app, ben_laptop)
    page = f"/expeditions/{expedition.id}"
    assert ben_laptop.get(page).status_code == 200  # this session passed a code to turn it on
    assert ben_phone.get(page).status_code == 302
    assert "/login" in ben_phone.get(page).location  # logged out, not merely redirected


def test_the_requirement_reads_the_login_session_not_the_account(app, actor, world):
    from alex.auth import service as auth
    from alex.auth.models import User

    mona = actor()
    ben = actor(world.user("Ben Kaya"))
    expedition = world.expedition(mona.user)
    world.join(expedition, ben.user)
    _enable(app, mona)
    mona.post(f"/expeditions/{expedition.id}/two-factor", {"required": "y"})
    _enable(app, ben)
    # A session that did not pass the second factor (as every session before this change).
    with app.app_context():
        login = auth.start_login_session(db.session, db.session.get(User, ben.user.id), "old")
        db.session.commit()
        token = login.token
    old = app.test_client()
    with old.session_transaction() as cookie:
        cookie["_user_id"] = token
        cookie["_fresh"] = True
    sent = old.get(f"/expeditions/{expedition.id}")
    assert sent.status_code == 302 and "/account/two-factor" in sent.location
    assert ben.get(f"/expeditions/{expedition.id}").status_code == 200


def test_turning_two_factor_off_ends_other_sessions_and_clears_this_ones_pass(app, actor, world):
    ben_user = world.user("Ben Kaya")
    ben, phone = actor(ben_user), actor(ben_user)
    _enable(app, ben)
    assert phone.get("/account").status_code == 302
    phone = app.test_client()
    _password_step(phone, ben_user)
    _code_step(phone, pyotp.TOTP(_secret(app, ben_user)).at(time.time() + 30))
    assert phone.get("/account").status_code == 200
    assert ben.post("/account/two-factor/disable", {"password": TEST_PASSWORD}).status_code == 302
    assert phone.get("/account").status_code == 302
    assert ben.get("/account").status_code == 200


def test_wrong_codes_in_the_account_count_too(app, actor):
    from alex.auth.models import User

    ada = actor()
    _enable(app, ada)
    ada.post("/account/two-factor/recovery-codes", {"code": "000000"})
    with app.app_context():
        assert db.session.get(User, ada.user.id).failed_codes == 1
