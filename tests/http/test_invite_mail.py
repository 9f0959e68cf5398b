"""Invitations by mail: pasted addresses, per-line problems, the mail, the landing, the join."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import func, select

from alex.auth.models import User
from alex.expeditions import invitations
from alex.expeditions.models import Expedition, Invite
from alex.extensions import db, limiter
from alex.notifications import Notification, notification_text
from alex.outbox import OutboxMessage
from tests.conftest import mail_settings
from tests.support.accounts import make_cast
from tests.support.races import at_once
from tests.support.smtp import run_outbox


@pytest.fixture
def app_config(app_config, smtp_server):
    return {
        **app_config,
        **mail_settings(smtp_server),
        "INVITE_MAIL_LIMIT": 5,
        "INVITE_MAIL_DAILY_LIMIT": 4,
    }


@pytest.fixture
def cast(world):
    return make_cast(world)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _send(mona, cast, text: str, locale: str = "de"):
    path = f"/expeditions/{cast.expedition.id}/invites/mail"
    members = f"/expeditions/{cast.expedition.id}/members"
    return mona.post(
        path,
        {"addresses": text, "locale": locale, "csrf_token": mona.token(members)},
        htmx=True,
        follow_redirects=True,
    )


def test_pasted_addresses_each_get_an_invitation_in_the_expeditions_language(
    app, actor, cast, smtp_server
):
    mona = actor(cast.facilitator)
    text = "nele@example.org\n\n  Otto Berg <otto@example.org>  \nnele@example.org\n"
    response = _send(mona, cast, text, locale="en")
    assert [r.status_code for r in response.history] == [303]  # Post/Redirect/Get
    assert response.request.path == f"/expeditions/{cast.expedition.id}/members"
    assert response.status_code == 200
    assert "2 Einladungen sind unterwegs." in response.get_data(as_text=True)
    with app.app_context():
        invites = db.session.scalars(select(Invite).order_by(Invite.id)).all()
        assert [i.email for i in invites] == ["nele@example.org", "otto@example.org"]
        assert all(i.single_use for i in invites)
    run_outbox(app)
    mails = sorted(smtp_server.messages, key=lambda m: str(m["To"]))
    assert [str(m["To"]) for m in mails] == ["nele@example.org", "otto@example.org"]
    mail = mails[0]
    title = cast.expedition.title
    assert mail["Subject"] == f"Mona Moderation invites you to the learning expedition “{title}”"
    assert mail["Content-Language"] == "en"
    text_part = mail.get_body(("plain",)).get_content()
    assert "Mona Moderation invites you to take part" in text_part
    assert "sprints of 4 weeks each" in text_part
    link = re.search(r"https://alex\.example\.org(/invite/\S+)", text_part).group(1)
    # The landing page says who invites, to what.
    landing = app.test_client().get(link).get_data(as_text=True)
    assert "Mona Moderation lädt dich ein" in landing
    assert title in landing


def test_the_same_list_again_mails_only_the_new_addresses(app, actor, cast, smtp_server):
    mona = actor(cast.facilitator)
    _send(mona, cast, "nele@example.org\notto@example.org")
    again = _send(mona, cast, "NELE@example.org\notto@example.org\npia@example.org")
    html = again.get_data(as_text=True)
    assert "1 Einladung ist unterwegs." in html
    assert "2 Adressen haben schon eine offene Einladung und bekommen keine zweite Mail." in html
    assert _count(app, Invite) == 3 and _count(app, OutboxMessage) == 3
    only_old = _send(mona, cast, "pia@example.org").get_data(as_text=True)
    assert "1 Adresse hat schon eine offene Einladung und bekommt keine zweite Mail." in only_old
    assert "unterwegs" not in only_old
    assert _count(app, OutboxMessage) == 3


def test_a_facilitator_sends_only_so_many_invitation_mails_a_day(app, actor, cast, world):
    mona = actor(cast.facilitator)
    assert "3 Einladungen" in _send(mona, cast, "a@example.org\nb@example.org\nc@example.org").text
    too_many = _send(mona, cast, "d@example.org\ne@example.org")
    assert too_many.status_code == 429
    assert "höchstens 4 Einladungsmails pro Tag verschicken (heute noch 1)" in too_many.text
    assert _count(app, Invite) == 3 and _count(app, OutboxMessage) == 3
    english = _send(mona, cast, "d@example.org\ne@example.org", locale="en")
    assert english.status_code == 429
    assert _send(mona, cast, "d@example.org").status_code == 200  # the last one of the day
    assert _count(app, OutboxMessage) == 4
    # Per person: another facilitator still has the whole day's allowance.
    other = world.user("Fritz Facil", "fritz@example.org")
    world.join(cast.expedition, other, facilitator=True)
    assert _send(actor(other), cast, "f@example.org\ng@example.org").status_code == 200


@pytest.mark.parametrize("locale", ["de", "en"])
def test_two_lists_sent_at_once_stay_within_the_days_mails(app, actor, cast, monkeypatch, locale):
    """Two tabs send three addresses each at the same moment, with four mails a day: one list
    goes out, the other is refused whole. The day's count is taken in one atomic step; a slow
    limiter storage (a distant Redis) is what lets a check-then-count race show. With a new
    mail language ("en") both also change the expedition's row: no clash (no 500) either."""
    with app.app_context():
        db.session.get(Expedition, cast.expedition.id).locale = "de"
        db.session.commit()
    storage = limiter.limiter.storage
    read = storage.get

    def slow_read(key):
        time.sleep(0.3)
        return read(key)

    monkeypatch.setattr(storage, "get", slow_read)
    tabs = [actor(cast.facilitator), actor(cast.facilitator)]
    members = f"/expeditions/{cast.expedition.id}/members"
    tokens = [tab.token(members) for tab in tabs]
    lists = ["a@example.org\nb@example.org\nc@example.org", "d@example.org\ne@example.org\nf@x.org"]
    start, statuses = threading.Barrier(2), []

    def send(tab, token, text):
        start.wait(10)
        response = tab.client.post(
            f"/expeditions/{cast.expedition.id}/invites/mail",
            data={"addresses": text, "locale": locale, "csrf_token": token},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=a) for a in zip(tabs, tokens, lists, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [303, 429]
    assert _count(app, Invite) == 3 and _count(app, OutboxMessage) == 3


def test_the_same_address_sent_twice_at_once_gets_one_invitation(app, cast):
    """The second list waits for the first (the expedition's row is locked while looking for
    open invitations), then finds its invite and sends no second mail."""

    def send(session):
        expedition = session.get(Expedition, cast.expedition.id)
        inviter = session.get(User, cast.facilitator.id)
        waiting = invitations.already_invited(session, expedition, ["nele@example.org"])
        fresh = [a for a in ["nele@example.org"] if a not in waiting]
        invitations.invite_by_mail(session, expedition, inviter, fresh, lambda t: f"/invite/{t}")

    assert at_once(app, send, send) == []
    assert _count(app, Invite) == 1 and _count(app, OutboxMessage) == 1


def test_a_malformed_list_names_every_bad_line_and_invites_nobody(app, actor, cast):
    mona = actor(cast.facilitator)
    text = "\n".join(
        [
            "good@example.org",
            "not-an-address",
            "a@example.org, b@example.org",
            cast.ada.email,
            "Eve\r\nBcc: x@example.org",
        ]
    )
    response = _send(mona, cast, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Noch niemand ist eingeladen." in html
    assert "Zeile 2 („not-an-address“): Das ist keine E-Mail-Adresse." in html
    assert "Zeile 3 („a@example.org, b@example.org“): Bitte eine Adresse pro Zeile." in html
    assert f"Zeile 4 („{cast.ada.email}“): Diese Person ist schon dabei." in html
    assert "Zeile 5 („Eve“)" in html
    assert "good@example.org" in html  # what was pasted stays in the field
    assert _count(app, Invite) == 0 and _count(app, OutboxMessage) == 0


def test_more_than_the_limit_is_refused_whole(app, actor, cast):
    mona = actor(cast.facilitator)
    text = "\n".join(f"p{n}@example.org" for n in range(6))
    response = _send(mona, cast, text)
    assert response.status_code == 422
    assert "höchstens 5 Adressen" in response.get_data(as_text=True)
    assert _count(app, Invite) == 0 and _count(app, OutboxMessage) == 0


def test_only_the_facilitator_invites_by_mail(app, actor, cast):
    ada = actor(cast.ada)
    response = ada.post(
        f"/expeditions/{cast.expedition.id}/invites/mail",
        {"addresses": "x@example.org", "locale": "de"},
    )
    assert response.status_code == 403
    assert _count(app, OutboxMessage) == 0


def test_invite_links_stay_copyable_and_the_facilitator_hears_of_a_join(app, actor, cast, world):
    mona = actor(cast.facilitator)
    _send(mona, cast, "nele@example.org")
    page = mona.get(f"/expeditions/{cast.expedition.id}/members").get_data(as_text=True)
    with app.app_context():
        invite = db.session.scalar(select(Invite))
    assert "an nele@example.org geschickt" in page
    assert re.search(rf'<input id="invite-link-{invite.id}"[^>]*value="http://[^"]*/invite/', page)

    nele = actor(world.user("Nele Neu", "nele@example.org"))
    token = nele.token(f"/invite/{invite.token}")
    joined = nele.post(f"/invite/{invite.token}", {"csrf_token": token})
    assert joined.status_code == 302
    with app.app_context():
        [note] = db.session.scalars(
            select(Notification).where(Notification.user_id == cast.facilitator.id)
        ).all()
        assert note.kind == "member_joined"
        assert note.link == f"/expeditions/{cast.expedition.id}/members"
        assert "Nele Neu" in notification_text(note)
