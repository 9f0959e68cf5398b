"""The Börse: listing, asking to join, accepting and declining; the last place goes to one."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from alex.expeditions.models import Membership
from alex.extensions import db
from alex.notifications import Notification
from alex.openings import service
from alex.openings.models import JoinRequest, Opening
from alex.outbox import OutboxMessage
from tests.support.accounts import make_cast


@pytest.fixture
def cast(world):
    return make_cast(world)


def _list(actor_, expedition_id, seats=2, deadline=None, description="Wir lernen Klartext."):
    deadline = deadline or date.today() + timedelta(days=14)
    return actor_.post(
        f"/expeditions/{expedition_id}/opening",
        {"seats": str(seats), "deadline": deadline.isoformat(), "description": description},
    )


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _request_id(app, expedition_id, user_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(JoinRequest.id).where(
                JoinRequest.expedition_id == expedition_id, JoinRequest.user_id == user_id
            )
        )


def test_list_browse_request_accept(app, actor, cast, world):
    mona, olga = actor(cast.facilitator), actor(cast.outsider)
    eid = cast.expedition.id
    assert f"/boerse/{eid}" not in olga.get("/boerse").get_data(as_text=True)
    response = _list(mona, eid, seats=1)
    assert response.status_code == 303
    page = olga.get("/boerse").get_data(as_text=True)
    assert "Offene Expeditionen" in page and f"/boerse/{eid}" in page
    assert "1 Platz frei" in page
    # A member does not see their own expedition as open to join.
    ada = actor(cast.ada)
    assert f"/boerse/{eid}" not in ada.get("/boerse").get_data(as_text=True)
    assert ada.get(f"/boerse/{eid}").status_code == 302

    response = olga.post(f"/boerse/{eid}/request", {"message": "Ich will mitlernen."})
    assert response.status_code == 303
    assert "Du hast angefragt" in olga.get(f"/boerse/{eid}").get_data(as_text=True)
    # Asking twice is refused with a word.
    again = olga.post(f"/boerse/{eid}/request", {"message": "Nochmal"})
    assert again.status_code == 422
    assert "schon angefragt" in again.get_data(as_text=True)
    assert _count(app, JoinRequest, JoinRequest.user_id == cast.outsider.id) == 1
    # The facilitator is told and sees the request with its message.
    assert _count(app, Notification, Notification.kind == "join_requested") == 1
    manage = mona.get(f"/expeditions/{eid}/opening").get_data(as_text=True)
    assert "Olga Außen" in manage and "Ich will mitlernen." in manage

    rid = _request_id(app, eid, cast.outsider.id)
    assert mona.post(f"/expeditions/{eid}/opening/requests/{rid}/accept").status_code == 303
    assert (
        _count(
            app, Membership, Membership.expedition_id == eid, Membership.user_id == cast.outsider.id
        )
        == 1
    )
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "join_accepted"))
        assert note.user_id == cast.outsider.id and note.link == f"/expeditions/{eid}"
        # By default the answer also goes out by e-mail, like other direct news.
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "join_accepted"))
        assert mail.channel == "email" and mail.user_id == cast.outsider.id
        from alex.mail import render_parts

        app.config["ALEX_BASE_URL"] = "https://alex.example.org"
        subject, text, _html = render_parts(
            "notification", {**mail.context, "recipient_name": "Olga"}, "de"
        )
        assert "Du bist dabei" in subject and "Lern-Expedition" in subject
        assert db.session.get(Opening, eid).seats_taken == 1
    assert olga.get(f"/expeditions/{eid}").status_code == 200
    # Accepting the same request again takes no second place.
    again = mona.post(f"/expeditions/{eid}/opening/requests/{rid}/accept")
    assert again.status_code == 409
    # Full: no new requests, in words.
    cem = actor(world.user("Cem Yilmaz"))
    page = cem.get(f"/boerse/{eid}").get_data(as_text=True)
    assert "Alle Plätze sind vergeben" in page
    refused = cem.post(f"/boerse/{eid}/request", {"message": ""})
    assert refused.status_code == 422
    assert _count(app, JoinRequest, JoinRequest.user_id == cem.user.id) == 0


def test_decline_tells_the_person(app, actor, cast):
    mona, olga = actor(cast.facilitator), actor(cast.outsider)
    eid = cast.expedition.id
    _list(mona, eid)
    olga.post(f"/boerse/{eid}/request", {"message": ""})
    rid = _request_id(app, eid, cast.outsider.id)
    assert mona.post(f"/expeditions/{eid}/opening/requests/{rid}/decline").status_code == 303
    assert _count(app, Membership, Membership.user_id == cast.outsider.id) == 0
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.kind == "join_declined"))
        assert note.user_id == cast.outsider.id
    assert "abgelehnt" in olga.get(f"/boerse/{eid}").get_data(as_text=True)
    assert olga.post(f"/boerse/{eid}/request", {"message": "bitte"}).status_code == 422


def test_deadline_passed_closes_requests(app, actor, cast):
    mona, olga = actor(cast.facilitator), actor(cast.outsider)
    eid = cast.expedition.id
    _list(mona, eid)
    with app.app_context():
        db.session.execute(update(Opening).values(deadline=date.today() - timedelta(days=2)))
        db.session.commit()
    page = olga.get(f"/boerse/{eid}").get_data(as_text=True)
    assert "Anmeldeschluss ist vorbei" in page
    assert olga.post(f"/boerse/{eid}/request", {"message": ""}).status_code == 422


def test_listing_is_validated_and_can_be_withdrawn(app, actor, cast):
    mona, olga = actor(cast.facilitator), actor(cast.outsider)
    eid = cast.expedition.id
    bad = _list(mona, eid, seats=0, description=" ")
    assert bad.status_code == 422
    past = _list(mona, eid, deadline=date.today() - timedelta(days=3))
    assert past.status_code == 422 and "Vergangenheit" in past.get_data(as_text=True)
    _list(mona, eid)
    assert olga.get(f"/boerse/{eid}").status_code == 200
    assert mona.post(f"/expeditions/{eid}/opening/unlist").status_code == 303
    assert olga.get(f"/boerse/{eid}").status_code == 404
    assert f"/boerse/{eid}" not in olga.get("/boerse").get_data(as_text=True)


def test_participants_cannot_manage_the_listing(actor, cast):
    ada = actor(cast.ada)
    eid = cast.expedition.id
    assert ada.get(f"/expeditions/{eid}/opening").status_code == 403
    assert _list(ada, eid).status_code == 403


def test_the_last_place_goes_to_one_of_two_acceptances(app, actor, cast, world):
    """Two facilitators accept two requests for the last place at the same moment."""
    eid = cast.expedition.id
    co = world.user("Carla Ko")
    world.join(cast.expedition, co, facilitator=True, participant=False)
    mona, carla = actor(cast.facilitator), actor(co)
    _list(mona, eid, seats=1)
    cem, dora = actor(world.user("Cem Yilmaz")), actor(world.user("Dora Brandt"))
    for person in (cem, dora):
        assert person.post(f"/boerse/{eid}/request", {"message": ""}).status_code == 303
    requests = [_request_id(app, eid, p.user.id) for p in (cem, dora)]
    tokens = [mona.token(), carla.token()]
    barrier = threading.Barrier(2)
    statuses = []

    def accept(who, token, rid):
        barrier.wait()
        response = who.client.post(
            f"/expeditions/{eid}/opening/requests/{rid}/accept", data={"csrf_token": token}
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=accept, args=args)
        for args in zip((mona, carla), tokens, requests, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [303, 409]
    joined = _count(
        app,
        Membership,
        Membership.expedition_id == eid,
        Membership.user_id.in_([cem.user.id, dora.user.id]),
    )
    assert joined == 1
    with app.app_context():
        assert db.session.get(Opening, eid).seats_taken == 1
        pending = db.session.scalar(select(func.count()).where(JoinRequest.status == "pending"))
        assert pending == 1  # the loser's request stays open, not half-accepted


def test_service_claims_a_place_with_a_conditional_update(app, world, make_app):
    """Two sessions (two app instances, as two workers) accept at once: one place, one winner."""
    mona = world.user("Mona Moderation")
    expedition = world.expedition(mona, participates=False)
    people = [world.user("Cem Yilmaz"), world.user("Dora Brandt")]
    with app.app_context():
        db.session.add(
            Opening(
                expedition_id=expedition.id,
                seats=1,
                seats_taken=0,
                deadline=date.today() + timedelta(days=5),
                description="x",
            )
        )
        db.session.add_all(JoinRequest(expedition_id=expedition.id, user_id=p.id) for p in people)
        db.session.commit()
        rids = [_request_id(app, expedition.id, p.id) for p in people]
    apps = [make_app(), make_app()]
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(application, rid):
        # A POST, as a worker would run it (SQLite takes its write lock up front).
        with application.test_request_context(method="POST"):
            from alex.auth.models import User

            barrier.wait()  # before the first read: SQLite's writer lock is taken with it
            request = db.session.get(JoinRequest, rid)
            by = db.session.get(User, mona.id)
            try:
                service.accept_request(db.session, request, by, link="/")
                db.session.commit()
                outcomes.append("in")
            except service.OpeningError:
                db.session.rollback()
                outcomes.append("full")

    threads = [threading.Thread(target=accept, args=a) for a in zip(apps, rids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["full", "in"]
    assert _count(app, Membership, Membership.expedition_id == expedition.id) == 2  # Mona + 1
