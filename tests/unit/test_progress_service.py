"""Progress domain functions: what a tile shows, Rückenwind and support rules, notifications."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from alex import notifications
from alex.boards.models import Card, CheckIn
from alex.db import utcnow
from alex.expeditions.models import Membership
from alex.notifications import Notification
from alex.progress import service
from alex.progress.models import NOTE_MAX, Kudos
from tests.support.zirkel import build_zirkel


@pytest.fixture
def data(session):
    built = build_zirkel(session, members=3, sprints_elapsed=3, cards_per_member=10)
    session.commit()
    return built


def _viewer(session, data, user):
    return session.scalar(
        select(Membership).where(
            Membership.expedition_id == data.expedition.id, Membership.user_id == user.id
        )
    )


def test_tiles_count_only_shared_cards(session, data):
    ada = data.members[0]
    view = service.zirkel_view(session, data.expedition, _viewer(session, data, ada))
    tile = next(t for t in view.members if t.membership.user_id == ada.id)
    shared_ids = data.shared_card_ids[ada.id]
    shared = session.scalars(select(Card).where(Card.id.in_(shared_ids))).all()
    expected_done = sum(1 for c in shared if c.column == "done")
    expected_learned = sum(1 for c in shared if c.column in ("learning", "done"))
    assert sum(t.done for t in tile.tallies) == expected_done
    assert sum(t.learned for t in tile.tallies) == expected_learned
    all_done = session.scalar(
        select(func.count()).where(Card.owner_id == ada.id, Card.column == "done")
    )
    assert all_done > expected_done, "the data must contain private done cards to prove anything"
    experiments = sum(
        1 for c in shared if c.kind == "experiment" and c.column in ("doing", "learning", "done")
    )
    assert tile.experiments == experiments
    assert [t.sprint_number for t in tile.tallies] == [1, 2, 3]
    assert all(card.visibility == "zirkel" for card in tile.recent_learnings)


def test_latest_check_in_and_support_ignore_private_entries(session, data):
    ben = data.members[1]
    view = service.zirkel_view(session, data.expedition, _viewer(session, data, ben))
    tiles = {t.membership.user_id: t for t in view.members}
    for user in data.members:
        assert tiles[user.id].latest_check_in.id == data.shared_check_in_ids[user.id]
    # Only Ada asked the Zirkel; everyone's private check-in asks too, and must not show.
    assert [t.membership.user_id for t in view.members if t.support_request] == [data.members[0].id]


def test_confidence_series_has_every_sprint_so_far(session, data):
    ada = data.members[0]
    view = service.zirkel_view(session, data.expedition, _viewer(session, data, ada))
    tile = next(t for t in view.members if t.membership.user_id == ada.id)
    assert [n for n, _v in tile.confidence] == [1, 2, 3]
    assert all(1 <= v <= 10 for _n, v in tile.confidence)


def test_facilitator_sees_quiet_members_and_open_requests(session, data):
    facilitator = _viewer(session, data, data.facilitator)
    view = service.zirkel_view(session, data.expedition, facilitator)
    assert view.facilitation is not None
    assert [t.user.name for t in view.facilitation.open_support] == [data.members[0].name]
    assert view.facilitation.actions_to_review == []
    # The builder's last Zirkeltreffen lies before every member's latest check-in.
    assert view.facilitation.quiet_members == []
    participant = service.zirkel_view(
        session, data.expedition, _viewer(session, data, data.members[1])
    )
    assert participant.facilitation is None


def test_facilitator_sees_who_has_been_quiet(session, data):
    from alex.meetings.models import Meeting

    session.add(
        Meeting(
            expedition_id=data.expedition.id,
            kind="zirkeltreffen",
            sprint_number=3,
            starts_at=utcnow() - timedelta(minutes=5),
        )
    )
    session.commit()
    view = service.zirkel_view(session, data.expedition, _viewer(session, data, data.facilitator))
    assert {t.membership.user_id for t in view.facilitation.quiet_members} == {
        u.id for u in data.members
    }


def test_action_review_hook_feeds_the_facilitator_view(session, data, monkeypatch):
    item = service.ReviewItem(title="Retro-Format testen", owner_name="Ben")
    monkeypatch.setattr(service, "ACTION_REVIEW_SOURCES", [lambda s, e: [item]])
    view = service.zirkel_view(session, data.expedition, _viewer(session, data, data.facilitator))
    assert view.facilitation.actions_to_review == [item]


def _card(session, card_id):
    return session.get(Card, card_id)


def test_kudos_notifies_the_receiver_once(session, data):
    ada, ben = data.members[0], data.members[1]
    card = _card(session, data.shared_card_ids[ada.id][0])
    service.send_kudos(session, ben.id, card, "great_step", "Toll!", "/x")
    service.send_kudos(session, ben.id, card, "great_step", "Toll!", "/x")  # a double tap
    session.commit()
    assert session.scalar(select(func.count()).select_from(Kudos)) == 1
    assert notifications.unread_count(session, ada.id) == 1
    note = notifications.notifications_for(session, ada.id)[0]
    assert note.kind == "kudos" and note.subject == card.title and note.actor_id == ben.id


@pytest.mark.parametrize(
    ("kind", "note", "message"),
    [
        ("applause", "", "Arten von Rückenwind"),
        ("great_step", "x" * (NOTE_MAX + 1), "280 Zeichen"),
    ],
)
def test_kudos_rejects_bad_input(session, data, kind, note, message):
    ada, ben = data.members[0], data.members[1]
    card = _card(session, data.shared_card_ids[ada.id][0])
    with pytest.raises(service.ProgressError, match=message):
        service.send_kudos(session, ben.id, card, kind, note)


def test_no_kudos_to_yourself(session, data):
    ada = data.members[0]
    check_in = session.get(CheckIn, data.shared_check_in_ids[ada.id])
    with pytest.raises(service.ProgressError):
        service.send_kudos(session, ada.id, check_in, "keep_going")


def test_shared_loaders_hide_private_and_foreign_rows(session, data):
    ada = data.members[0]
    exp_id = data.expedition.id
    assert service.shared_card(session, exp_id, data.private_card_ids[ada.id][0]) is None
    assert service.shared_card(session, exp_id + 999, data.shared_card_ids[ada.id][0]) is None
    assert service.shared_check_in(session, exp_id, data.private_check_in_ids[ada.id]) is None
    assert service.shared_check_in(session, exp_id, data.shared_check_in_ids[ada.id]) is not None


def test_support_answer_notifies_and_respects_closed_requests(session, data):
    ada, cem = data.members[0], data.members[2]
    request = session.get(CheckIn, data.support_check_in_id)
    service.respond_to_support(session, cem.id, request, "talk")
    session.commit()
    assert notifications.unread_count(session, ada.id) == 1
    with pytest.raises(service.ProgressError):
        service.respond_to_support(session, ada.id, request, "talk")  # own request
    with pytest.raises(service.ProgressError):
        service.respond_to_support(session, cem.id, request, "note", "  ")
    request.support_cleared_at = utcnow()
    with pytest.raises(service.ProgressError, match="geschlossen"):
        service.respond_to_support(session, cem.id, request, "talk")


def test_notify_rules(session, data):
    ada = data.members[0]
    assert notifications.notify(session, ada.id, "kudos", actor_id=ada.id) is None
    with pytest.raises(ValueError):
        notifications.notify(session, ada.id, "party")
    with pytest.raises(ValueError):
        notifications.notify(session, ada.id, "meeting_moved", link="https://evil.example/")
    notifications.notify(session, ada.id, "meeting_moved", subject="Zirkeltreffen 3")
    notifications.notify(session, ada.id, "action_assigned", subject="Retro testen")
    session.commit()
    first = notifications.notifications_for(session, ada.id)[-1]
    assert notifications.mark_read(session, data.members[1].id, first.id) == 0  # not theirs
    assert notifications.mark_read(session, ada.id, first.id) == 1
    assert notifications.mark_read(session, ada.id, first.id) == 0  # already read
    assert notifications.mark_read(session, ada.id) == 1
    session.commit()
    assert notifications.unread_count(session, ada.id) == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == 2


def test_timeline_uses_meetings_and_fills_in_calendar_days(session, data):
    view = service.zirkel_view(session, data.expedition, _viewer(session, data, data.members[0]))
    kinds = [e.kind for e in view.timeline.events]
    assert kinds.count("kickoff") == 1 and kinds.count("closing") == 1
    assert kinds.count("zirkeltreffen") == 5  # one after every sprint but the last
    assert kinds.count("pit_stop") == 2
    scheduled = [e for e in view.timeline.events if e.scheduled]
    assert len(scheduled) == 3  # kickoff and the Zirkeltreffen after sprints 1 and 2
    assert view.timeline.today == view.today
    assert view.timeline.start <= date.today() <= view.timeline.end
