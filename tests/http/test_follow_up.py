"""Anschluss-Expedition: started at the Abschluss, each person opts in, Vorhaben and open cards
come along, both expeditions link to each other."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from alex.boards import service as boards
from alex.boards.models import Card, Vorhaben
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from alex.follow_up.models import FollowUp
from alex.notifications import Notification


@pytest.fixture
def circle(world):
    """Mona facilitates (and takes part); Ada and Ben take part; the expedition is in its last sprint."""
    mona = world.user("Mona Moderation")
    ada, ben = world.user("Ada Lorenz"), world.user("Ben Okafor")
    expedition = world.expedition(
        mona, title="Klartext 2026", start=date.today() - timedelta(days=10), sprint_count=1
    )
    world.join(expedition, ada)
    world.join(expedition, ben)
    return expedition, mona, ada, ben


def _start(mona, expedition_id, title="Klartext 2027"):
    start = (date.today() + timedelta(days=30)).isoformat()
    return mona.post(
        f"/expeditions/{expedition_id}/follow-up", {"title": title, "start_date": start}
    )


def _following_id(app, previous_id):
    with app.app_context():
        return db.session.scalar(
            select(FollowUp.following_id).where(FollowUp.previous_id == previous_id)
        )


def test_follow_up_carries_only_who_says_yes(app, actor, circle):
    expedition, mona_user, ada_user, ben_user = circle
    with app.app_context():
        boards.save_vorhaben(
            db.session,
            expedition.id,
            ada_user.id,
            {"what": "Briefe in Leichter Sprache"},
            version=None,
        )
        boards.create_card(db.session, expedition.id, ada_user.id, "Vorlage testen", column="doing")
        boards.create_card(db.session, expedition.id, ada_user.id, "Schon fertig", column="done")
        boards.create_card(
            db.session,
            expedition.id,
            ada_user.id,
            "Privat offen",
            column="sprint",
            visibility="private",
        )
        db.session.commit()
    mona, ada, ben = actor(mona_user), actor(ada_user), actor(ben_user)
    assert (
        ada.post(
            f"/expeditions/{expedition.id}/follow-up", {"title": "x", "start_date": "2027-01-04"}
        ).status_code
        == 403
    )
    response = _start(mona, expedition.id)
    assert response.status_code == 303
    following = _following_id(app, expedition.id)
    assert response.headers["Location"] == f"/expeditions/{following}"
    with app.app_context():
        new = db.session.get(Expedition, following)
        assert (new.sprint_weeks, new.sprint_count, new.title) == (4, 1, "Klartext 2027")
        members = set(
            db.session.scalars(
                select(Membership.user_id).where(Membership.expedition_id == following)
            )
        )
        assert members == {mona_user.id}  # nobody added without their yes
        invited = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.kind == "follow_up_invited")
            )
        )
        assert invited == {ada_user.id, ben_user.id}
    # Ada sees the invitation on her expedition and says yes.
    show = ada.get(f"/expeditions/{expedition.id}").get_data(as_text=True)
    assert "Mach mit bei der Anschluss-Expedition" in show
    assert "Fortgesetzt in „Klartext 2027“" in show
    assert ada.post(f"/expeditions/{expedition.id}/follow-up/join").status_code == 303
    # Twice: no second membership, a clear word.
    again = ada.post(f"/expeditions/{expedition.id}/follow-up/join")
    assert again.status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.expedition_id == following, Membership.user_id == ada_user.id)
            )
            == 1
        )
        vorhaben = db.session.scalar(
            select(Vorhaben).where(
                Vorhaben.expedition_id == following, Vorhaben.user_id == ada_user.id
            )
        )
        assert vorhaben.what == "Briefe in Leichter Sprache"
        assert (
            "Ausgangspunkt" in vorhaben.versions[0].reason
            and "Klartext 2026" in vorhaben.versions[0].reason
        )
        cards = db.session.execute(
            select(Card.title, Card.column, Card.visibility)
            .where(Card.expedition_id == following, Card.owner_id == ada_user.id)
            .order_by(Card.title)
        ).all()
        assert [tuple(c) for c in cards] == [
            ("Privat offen", "ideas", "private"),
            ("Vorlage testen", "ideas", "zirkel"),
        ]
    # The new expedition says where it came from.
    assert "Fortsetzung von „Klartext 2026“" in ada.get(f"/expeditions/{following}").get_data(
        as_text=True
    )
    # Ben says no: he stays out.
    assert ben.post(f"/expeditions/{expedition.id}/follow-up/decline").status_code == 303
    assert ben.get(f"/expeditions/{following}").status_code == 404
    assert ben.post(f"/expeditions/{expedition.id}/follow-up/join").status_code == 303
    assert ben.get(f"/expeditions/{following}").status_code == 404
    page = mona.get(f"/expeditions/{expedition.id}/follow-up").get_data(as_text=True)
    assert "macht mit" in page and "hat abgesagt" in page
    # One follow-up per expedition.
    assert _start(mona, expedition.id, "Noch eine").status_code == 422


def test_follow_up_only_at_the_closing(app, actor, world):
    mona_user = world.user("Mona Moderation")
    expedition = world.expedition(mona_user, start=date.today() - timedelta(days=3), sprint_count=6)
    mona = actor(mona_user)
    page = mona.get(f"/expeditions/{expedition.id}/follow-up").get_data(as_text=True)
    assert "im letzten Sprint oder nach dem Abschluss" in page
    response = _start(mona, expedition.id)
    assert response.status_code == 422
    assert _following_id(app, expedition.id) is None


def test_outsiders_and_uninvited(app, actor, circle, world):
    expedition, mona_user, ada_user, _ = circle
    olga = actor(world.user("Olga Außen"))
    assert olga.get(f"/expeditions/{expedition.id}/follow-up").status_code == 404
    assert olga.post(f"/expeditions/{expedition.id}/follow-up/join").status_code == 404
    # No follow-up yet: nothing to join.
    assert actor(ada_user).post(f"/expeditions/{expedition.id}/follow-up/join").status_code == 404
