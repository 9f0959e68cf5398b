"""Web Push: VAPID keys from the operator command, subscriptions per device made on request,
payloads proven on the wire by a push service in the suite (RFC 8030 + RFC 8291 decryption)."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from alex.extensions import db
from alex.push import deliver, service, vapid
from alex.push.models import PushSubscription
from tests.support.push import PushReceiver, settings_path

PRIVATE, PUBLIC = vapid.generate_keys()


@pytest.fixture
def app_config(app_config):
    return {**app_config, "VAPID_PRIVATE_KEY": PRIVATE, "VAPID_SUBJECT": "mailto:ops@example.org"}


@pytest.fixture
def receiver():
    with PushReceiver() as running:
        yield running


def subscribe(
    person,
    device,
    show_content=False,
    htmx=True,
    user_agent="Mozilla/5.0 (Android 14) Firefox/133.0",
):
    data = {
        "endpoint": device.endpoint,
        "p256dh": device.p256dh,
        "auth": device.auth,
    }
    if show_content:
        data["show_content"] = "y"
    return person.post(
        "/account/push/subscriptions",
        data,
        htmx=htmx,
        headers={"User-Agent": user_agent},
        environ_base={"HTTP_USER_AGENT": user_agent},
    )


def rows(app, user_id=None) -> list[PushSubscription]:
    with app.app_context():
        query = select(PushSubscription)
        if user_id is not None:
            query = query.where(PushSubscription.user_id == user_id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def message(user_id, kind="kudos", template="", locale=None, **context):
    """The fields of an outbox row the push deliverer reads."""
    return SimpleNamespace(
        user_id=user_id,
        kind=kind,
        template=template,
        context=context,
        locale=locale,
        message_id=f"<{kind}-{user_id}@alex.test>",
    )


def send(app, msg) -> dict:
    with app.app_context():
        outcome = deliver.send_message(msg)
        db.session.commit()
        return {key.value: value for key, value in outcome.items() if value}


# ------------------------------------------------------------------ VAPID keys


def test_vapid_keys_are_made_once_and_kept_in_the_instance_file(make_app, tmp_path):
    key_file = tmp_path / "vapid.json"
    app = make_app(VAPID_PRIVATE_KEY="", VAPID_KEY_FILE=str(key_file))
    assert vapid.keys(app) is None

    result = app.test_cli_runner().invoke(args=["alex", "vapid-keys"])
    assert result.exit_code == 0, result.output
    stored = json.loads(key_file.read_text())
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert f"ALEX_VAPID_PUBLIC_KEY={stored['public_key']}" in result.output
    assert vapid.public_key_of(stored["private_key"]) == stored["public_key"]

    # The next start reads them; running the command again changes nothing.
    again = make_app(VAPID_PRIVATE_KEY="", VAPID_KEY_FILE=str(key_file))
    assert vapid.keys(again).public_key == stored["public_key"]
    second = again.test_cli_runner().invoke(args=["alex", "vapid-keys"])
    assert "exist already" in second.output
    assert json.loads(key_file.read_text()) == stored


def test_a_public_key_that_does_not_match_refuses_to_start(make_app):
    other_private, other_public = vapid.generate_keys()
    with pytest.raises(RuntimeError, match="does not belong"):
        make_app(VAPID_PUBLIC_KEY=other_public)


def test_without_keys_push_is_not_offered(make_app, world, tmp_path):
    app = make_app(VAPID_PRIVATE_KEY="", VAPID_KEY_FILE=str(tmp_path / "none.json"))
    user = world.user("Ada Lorenz")
    from tests.support.accounts import Actor, login

    client = app.test_client()
    login(client, user.email)
    person = Actor(client, user)
    page = person.get(settings_path(app)).get_data(as_text=True)
    assert "does not send push notifications" in page or "keine Push-Benachrichtigungen" in page
    assert "data-push-subscribe" not in page
    with PushReceiver() as running:
        assert subscribe(person, running.device()).status_code == 404


# ------------------------------------------------------------------ subscriptions


def test_the_settings_offer_a_button_and_subscribe_nothing_by_themselves(app, actor):
    person = actor()
    page = person.get(settings_path(app)).get_data(as_text=True)
    section = page[page.index('id="push-settings"') :]
    assert f'data-push-key="{PUBLIC}"' in page
    # The button asks only when pressed (push.js); without script it stays hidden.
    assert re.search(r'<button type="button"[^>]*data-push-subscribe hidden', section)
    assert re.search(r'<script src="/static/(min/)?js/push\.[^"]*" defer>', page)
    assert rows(app) == []


def test_subscribing_keeps_the_device_once_and_lists_it(app, actor, receiver):
    person = actor()
    device = receiver.device()
    response = subscribe(person, device)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert 'id="push-settings"' in html and "Firefox" in html and "Android" in html
    assert "announce" in response.headers["HX-Trigger"]
    # Pressed twice: still one device.
    assert subscribe(person, device, show_content=True).status_code == 201
    [row] = rows(app, person.user.id)
    assert (row.endpoint, row.p256dh, row.auth, row.show_content) == (
        device.endpoint,
        device.p256dh,
        device.auth,
        True,
    )


def test_without_htmx_the_form_answers_with_a_redirect(app, actor, receiver):
    person = actor()
    response = subscribe(person, receiver.device(), htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(settings_path(app))


@pytest.mark.parametrize(
    "endpoint, p256dh, auth",
    [
        ("http://push.example.org/x", None, None),  # plain http to a remote host
        ("https://10.0.0.7/push/x", None, None),  # an internal address
        ("https://[::1]/push/x", None, None),
        ("https://localhost/push/x", None, None),  # a name of this host
        ("https://user:pw@push.example.org/x", None, None),
        ("javascript:alert(1)", None, None),
        ("https://push.example.org/" + "x" * 1000, None, None),
        (None, "AAAA", None),  # not a P-256 point
        (None, None, "c2hvcnQ"),  # auth secret not 16 bytes
        (None, None, "!!not-base64!!"),
        ("", None, None),
    ],
)
def test_unusable_subscriptions_are_refused_with_a_message(
    app, actor, receiver, endpoint, p256dh, auth
):
    person = actor()
    device = receiver.device()
    data = {
        "endpoint": device.endpoint if endpoint is None else endpoint,
        "p256dh": device.p256dh if p256dh is None else p256dh,
        "auth": device.auth if auth is None else auth,
    }
    response = person.post("/account/push/subscriptions", data, htmx=True)
    assert response.status_code == 422
    assert "announce" in response.headers["HX-Trigger"]
    assert rows(app) == []


def test_plain_http_to_loopback_is_refused_in_production(make_app, receiver):
    device = receiver.device()
    for env, allowed in (("testing", True), ("production", False)):
        app = make_app(ENV=env, CHEAP_PASSWORD_HASHING=False)
        with app.test_request_context():
            problem = service.subscription_problem(device.endpoint, device.p256dh, device.auth)
        assert (problem is None) == allowed


def test_the_number_of_devices_is_limited(app, actor, receiver):
    person = actor()
    for _ in range(service.MAX_DEVICES):
        assert subscribe(person, receiver.device()).status_code == 201
    assert subscribe(person, receiver.device()).status_code == 422
    assert len(rows(app, person.user.id)) == service.MAX_DEVICES


def test_only_the_owner_turns_a_device_off_or_changes_its_lock_screen(app, actor, receiver):
    ada, ben = actor(), actor()
    subscribe(ada, receiver.device())
    [row] = rows(app, ada.user.id)
    assert (
        ben.post(
            f"/account/push/subscriptions/{row.id}/content", {"show_content": "y"}, htmx=True
        ).status_code
        == 404
    )
    assert ben.post(f"/account/push/subscriptions/{row.id}/delete", htmx=True).status_code == 404
    assert rows(app, ada.user.id)[0].show_content is False

    answer = ada.post(
        f"/account/push/subscriptions/{row.id}/content", {"show_content": "y"}, htmx=True
    )
    assert answer.status_code == 200 and rows(app)[0].show_content is True
    answer = ada.post(f"/account/push/subscriptions/{row.id}/content", {}, htmx=True)
    assert rows(app)[0].show_content is False
    answer = ada.post(f"/account/push/subscriptions/{row.id}/delete", htmx=True)
    assert answer.status_code == 200 and rows(app) == []


def test_changes_need_the_csrf_token(app, actor, receiver):
    person = actor()
    device = receiver.device()
    response = person.client.post(
        "/account/push/subscriptions",
        data={"endpoint": device.endpoint, "p256dh": device.p256dh, "auth": device.auth},
    )
    assert response.status_code == 400
    assert rows(app) == []


def test_logged_out_nobody_subscribes(app, client, receiver):
    device = receiver.device()
    response = client.post(
        "/account/push/subscriptions",
        data={"endpoint": device.endpoint, "p256dh": device.p256dh, "auth": device.auth},
    )
    assert response.status_code in (302, 400, 401)
    assert rows(app) == []


# ------------------------------------------------------------------ on the wire


def test_a_message_reaches_the_device_encrypted_and_signed(app, actor, receiver):
    person = actor()
    device = receiver.device()
    subscribe(person, device)
    msg = message(
        person.user.id,
        "kudos",
        subject="Kanban ausprobieren",
        actor_name="Ben",
        link="/expeditions/1/board",
    )
    assert send(app, msg) == {"sent": 1}

    assert receiver.refusals == []
    [received] = receiver.messages_for(device)
    # RFC 8030/8291/8292 as a push service sees them.
    assert received.headers["content-encoding"] == "aes128gcm"
    assert int(received.headers["ttl"]) == service.TTL_SECONDS
    assert received.headers["urgency"] == "normal"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", received.headers["topic"])
    assert received.vapid_key == PUBLIC
    assert received.claims["aud"] == receiver.origin
    assert received.claims["sub"] == "mailto:ops@example.org"
    # The ciphertext does not contain the text, and the device's keys open it.
    assert b"ALEx" not in received.body
    # Neutral on the lock screen: the person did not choose to show content.
    assert received.payload == {
        "title": "ALEx",
        "body": "Es gibt Neues in deiner Lern-Expedition.",
        "url": "/expeditions/1/board",
        "tag": received.headers["topic"],
        "lang": "de",
    }
    assert "Kanban" not in received.plaintext.decode()


def test_content_only_on_devices_whose_person_chose_it(app, actor, receiver):
    person = actor()
    discreet, open_device = receiver.device(), receiver.device()
    subscribe(person, discreet)
    subscribe(person, open_device, show_content=True)
    msg = message(
        person.user.id,
        "kudos",
        locale="en",
        subject="Kanban ausprobieren",
        actor_name="Ben",
        expedition_title="Digitale Verwaltung",
        link="//evil.example/",
    )
    assert send(app, msg) == {"sent": 2}
    [hidden] = receiver.messages_for(discreet)
    [shown] = receiver.messages_for(open_device)
    assert hidden.payload["body"] == "There is something new in your learning expedition."
    assert shown.payload["title"] == "Digitale Verwaltung"
    assert shown.payload["body"] == "Ben sent you tailwind for “Kanban ausprobieren”."
    assert shown.payload["url"] == "/"  # never a link off the site
    assert hidden.headers["topic"] == shown.headers["topic"]


def test_a_gone_subscription_is_removed_and_others_still_get_theirs(app, actor, receiver):
    person = actor()
    gone, kept, moved = receiver.device(), receiver.device(), receiver.device()
    for device in (gone, kept, moved):
        subscribe(person, device)
    receiver.answer(gone, 410)
    receiver.answer(moved, 404)
    assert send(app, message(person.user.id)) == {"sent": 1, "gone": 2}
    assert [row.endpoint for row in rows(app)] == [kept.endpoint]
    assert len(receiver.messages_for(kept)) == 1


@pytest.mark.parametrize("status, outcome", [(429, "retry"), (503, "retry"), (400, "rejected")])
def test_a_busy_push_service_is_tried_later_and_the_device_kept(
    app, actor, receiver, status, outcome
):
    person = actor()
    device = receiver.device()
    subscribe(person, device)
    receiver.answer(device, status)
    assert send(app, message(person.user.id)) == {outcome: 1}
    assert len(rows(app)) == 1


def test_a_redirect_from_the_push_service_is_not_followed(app, actor, receiver):
    person = actor()
    device, elsewhere = receiver.device(), receiver.device()
    subscribe(person, device)
    receiver.redirect(device, elsewhere.endpoint)  # e.g. to an internal address
    assert send(app, message(person.user.id)) == {"rejected": 1}
    assert receiver.requests == 1 and receiver.messages == []
    assert len(rows(app)) == 1


@pytest.mark.parametrize(
    "address", ["64:ff9b::7f00:1", "64:ff9b::a00:1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"]
)
def test_push_addresses_into_the_own_network_through_nat64_or_mapping_are_refused(app, address):
    with app.test_request_context():
        assert service._is_internal(f"[{address}]")


def test_an_unreachable_push_service_is_tried_later(app, actor, receiver):
    person = actor()
    device = receiver.device()
    subscribe(person, device)
    receiver.server.shutdown()
    receiver.server.server_close()
    assert send(app, message(person.user.id)) == {"retry": 1}


# ------------------------------------------------------------------ through the outbox


def outbox_rows(app) -> list:
    from alex.outbox import OutboxMessage

    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def enqueue_push(app, user_id, kind="kudos", **context):
    from alex import outbox

    with app.app_context():
        outbox.enqueue(
            db.session, channel="push", kind=kind, template="", context=context, user_id=user_id
        )
        db.session.commit()


def test_an_outbox_row_of_channel_push_reaches_every_device(app, actor, receiver):
    from tests.support.smtp import run_outbox

    person = actor()
    phone, laptop = receiver.device(), receiver.device()
    subscribe(person, phone, show_content=True)
    subscribe(person, laptop)
    enqueue_push(
        app,
        person.user.id,
        "action_assigned",
        subject="Retro moderieren",
        actor_name="Mona",
        link="/x",
    )
    assert receiver.messages == []  # nothing is sent inside the request or the commit

    outcome = run_outbox(app)
    assert (outcome.sent, outcome.retry, outcome.failed) == (1, 0, 0)
    assert receiver.refusals == []
    [on_phone] = receiver.messages_for(phone)
    [on_laptop] = receiver.messages_for(laptop)
    assert (
        on_phone.payload["body"]
        == "Mona hat dir eine Aktion aus der Retro gegeben: „Retro moderieren“."
    )
    assert on_laptop.payload["body"] == "Es gibt Neues in deiner Lern-Expedition."
    [row] = outbox_rows(app)
    assert row.state == "sent"
    assert on_phone.headers["topic"] == service.topic_of(row.message_id)
    assert all(sub.last_sent_at for sub in rows(app))
    # Delivered once: another sweep sends nothing again.
    assert run_outbox(app).sent == 0 and len(receiver.messages) == 2


def test_through_the_outbox_a_busy_service_is_retried_and_gone_devices_fail_the_row(
    app, actor, receiver
):
    from tests.support.smtp import run_outbox

    person = actor()
    device = receiver.device()
    subscribe(person, device)
    receiver.answer(device, 503)
    enqueue_push(app, person.user.id)
    assert run_outbox(app).retry == 1
    [row] = outbox_rows(app)
    assert row.state == "pending" and row.attempts == 1 and "busy" in row.last_error
    assert len(rows(app)) == 1

    receiver.answer(device, 410)
    enqueue_push(app, person.user.id, kind="support_answered")
    assert run_outbox(app).failed == 1  # the new row; the first waits for its backoff
    assert rows(app) == []  # the browser dropped it: so do we
    assert outbox_rows(app)[1].state == "failed"


def test_the_settings_send_a_test_notification_through_the_outbox(app, actor, receiver):
    from tests.support.smtp import run_outbox

    person = actor()
    assert person.post("/account/push/test", htmx=True).status_code == 422
    device = receiver.device()
    subscribe(person, device, show_content=True)
    page = person.get(settings_path(app)).get_data(as_text=True)
    assert 'action="/account/push/test"' in page
    assert person.post("/account/push/test", htmx=True).status_code == 200
    assert person.post("/account/push/test", htmx=True).status_code == 200  # same minute: one
    run_outbox(app)
    [received] = receiver.messages_for(device)
    assert received.payload["body"] == "Push-Benachrichtigungen funktionieren auf diesem Gerät."
    assert received.payload["url"] == settings_path(app)


def test_the_real_consumer_delivers_push(app, app_config, actor, receiver, tmp_path):
    """`flask alex consumer` in its own process knows the channel and sends the queued row."""
    import time

    from tests.support.smtp import consumer_env, consumer_process

    person = actor()
    device = receiver.device()
    subscribe(person, device)
    enqueue_push(app, person.user.id, subject="Kanban", actor_name="Ben")
    env = consumer_env(
        app_config,
        VAPID_PRIVATE_KEY=PRIVATE,
        VAPID_SUBJECT="mailto:ops@example.org",
        BASE_URL="https://alex.example.org",
    )
    log = tmp_path / "consumer.log"
    with consumer_process(env, log) as process:
        deadline = time.monotonic() + 60
        while not receiver.messages_for(device):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        while outbox_rows(app)[0].state != "sent":
            assert time.monotonic() < deadline, "the row was not marked sent"
            time.sleep(0.2)
    assert receiver.refusals == []
    assert len(receiver.messages_for(device)) == 1


def test_a_push_address_whose_name_points_into_the_own_network_is_refused(app):
    import socket

    host = socket.gethostname()  # resolves to this machine (loopback or a private address)
    with app.test_request_context(), PushReceiver() as running:
        assert service._is_internal(host)
        device = running.device()
        problem = service.subscription_problem(f"https://{host}/push/x", device.p256dh, device.auth)
    assert problem == "Der Browser hat keine brauchbare Push-Adresse geschickt."


def test_the_push_settings_are_valid_html(app, actor, receiver, tmp_path):
    from tests.test_html_valid import vnu_errors

    person = actor()
    subscribe(person, receiver.device(), show_content=True)
    subscribe(person, receiver.device())
    files = []
    for language in ("de", "en"):
        page = person.get(settings_path(app), headers={"Accept-Language": language})
        files.append(tmp_path / f"push-settings-{language}.html")
        files[-1].write_text(page.get_data(as_text=True))
    assert vnu_errors(files) == []


def test_a_renewed_subscription_moves_over_only_with_the_old_secret(app, client, actor, receiver):
    person = actor()
    old, new = receiver.device(), receiver.device()
    subscribe(person, old, show_content=True)

    def renew(old_auth, subscription=None):
        return client.post(
            "/push/renew",
            json={
                "old_endpoint": old.endpoint,
                "old_auth": old_auth,
                "subscription": subscription or new.subscription,
            },
        )

    assert renew(receiver.device().auth).status_code == 404  # someone else's secret
    assert (
        renew(
            old.auth, {"endpoint": "http://evil.example/", "keys": new.subscription["keys"]}
        ).status_code
        == 422
    )
    assert client.post("/push/renew", data="x").status_code == 400
    assert [row.endpoint for row in rows(app)] == [old.endpoint]

    assert renew(old.auth).status_code == 204  # no session, no CSRF token: the secret suffices
    [row] = rows(app)
    assert (row.user_id, row.endpoint, row.auth, row.show_content) == (
        person.user.id,
        new.endpoint,
        new.auth,
        True,
    )
    assert send(app, message(person.user.id)) == {"sent": 1}
    assert len(receiver.messages_for(new)) == 1 and receiver.messages_for(old) == []


# ------------------------------------------------------------------ signed out everywhere


def test_logging_out_everywhere_forgets_the_push_devices(app, actor, receiver):
    person, other = actor(), actor()
    subscribe(person, receiver.device())
    subscribe(other, receiver.device())
    response = person.post("/account/logout-everywhere", {})
    assert response.status_code == 302
    assert rows(app, person.user.id) == []
    assert len(rows(app, other.user.id)) == 1  # nobody else's devices


def test_a_password_reset_forgets_the_push_devices(app, actor, receiver):
    from alex.auth import recovery
    from alex.auth.models import User

    person = actor()
    subscribe(person, receiver.device())
    with app.test_request_context(method="POST"):
        token = recovery.start_reset(db.session, db.session.get(User, person.user.id))
        db.session.commit()
        assert recovery.finish_reset(db.session, token, "seven purple kites over hamburg")
        db.session.commit()
    assert rows(app, person.user.id) == []
    assert send(app, message(person.user.id)) == {}
    assert receiver.messages == []
