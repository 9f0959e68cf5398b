"""Notification settings over HTTP: each person's choices, the facilitators' defaults, the
one-click unsubscribe of RFC 8058 — and that routing follows what was chosen."""

from __future__ import annotations

import re

from sqlalchemy import select

from alex.extensions import db
from alex.notifications import (
    DigestSetting,
    ExpeditionNotificationDefault,
    Notification,
    NotificationPreference,
    channels_for,
    notify,
)
from alex.reach.unsubscribe import unsubscribe_token
from tests.support.accounts import csrf_token


def _form(page: str) -> dict[str, str]:
    """The settings form as the browser would send it unchanged."""
    data = {}
    for name, value in re.findall(r'<input[^>]*name="(was_[a-z_]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name in re.findall(r'<select[^>]*name="(kind_[a-z_]+)"', page):
        data[name] = data.get("was_" + name[len("kind_") :], "")
    return data


def test_settings_page_offers_every_kind_and_saves_a_choice(zirkel, actor, app):
    ada = actor(zirkel["owner"])
    response = ada.get("/account/notifications")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wöchentliche Zusammenfassung" in page
    assert "Im wöchentlichen Überblick" in page or "In der wöchentlichen Zusammenfassung" in page
    data = _form(page) | {
        "csrf_token": csrf_token(ada.client, "/account/notifications"),
        "kind_kudos": "email",
        "digest_enabled": "y",
        "digest_weekday": "3",
    }
    assert ada.post("/account/notifications", data=data).status_code == 302
    with app.app_context():
        assert channels_for(db.session, [zirkel["owner"].id], "kudos", None) == {
            zirkel["owner"].id: "email"
        }
        setting = db.session.get(DigestSetting, zirkel["owner"].id)
        assert (setting.enabled, setting.weekday) == (True, 3)


def test_a_nudge_cannot_go_to_the_digest_and_nonsense_is_refused(zirkel, actor, app):
    ada = actor(zirkel["owner"])
    page = ada.get("/account/notifications").get_data(as_text=True)
    token = csrf_token(ada.client, "/account/notifications")
    for bad in ({"kind_nudge_check_in": "digest"}, {"kind_kudos": "fax"}, {"digest_weekday": "9"}):
        data = _form(page) | {"csrf_token": token, "digest_weekday": "0"} | bad
        response = ada.post("/account/notifications", data=data)
        assert response.status_code == 422, bad
        assert "Bitte prüfe die markierten Felder." in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalars(select(NotificationPreference)).all()


def test_two_tabs_do_not_overwrite_each_others_choices(zirkel, actor, app):
    ada = actor(zirkel["owner"])
    page = ada.get("/account/notifications").get_data(as_text=True)  # both tabs load this
    token = csrf_token(ada.client, "/account/notifications")
    base = _form(page) | {"csrf_token": token, "digest_weekday": "0", "digest_enabled": "y"}
    ada.post("/account/notifications", data=base | {"kind_kudos": "off"})
    ada.post("/account/notifications", data=base | {"kind_meeting_moved": "push"})
    with app.app_context():
        chosen = dict(
            db.session.execute(
                select(NotificationPreference.kind, NotificationPreference.channel)
            ).all()
        )
    assert chosen == {"kudos": "off", "meeting_moved": "push"}


def test_settings_need_csrf_and_login(zirkel, actor, client):
    assert client.get("/account/notifications").status_code == 302
    ada = actor(zirkel["owner"])
    response = ada.client.post("/account/notifications", data={"kind_kudos": "off"})
    assert response.status_code == 400


def test_facilitator_sets_the_expeditions_defaults(zirkel, actor, app):
    expedition_id = zirkel["expedition"].id
    url = f"/expeditions/{expedition_id}/notifications"
    assert actor(zirkel["owner"]).get(url).status_code == 403
    assert actor(zirkel["outsider"]).get(url).status_code == 404
    mona = actor(zirkel["facilitator"])
    page = mona.get(url).get_data(as_text=True)
    assert "Standard für Benachrichtigungen" in page or "Benachrichtigungen" in page
    data = _form(page) | {"csrf_token": csrf_token(mona.client, url), "kind_kudos": "off"}
    assert mona.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ExpeditionNotificationDefault.kind)).all() == ["kudos"]
        # Ada has not chosen: the expedition's default holds, in-app too.
        assert notify(db.session, zirkel["owner"].id, "kudos", expedition_id=expedition_id) is None
        # Her own choice wins over the expedition's default.
        from alex.notifications import set_preference

        set_preference(db.session, zirkel["owner"].id, "kudos", "app")
        assert notify(db.session, zirkel["owner"].id, "kudos", expedition_id=expedition_id)
        db.session.commit()
    ada = actor(zirkel["owner"])
    denied = ada.post(url, data=data | {"csrf_token": ada.token()})
    assert denied.status_code == 403


def test_one_click_unsubscribe_without_login_or_csrf(zirkel, client, app):
    ada = zirkel["owner"]
    with app.test_request_context():
        token = unsubscribe_token(ada.id, "digest")
        nudge_token = unsubscribe_token(ada.id, "nudge_check_in")
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert "wöchentliche Zusammenfassung" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DigestSetting, ada.id) is None  # a GET changes nothing
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    assert client.post(f"/unsubscribe/{nudge_token}").status_code == 200
    with app.app_context():
        assert db.session.get(DigestSetting, ada.id).enabled is False
        assert db.session.get(NotificationPreference, (ada.id, "nudge_check_in")).channel == "off"
    # A forged or altered token does nothing.
    assert client.post(f"/unsubscribe/{token[:-2]}xx").status_code == 404
    assert client.get("/unsubscribe/nonsense").status_code == 404


def test_support_request_reaches_facilitator_and_zirkel(zirkel, actor, app):
    expedition_id = zirkel["expedition"].id
    with app.app_context():
        from alex.notifications import set_preference

        for person in ("facilitator", "owner", "peer"):
            set_preference(db.session, zirkel[person].id, "support_requested", "app")
        db.session.commit()
    ada = actor(zirkel["owner"])
    url = f"/expeditions/{expedition_id}/logbook"
    response = ada.post(
        url,
        data={
            "csrf_token": csrf_token(ada.client, url),
            "stuck": "Ich komme mit dem Experiment nicht weiter",
            "needs_support": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        told = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.kind == "support_requested")
            )
        )
    assert told == {zirkel["facilitator"].id, zirkel["peer"].id}
    mona = actor(zirkel["facilitator"])
    assert "Ada Lorenz bittet den Zirkel um Unterstützung." in mona.get("/notifications").get_data(
        as_text=True
    )
