"""Signed webhooks: registered by facilitators, fed by the expedition's events through the outbox,
verified on the wire by a receiver in the suite (Standard Webhooks), retried, turned off after
failing again and again, and never sent into a private network unless the operator allows it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook as StandardWebhook

from alex import outbox
from alex.db import utcnow
from alex.expeditions.models import Expedition
from alex.extensions import db
from alex.notifications import Notification
from alex.outbox import OutboxMessage
from alex.webhooks import sending, service
from alex.webhooks.models import Webhook, WebhookDelivery
from tests.support.accounts import make_cast
from tests.support.races import at_once
from tests.support.webhooks import WebhookReceiver

SECRET_RE = re.compile(r"whsec_[A-Za-z0-9+/=]{20,}")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WEBHOOK_ALLOW_PRIVATE": True, "BASE_URL": "https://alex.example.org"}


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def cast(world):
    return make_cast(world)


def add_hook(app, expedition_id, url, events=None, **values) -> tuple[int, str]:
    """A webhook straight through the service; returns its id and secret."""
    with app.app_context():
        hook = service.create_webhook(
            db.session, expedition_id, None, url, list(events or service.EVENTS)
        )
        for name, value in values.items():
            setattr(hook, name, value)
        db.session.commit()
        return hook.id, hook.secret


def deliver_webhooks(app) -> outbox.Outcome:
    """What the consumer's sweep does, for the webhook rows only (mail rows stay queued)."""
    with app.app_context():
        ids = db.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.channel == "webhook",
                OutboxMessage.state == "pending",
                OutboxMessage.next_attempt_at <= utcnow(),
            )
        ).all()
        db.session.rollback()
        return outbox.deliver_ids(ids)


def let_retries_fall_due(app) -> None:
    """The backoff has passed (the outbox waits a minute or more before trying again)."""
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def schedule(app, expedition_id, actor_id, days=5):
    from alex.meetings.service import Schedule, schedule_meeting

    with app.app_context():
        expedition = db.session.get(Expedition, expedition_id)
        meeting = schedule_meeting(
            db.session,
            expedition,
            Schedule(
                kind="zirkeltreffen",
                starts_at=utcnow() + timedelta(days=days),
                duration_minutes=90,
                location="Raum 3.14",
                sprint_number=1,
                moderator_id=None,
            ),
            actor_id=actor_id,
        )
        db.session.commit()
        return meeting.id


def verified(request, secret) -> dict:
    """The body, after checking the signature twice: the reference library and by hand."""
    payload = StandardWebhook(secret).verify(request.body, request.headers)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (
        f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
        + request.body
    )
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(request.headers["webhook-signature"], expected)
    return payload


# ------------------------------------------------------------------ signing


def test_the_signature_matches_the_specifications_test_vector():
    assert (
        sending.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            '{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_new_secret_is_standard_webhooks_shaped_and_fresh():
    first, second = sending.new_secret(), sending.new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == sending.SECRET_BYTES


# ------------------------------------------------------------------ the settings page


def test_a_facilitator_registers_a_webhook_and_sees_the_secret_once(app, actor, cast, receiver):
    mona = actor(cast.facilitator)
    path = f"/expeditions/{cast.expedition.id}/webhooks"
    page = mona.get(path)
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]

    answer = mona.post(path, {"url": receiver.url, "events": ["meeting.scheduled", "action.done"]})
    assert answer.status_code == 201
    [secret] = set(SECRET_RE.findall(answer.get_data(as_text=True)))
    with app.app_context():
        hook = db.session.scalars(select(Webhook)).one()
        assert hook.secret == secret
        assert hook.events == ["meeting.scheduled", "action.done"]
        assert hook.created_by == cast.facilitator.id

    again = mona.get(path).get_data(as_text=True)
    assert receiver.url in again
    assert secret not in again


def test_the_form_says_what_is_wrong(app, actor, cast):
    mona = actor(cast.facilitator)
    path = f"/expeditions/{cast.expedition.id}/webhooks"
    no_events = mona.post(path, {"url": "https://93.184.216.34/hook"})
    assert no_events.status_code == 422
    assert 'id="events-error"' in no_events.get_data(as_text=True)
    unknown = mona.post(path, {"url": "https://93.184.216.34/hook", "events": ["card.moved"]})
    assert unknown.status_code == 422
    empty = mona.post(path, {"url": "", "events": ["action.done"]})
    assert empty.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Webhook)).all() == []


def test_an_expedition_has_at_most_five_webhooks(app, actor, cast):
    for n in range(service.MAX_WEBHOOKS):
        add_hook(app, cast.expedition.id, f"https://93.184.216.34/hook{n}")
    mona = actor(cast.facilitator)
    path = f"/expeditions/{cast.expedition.id}/webhooks"
    answer = mona.post(path, {"url": "https://93.184.216.34/six", "events": ["action.done"]})
    assert answer.status_code == 422
    assert "Diese Expedition hat 5 Webhooks, mehr geht nicht." in answer.text
    assert _hooks(app) == service.MAX_WEBHOOKS


def test_two_registrations_at_once_make_five_webhooks_not_six(app, cast):
    """The second waits for the first (the expedition's row is locked while counting), then
    counts five and is refused with the limit's message."""
    for n in range(service.MAX_WEBHOOKS - 1):
        add_hook(app, cast.expedition.id, f"https://93.184.216.34/hook{n}")

    def register(url):
        return lambda session: service.create_webhook(
            session, cast.expedition.id, cast.facilitator.id, url, ["action.done"]
        )

    errors = at_once(app, register("https://93.184.216.34/a"), register("https://93.184.216.34/b"))
    assert [type(e) for e in errors] == [service.WebhookError]
    assert "5" in str(errors[0])
    assert _hooks(app) == service.MAX_WEBHOOKS


def _hooks(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Webhook.id)).all())


def test_participants_and_outsiders_get_no_webhooks(app, actor, cast):
    hook_id, _secret = add_hook(app, cast.expedition.id, "https://93.184.216.34/hook")
    base = f"/expeditions/{cast.expedition.id}/webhooks"
    ada, olga = actor(cast.ada), actor(cast.outsider)
    assert ada.get(base).status_code == 403
    assert olga.get(base).status_code == 404
    data = {"url": "https://93.184.216.34/x", "events": ["action.done"]}
    assert ada.post(base, data).status_code == 403
    assert olga.post(base, data).status_code == 404
    assert ada.post(f"{base}/{hook_id}/delete").status_code == 403
    assert olga.post(f"{base}/{hook_id}/enabled", {"enabled": "0"}).status_code == 404
    with app.app_context():
        assert len(db.session.scalars(select(Webhook)).all()) == 1


def test_another_expeditions_webhook_is_as_good_as_missing(app, actor, world, cast):
    hook_id, _secret = add_hook(app, cast.expedition.id, "https://93.184.216.34/hook")
    own = world.expedition(cast.outsider, title="Olgas Expedition")
    olga = actor(cast.outsider)
    answer = olga.post(f"/expeditions/{own.id}/webhooks/{hook_id}/delete")
    assert answer.status_code == 404
    with app.app_context():
        assert db.session.get(Webhook, hook_id) is not None


def test_changes_need_the_csrf_token(app, actor, cast):
    hook_id, _secret = add_hook(app, cast.expedition.id, "https://93.184.216.34/hook")
    mona = actor(cast.facilitator)
    base = f"/expeditions/{cast.expedition.id}/webhooks"
    forged = {"csrf_token": "forged"}
    assert (
        mona.client.post(base, data={**forged, "url": "https://93.184.216.34/y"}).status_code == 400
    )
    assert mona.client.post(f"{base}/{hook_id}/delete", data=forged).status_code == 400
    assert (
        mona.client.post(f"{base}/{hook_id}/enabled", data={**forged, "enabled": "0"}).status_code
        == 400
    )
    with app.app_context():
        hooks = db.session.scalars(select(Webhook)).all()
        assert [(h.id, h.enabled) for h in hooks] == [(hook_id, True)]


def test_turn_off_turn_on_and_delete(app, actor, cast):
    hook_id, _secret = add_hook(
        app, cast.expedition.id, "https://93.184.216.34/hook", failures=4, failing_since=utcnow()
    )
    mona = actor(cast.facilitator)
    base = f"/expeditions/{cast.expedition.id}/webhooks/{hook_id}"
    assert mona.post(f"{base}/enabled", {"enabled": "0"}).status_code == 303
    schedule(app, cast.expedition.id, cast.facilitator.id)
    with app.app_context():
        assert db.session.get(Webhook, hook_id).enabled is False
        # Turned off: the event queued nothing for it.
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "webhook")
        ).all()
    assert mona.post(f"{base}/enabled", {"enabled": "1"}).status_code == 303
    with app.app_context():
        hook = db.session.get(Webhook, hook_id)
        assert (hook.enabled, hook.failures, hook.failing_since) == (True, 0, None)
    assert mona.post(f"{base}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(Webhook, hook_id) is None


# ------------------------------------------------------------------ delivery


def test_a_scheduled_meeting_arrives_signed(app, cast, receiver):
    hook_id, secret = add_hook(app, cast.expedition.id, receiver.url, ["meeting.scheduled"])
    meeting_id = schedule(app, cast.expedition.id, cast.facilitator.id)
    outcome = deliver_webhooks(app)
    assert outcome.sent == 1
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    body = verified(request, secret)
    assert body["type"] == "meeting.scheduled"
    data = body["data"]
    assert data["expedition"] == {
        "id": cast.expedition.id,
        "title": cast.expedition.title,
        "url": f"https://alex.example.org/expeditions/{cast.expedition.id}",
    }
    meeting = data["meeting"]
    assert meeting["id"] == meeting_id
    assert meeting["location"] == "Raum 3.14"
    assert meeting["url"].endswith(f"/meetings/{meeting_id}")
    with app.app_context():
        [attempt] = db.session.scalars(select(WebhookDelivery)).all()
        assert (attempt.webhook_id, attempt.ok, attempt.status_code) == (hook_id, True, 200)


def test_only_the_chosen_events_go_out(app, cast, receiver):
    add_hook(app, cast.expedition.id, receiver.url, ["action.done"])
    schedule(app, cast.expedition.id, cast.facilitator.id)
    assert deliver_webhooks(app).sent == 0
    assert receiver.requests == []


def test_a_failed_delivery_is_retried_with_the_same_id(app, cast, receiver):
    hook_id, secret = add_hook(app, cast.expedition.id, receiver.url)
    receiver.answers = [500, 200]
    schedule(app, cast.expedition.id, cast.facilitator.id)
    first = deliver_webhooks(app)
    assert (first.sent, first.retry) == (0, 1)
    with app.app_context():
        hook = db.session.get(Webhook, hook_id)
        assert (hook.failures, hook.enabled) == (1, True)
        assert hook.failing_since is not None
    let_retries_fall_due(app)
    second = deliver_webhooks(app)
    assert second.sent == 1
    one, two = receiver.requests
    assert one.headers["webhook-id"] == two.headers["webhook-id"]
    assert one.body == two.body
    verified(two, secret)
    with app.app_context():
        hook = db.session.get(Webhook, hook_id)
        assert (hook.failures, hook.failing_since) == (0, None)
        attempts = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        assert [(a.ok, a.status_code) for a in attempts] == [(False, 500), (True, 200)]


def test_a_redirect_is_not_followed(app, cast, receiver):
    add_hook(app, cast.expedition.id, receiver.url)
    receiver.answers = [302]
    schedule(app, cast.expedition.id, cast.facilitator.id)
    assert deliver_webhooks(app).retry == 1
    assert len(receiver.requests) == 1
    with app.app_context():
        [attempt] = db.session.scalars(select(WebhookDelivery)).all()
        assert (attempt.ok, attempt.status_code) == (False, 302)
        assert "redirect" in attempt.error


def test_ten_failures_in_a_row_turn_the_webhook_off_and_tell_the_facilitators(app, cast, receiver):
    hook_id, _secret = add_hook(app, cast.expedition.id, receiver.url)
    receiver.answers = [500] * (service.MAX_FAILURES + 5)
    for _ in range(service.MAX_FAILURES):
        schedule(app, cast.expedition.id, cast.facilitator.id)
    outcome = deliver_webhooks(app)
    assert (outcome.retry, outcome.failed) == (service.MAX_FAILURES - 1, 1)
    with app.app_context():
        hook = db.session.get(Webhook, hook_id)
        assert (hook.enabled, hook.disabled_reason) == (False, "failures")
        notices = db.session.scalars(
            select(Notification).where(Notification.kind == "webhook_disabled")
        ).all()
        assert [n.user_id for n in notices] == [cast.facilitator.id]
        assert notices[0].subject == "127.0.0.1"
    # The retries that were waiting are dropped, not sent: the webhook is off.
    let_retries_fall_due(app)
    sent_before = len(receiver.requests)
    again = deliver_webhooks(app)
    assert again.failed == service.MAX_FAILURES - 1
    assert len(receiver.requests) == sent_before


def test_failing_for_a_day_turns_the_webhook_off(app, cast, receiver):
    hook_id, _secret = add_hook(
        app,
        cast.expedition.id,
        receiver.url,
        failures=1,
        failing_since=utcnow() - timedelta(hours=25),
    )
    receiver.answers = [503]
    schedule(app, cast.expedition.id, cast.facilitator.id)
    assert deliver_webhooks(app).failed == 1
    with app.app_context():
        assert db.session.get(Webhook, hook_id).enabled is False


# ------------------------------------------------------------------ where requests may go


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/hook", "scheme"),
        ("ftp://93.184.216.34/hook", "scheme"),
        ("https://127.0.0.1/hook", "private"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://[::1]/hook", "private"),
        ("https://[::ffff:127.0.0.1]/hook", "private"),
        ("https://[fd00::1]/hook", "private"),
        ("https://0.0.0.0/hook", "private"),
        ("https://localhost/hook", "private"),  # a name that resolves to loopback
        ("https://user:pw@93.184.216.34/hook", "credentials"),
        ("https:///hook", "host"),
        ("https://93.184.216.34:port/hook", "port"),
    ],
)
def test_private_addresses_and_plain_http_are_refused(url, reason):
    with pytest.raises(sending.Refused) as refused:
        sending.resolve(url, allow_private=False)
    assert str(refused.value) == reason


def test_a_public_https_address_is_accepted_and_the_connection_is_pinned_to_it():
    target = sending.resolve("https://93.184.216.34:8443/hook?x=1", allow_private=False)
    assert (target.scheme, target.host, target.port) == ("https", "93.184.216.34", 8443)
    assert (target.address, target.path) == ("93.184.216.34", "/hook?x=1")


def test_the_operator_may_allow_private_addresses_but_public_ones_still_need_https():
    assert sending.resolve("http://127.0.0.1:9/hook", allow_private=True).address == "127.0.0.1"
    with pytest.raises(sending.Refused):
        sending.resolve("http://93.184.216.34/hook", allow_private=True)


def test_registration_refuses_a_private_address(make_app, world):
    strict = make_app(WEBHOOK_ALLOW_PRIVATE=False)
    from tests.support.accounts import Actor, login

    mona = world.user("Mona Moderation")
    expedition = world.expedition(mona)
    client = strict.test_client()
    assert login(client, mona.email).status_code == 302
    person = Actor(client, mona)
    path = f"/expeditions/{expedition.id}/webhooks"
    for url in ("https://169.254.169.254/", "http://93.184.216.34/", "https://localhost/"):
        answer = person.post(path, {"url": url, "events": ["action.done"]})
        assert answer.status_code == 422, url
        assert 'aria-invalid="true"' in answer.get_data(as_text=True)
    with strict.app_context():
        assert db.session.scalars(select(Webhook)).all() == []


def test_the_address_is_checked_again_when_sending(make_app, cast, receiver):
    """Registered while allowed (or before a DNS change): at send time nothing goes out."""
    strict = make_app(WEBHOOK_ALLOW_PRIVATE=False)
    hook_id, _secret = add_hook(strict, cast.expedition.id, "https://93.184.216.34/hook")
    with strict.app_context():
        db.session.execute(update(Webhook).where(Webhook.id == hook_id).values(url=receiver.url))
        db.session.commit()
    schedule(strict, cast.expedition.id, cast.facilitator.id)
    assert deliver_webhooks(strict).retry == 1
    assert receiver.requests == []
    with strict.app_context():
        [attempt] = db.session.scalars(select(WebhookDelivery)).all()
        assert (attempt.ok, attempt.status_code) == (False, None)
        assert attempt.error == "refused: private"


# ------------------------------------------------------------------ no private content


def test_support_requested_names_who_asks_but_not_what_they_wrote(app, cast, receiver):
    from alex.boards.service import add_check_in

    _hook_id, secret = add_hook(app, cast.expedition.id, receiver.url, ["support.requested"])
    with app.app_context():
        add_check_in(
            db.session,
            cast.expedition.id,
            cast.ada.id,
            stuck="Mein Chef blockiert alles (vertraulich)",
            needs_support=True,
            visibility="private",
        )
        shared = add_check_in(
            db.session,
            cast.expedition.id,
            cast.ada.id,
            stuck="Die E-Akte hakt (nur für den Zirkel)",
            needs_support=True,
        )
        db.session.commit()
        shared_id = shared.id
    deliver_webhooks(app)
    [request] = receiver.requests  # the private entry raised nothing
    body = verified(request, secret)
    assert body["type"] == "support.requested"
    assert body["data"]["support"] == {"check_in_id": shared_id, "member": cast.ada.name}
    raw = request.body.decode()
    assert "E-Akte" not in raw and "vertraulich" not in raw


def test_an_action_from_an_anonymous_retro_never_names_the_notes_author(app, cast, receiver):
    from alex.meetings.models import Meeting, Retro, RetroItem
    from alex.meetings.service import add_action, review_action

    _hook_id, secret = add_hook(
        app, cast.expedition.id, receiver.url, ["action.created", "action.done"]
    )
    meeting_id = schedule(app, cast.expedition.id, cast.facilitator.id)
    receiver.requests.clear()
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        retro = Retro(meeting_id=meeting_id, anonymous=True)
        db.session.add(retro)
        db.session.flush()
        note = RetroItem(retro_id=retro.id, author_key="k" * 16, text="Geheime Notiz von Ben")
        db.session.add(note)
        db.session.flush()
        expedition = db.session.get(Expedition, cast.expedition.id)
        action = add_action(
            db.session,
            meeting,
            expedition,
            title="Sprechstunde testen",
            owner_id=cast.ada.id,
            kind="task",
            item=note,
        )
        db.session.commit()
        review_action(db.session, meeting, action, "done", "Hat geklappt, privat notiert")
        db.session.commit()
    deliver_webhooks(app)
    created, done = (verified(r, secret) for r in receiver.requests)
    assert created["type"] == "action.created"
    assert created["data"]["action"]["title"] == "Sprechstunde testen"
    assert created["data"]["action"]["owner"] == cast.ada.name
    assert done["type"] == "action.done"
    assert done["data"]["action"]["outcome"] == "done"
    for request in receiver.requests:
        raw = request.body.decode()
        assert "Geheime Notiz" not in raw
        assert "privat notiert" not in raw
        assert cast.ben.name not in raw
        assert "author" not in raw and "item" not in raw


def test_a_private_card_raises_no_event(app, cast, receiver):
    from alex.boards.service import create_card

    add_hook(app, cast.expedition.id, receiver.url)
    with app.app_context():
        create_card(db.session, cast.expedition.id, cast.ada.id, "Privat", visibility="private")
        db.session.commit()
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "webhook")
        ).all()


def test_a_rolled_back_change_sends_nothing(app, cast, receiver):
    from alex.meetings.service import Schedule, schedule_meeting

    add_hook(app, cast.expedition.id, receiver.url)
    with app.app_context():
        schedule_meeting(
            db.session,
            db.session.get(Expedition, cast.expedition.id),
            Schedule("zirkeltreffen", utcnow() + timedelta(days=2), 60, "", 1, None),
        )
        db.session.rollback()
    assert deliver_webhooks(app).sent == 0
    assert receiver.requests == []


# ------------------------------------------------------------------ TLS and races


def test_https_checks_the_certificate_against_the_host_name(tmp_path, monkeypatch):
    """The connection goes to the checked address, yet TLS verifies the URL's host name."""
    from tests.support.webhooks import TLSWebhookReceiver, self_signed_certificate

    cert_file, key_file = self_signed_certificate(tmp_path)
    with TLSWebhookReceiver(cert_file, key_file) as tls:
        untrusted = sending.post(tls.url, b"{}", {}, allow_private=True)
        assert (untrusted.ok, untrusted.status) == (False, None)
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        assert tls.requests == []
        monkeypatch.setenv("SSL_CERT_FILE", cert_file)  # now the receiver's certificate is trusted
        trusted = sending.post(tls.url, b'{"a": 1}', {"webhook-id": "msg_x"}, allow_private=True)
        assert (trusted.ok, trusted.status) == (True, 200)
        [request] = tls.requests
        assert request.body == b'{"a": 1}'
        assert request.headers["host"].startswith("localhost")


def test_two_consumers_failing_at_once_turn_it_off_once(app, cast):
    """Each attempt counts, whatever the other saw when it loaded the row; one notice only."""
    hook_id, _secret = add_hook(
        app, cast.expedition.id, "https://93.184.216.34/hook", failures=service.MAX_FAILURES - 1
    )
    failed = sending.Answer(503, "HTTP 503")
    with app.app_context():
        from sqlalchemy.orm import Session

        with Session(db.engine) as first, Session(db.engine) as second:
            # Both load the row before either writes (SQLite writes one at a time, so the
            # attempts themselves follow each other; PostgreSQL runs the same statements).
            seen_by_first = first.get(Webhook, hook_id)
            first.commit()
            seen_by_second = second.get(Webhook, hook_id)
            second.commit()
            one = service.record_attempt(first, seen_by_first, "action.done", "msg_1", failed)
            first.commit()
            two = service.record_attempt(second, seen_by_second, "action.done", "msg_2", failed)
            second.commit()
        assert (one.turned_off, two.turned_off) == (True, False)
        hook = db.session.get(Webhook, hook_id)
        assert (hook.failures, hook.enabled) == (service.MAX_FAILURES + 1, False)
        notices = db.session.scalars(
            select(Notification).where(Notification.kind == "webhook_disabled")
        ).all()
        assert len(notices) == 1


def test_a_test_event_goes_out_signed_once_even_to_a_webhook_that_is_off(
    app, actor, cast, receiver
):
    hook_id, secret = add_hook(app, cast.expedition.id, receiver.url, enabled=False)
    mona = actor(cast.facilitator)
    base = f"/expeditions/{cast.expedition.id}/webhooks/{hook_id}"
    assert actor(cast.ada).post(f"{base}/test").status_code == 403
    assert mona.post(f"{base}/test").status_code == 303
    receiver.answers = [500]
    assert deliver_webhooks(app).failed == 1  # a failed test is not tried again
    assert mona.post(f"{base}/test").status_code == 303
    assert deliver_webhooks(app).sent == 1
    body = verified(receiver.requests[-1], secret)
    assert body["type"] == "ping"
    assert set(body["data"]) == {"expedition"}
    page = mona.get(f"/expeditions/{cast.expedition.id}/webhooks").get_data(as_text=True)
    assert "Gescheitert: Antwort 500" in page and "Zugestellt (200)" in page
    with app.app_context():
        assert db.session.get(Webhook, hook_id).enabled is False  # a test does not turn it on
