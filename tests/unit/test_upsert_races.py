"""Two requests storing the same new row at once (two tabs, a double click): one wins, the other
updates it; none gets an IntegrityError (a 500). Real threads, each with its own session and
connection, on SQLite and on PostgreSQL (ALEX_TEST_DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import select

from alex.extensions import db
from alex.notifications import (
    KINDS,
    DigestSetting,
    NotificationPreference,
    set_digest,
    set_preference,
)
from alex.push import service as push
from alex.push.models import PushSubscription
from tests.support.push import PushReceiver
from tests.support.races import at_once


def test_the_same_preference_saved_twice_at_once(app, world):
    user = world.user("Ada Lorenz")
    kind = KINDS[0]
    errors = at_once(
        app,
        lambda s: set_preference(s, user.id, kind, "off"),
        lambda s: set_preference(s, user.id, kind, "app"),
    )
    assert errors == []
    with app.app_context():
        rows = db.session.scalars(select(NotificationPreference)).all()
        assert [(r.user_id, r.kind, r.channel) for r in rows] == [(user.id, kind, "app")]


def test_the_digest_saved_twice_at_once(app, world):
    user = world.user("Ada Lorenz")
    errors = at_once(
        app,
        lambda s: set_digest(s, user.id, enabled=False, weekday=2),
        lambda s: set_digest(s, user.id, enabled=True, weekday=4),
    )
    assert errors == []
    with app.app_context():
        [row] = db.session.scalars(select(DigestSetting)).all()
        assert (row.user_id, row.enabled, row.weekday, row.last_sent_at) == (user.id, True, 4, None)


def test_a_double_click_on_turn_push_on(app, world):
    user = world.user("Ada Lorenz")
    with PushReceiver() as receiver:
        device = receiver.device()

    def subscribe(show: bool):
        return lambda s: push.subscribe(
            s,
            user.id,
            endpoint=device.endpoint,
            p256dh=device.p256dh,
            auth=device.auth,
            show_content=show,
        )

    errors = at_once(app, subscribe(False), subscribe(True))
    assert errors == []
    with app.app_context():
        [row] = db.session.scalars(select(PushSubscription)).all()
        assert (row.user_id, row.endpoint, row.show_content) == (user.id, device.endpoint, True)


def test_a_choice_set_and_reset_in_one_session_reads_back(app, world):
    user = world.user("Ada Lorenz")
    kind = KINDS[0]
    with app.app_context():
        set_preference(db.session, user.id, kind, "off")
        row = db.session.get(NotificationPreference, (user.id, kind))
        assert row.channel == "off"
        set_preference(db.session, user.id, kind, "app")
        assert db.session.get(NotificationPreference, (user.id, kind)).channel == "app"
        set_preference(db.session, user.id, kind, "")
        assert db.session.get(NotificationPreference, (user.id, kind)) is None
        db.session.commit()
