"""In-app notifications through HTTP: the list, marking read, the header badge."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from alex.extensions import db
from alex.notifications import Notification, notify
from tests.support.htmx import swapped_targets


@pytest.fixture
def notes(busy_zirkel, app):
    """Two notifications for Ada: a moved meeting and an action from the retro."""
    with app.app_context():
        notify(
            db.session,
            busy_zirkel.ada.id,
            "meeting_moved",
            expedition_id=busy_zirkel.expedition_id,
            subject="Zirkeltreffen 3",
            link="/",
        )
        notify(
            db.session,
            busy_zirkel.ada.id,
            "action_assigned",
            actor_id=busy_zirkel.facilitator.id,
            subject="Retro-Format testen",
        )
        db.session.commit()
        return db.session.scalars(select(Notification.id).order_by(Notification.id)).all()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("ada", 200), ("outsider", 200)])
def test_list_permissions(busy_zirkel, notes, actor, client, who, status):
    response = (
        client.get("/notifications")
        if who == "anonymous"
        else actor(getattr(busy_zirkel, who)).get("/notifications")
    )
    assert response.status_code == status
    if who == "outsider":
        assert "Retro-Format testen" not in response.get_data(as_text=True)


def test_list_and_badge(busy_zirkel, notes, actor):
    ada = actor(busy_zirkel.ada)
    page = ada.get("/notifications").get_data(as_text=True)
    assert "Ein Treffen wurde verschoben: Zirkeltreffen 3." in page
    assert (
        "Mona Moderation hat dir eine Aktion aus der Retro gegeben: „Retro-Format testen“." in page
    )
    assert (
        '<span class="notification-count">2<span class="visually-hidden"> ungelesen</span>' in page
    )
    assert page.count('class="badge">Neu<') == 2


def test_mark_one_read_htmx_updates_the_list_and_the_badge(busy_zirkel, notes, actor):
    ada = actor(busy_zirkel.ada)
    response = ada.post(f"/notifications/{notes[0]}/read", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert swapped_targets(body) == {"notification-list", "notifications-badge"}
    assert '<span class="notification-count">1<' in body
    assert "announce" in response.headers["HX-Trigger"]


def test_someone_elses_notification_stays_unread(busy_zirkel, notes, actor, app):
    response = actor(busy_zirkel.ben).post(f"/notifications/{notes[0]}/read")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Notification, notes[0]).read_at is None


def test_mark_all_read(busy_zirkel, notes, actor, app):
    ada = actor(busy_zirkel.ada)
    assert ada.post("/notifications/read").status_code == 302
    page = ada.get("/notifications").get_data(as_text=True)
    assert "notification-count" not in page and "Alle als gelesen markieren" not in page
    with app.app_context():
        assert all(n.read_at for n in db.session.scalars(select(Notification)))


def test_marking_needs_csrf(busy_zirkel, notes, actor):
    ada = actor(busy_zirkel.ada)
    assert ada.client.post("/notifications/read").status_code == 400


def test_empty_list_invites(busy_zirkel, actor):
    page = actor(busy_zirkel.ben).get("/notifications").get_data(as_text=True)
    assert "Nichts Neues" in page


def test_meetings_notify_members(app, world, actor):
    from tests.support.meetings import make_zirkel

    z = make_zirkel(app, world)
    with app.app_context():  # the set-up's own meeting told everyone already; count from here
        db.session.execute(delete(Notification))
        db.session.commit()
    mona = actor(z.facilitator)
    form = {
        "kind": "pit_stop",
        "day": "2030-01-15",
        "time": "14:00",
        "duration_minutes": "60",
        "location": "Video",
        "sprint_number": "2",
        "moderator_id": "",
    }
    assert mona.post(f"/expeditions/{z.expedition.id}/meetings", form).status_code == 302
    assert (
        mona.post(
            z.url("/edit"), {**form, "kind": "zirkeltreffen", "sprint_number": "1"}
        ).status_code
        == 302
    )
    with app.app_context():
        rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        by_kind = {}
        for row in rows:
            by_kind.setdefault(row.kind, set()).add(row.user_id)
        members = {z.ada.id, z.ben.id, z.moderator.id}
        assert by_kind == {"meeting_scheduled": members, "meeting_moved": members}  # not Mona
        assert "Boxenstopp, 15.01.30, 14:00" in rows[0].subject
    page = actor(z.ada).get("/notifications").get_data(as_text=True)
    assert "Neues Treffen: Boxenstopp" in page and "Ein Treffen wurde verschoben" in page


def test_retro_action_notifies_its_owner_and_awaits_review(app, world, actor):
    from alex.meetings import service as meetings
    from alex.meetings.models import Meeting
    from tests.support.meetings import make_zirkel

    z = make_zirkel(app, world)
    with app.app_context():
        meeting = db.session.get(Meeting, z.meeting_id)
        meeting.status = "running"
        expedition = db.session.merge(z.expedition)
        meetings.add_action(
            db.session, meeting, expedition, title="Retro testen", owner_id=z.ada.id, kind="task"
        )
        db.session.commit()
    page = actor(z.facilitator).get(f"/expeditions/{z.expedition.id}/zirkel").get_data(as_text=True)
    section = page.split('id="facilitation-heading"')[1].split("</section>")[0]
    assert "Retro testen" in section and "Ada Lorenz" in section
