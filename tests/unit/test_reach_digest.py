"""The weekly digest's selection with a frozen clock: who is due when, and what it holds —
never anything private of anyone else."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from alex.boards import service as boards
from alex.extensions import db
from alex.meetings import service as meetings
from alex.notifications import KINDS, set_digest
from alex.progress.service import send_kudos
from alex.reach.digest import digest_contexts, due_recipients
from tests.support.circle import MONA, PEOPLE, make_circle

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=BERLIN)  # 2 November 2026 is a Monday


@pytest.fixture
def circle(app, world):
    """Mona facilitates; Ada and Ben take part. Everything goes to the app (no mail needed)."""
    return make_circle(app, world, in_app=dict.fromkeys((MONA, *PEOPLE), KINDS))


def due_ids(app, when: datetime) -> set[int]:
    with time_machine.travel(when, tick=False), app.app_context():
        return {r.user_id for r in due_recipients(db.session, when)}


def test_digest_on_the_chosen_weekday_outside_quiet_hours(app, circle):
    _expedition, mona, ada, ben = circle
    with app.app_context():
        set_digest(db.session, ben.id, enabled=True, weekday=2)  # Wednesday
        set_digest(db.session, mona.id, enabled=False, weekday=0)
        db.session.commit()
    assert due_ids(app, at(2, 7)) == set()  # Monday before 07:30
    assert due_ids(app, at(2, 9)) == {ada.id}  # Monday is the default
    assert due_ids(app, at(4, 9)) == {ben.id}
    assert due_ids(app, at(7, 9)) == set()  # Saturday


def test_at_most_one_digest_a_week(app, circle):
    _expedition, _mona, ada, _ben = circle
    with time_machine.travel(at(2, 9), tick=False), app.app_context():
        from alex.notifications import DigestSetting

        db.session.add(
            DigestSetting(user_id=ada.id, enabled=True, weekday=0, last_sent_at=at(2, 8))
        )
        db.session.commit()
    assert ada.id not in due_ids(app, at(2, 10))  # the same Monday, later
    assert ada.id in due_ids(app, at(9, 9))  # the next Monday


def test_digest_holds_shared_things_only(app, circle):
    expedition, mona, ada, ben = circle
    with time_machine.travel(at(3, 10), tick=False), app.app_context():
        meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", at(13, 17), 90, "Raum 2", 3, None),
        )
        boards.add_check_in(
            db.session,
            expedition.id,
            ben.id,
            learned="Geteiltes Lernen",
            stuck="Brauche Rat",
            needs_support=True,
        )
        boards.add_check_in(
            db.session,
            expedition.id,
            ben.id,
            learned="Privates Lernen",
            stuck="Geheim",
            needs_support=True,
            visibility="private",
        )
        card = boards.create_card(db.session, expedition.id, ada.id, "Pomodoro testen")
        send_kudos(db.session, ben.id, card, "great_step", note="Stark!")
        db.session.commit()
    with time_machine.travel(at(9, 9), tick=False), app.app_context():
        recipients = due_recipients(db.session, at(9, 9))
        contexts = digest_contexts(db.session, recipients, at(9, 9))
    ada_digest = contexts[ada.id]["expeditions"][0]
    assert ada_digest["next_meeting"]["name"]
    assert [s["text"] for s in ada_digest["support"]] == ["Brauche Rat"]
    assert [item["text"] for item in ada_digest["learnings"]] == ["Geteiltes Lernen"]
    assert ada_digest["kudos"][0]["name"] == "Ben Okafor"
    assert ada_digest["kudos"][0]["note"] == "Stark!"
    # Ben does not see his own request or learning as news; nothing private anywhere.
    ben_digest = contexts[ben.id]["expeditions"][0]
    assert ben_digest["support"] == [] and ben_digest["learnings"] == []
    assert "Privat" not in repr(contexts) and "Geheim" not in repr(contexts)
    assert mona.id in contexts


def test_the_next_meeting_is_named_in_the_readers_language(app, circle):
    expedition, _mona, ada, ben = circle
    with time_machine.travel(at(3, 10), tick=False), app.app_context():
        db.session.merge(ben).locale = "en"
        meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", at(13, 17), 90, "Raum 2", 3, None),
        )
        db.session.commit()
    with time_machine.travel(at(9, 9), tick=False), app.app_context():
        contexts = digest_contexts(db.session, due_recipients(db.session, at(9, 9)), at(9, 9))
    assert (
        contexts[ada.id]["expeditions"][0]["next_meeting"]["name"] == "Zirkeltreffen nach Sprint 3"
    )
    assert (
        contexts[ben.id]["expeditions"][0]["next_meeting"]["name"]
        == "Circle meeting after sprint 3"
    )


def _digest_rows(app) -> dict[int, tuple]:
    from sqlalchemy import select

    from alex.notifications import DigestSetting

    with app.app_context():
        return {
            s.user_id: (s.last_due_at, s.last_sent_at)
            for s in db.session.scalars(select(DigestSetting))
        }


def _digests_in_outbox(app) -> list[int]:
    from sqlalchemy import select

    from alex.outbox import OutboxMessage

    with app.app_context():
        return sorted(
            db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "digest"))
        )


def _send(app, when: datetime) -> int:
    from alex.reach.digest import send_digests

    with time_machine.travel(when, tick=False), app.app_context():
        sent = send_digests(db.session, when)
        db.session.commit()
        return sent


def test_a_week_with_nothing_new_sends_no_digest_but_counts_as_the_week(app, circle):
    expedition, mona, ada, ben = circle
    with time_machine.travel(at(3, 10), tick=False), app.app_context():
        # A meeting weeks away is no news each Monday; private entries are nobody else's.
        meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", at(30, 17), 90, "Raum 2", 3, None),
        )
        boards.add_check_in(
            db.session, expedition.id, ben.id, learned="Nur für mich", visibility="private"
        )
        db.session.commit()
    assert due_ids(app, at(9, 9)) == {mona.id, ada.id, ben.id}
    assert _send(app, at(9, 9)) == 0
    assert _digests_in_outbox(app) == []  # no row, so no mail
    rows = _digest_rows(app)
    assert all(rows[u] == (at(9, 9), None) for u in (mona.id, ada.id, ben.id))
    # The week is done: news later that Monday waits for next week's digest.
    with time_machine.travel(at(9, 12), tick=False), app.app_context():
        boards.add_check_in(db.session, expedition.id, ben.id, learned="Geteiltes Lernen")
        db.session.commit()
    assert due_ids(app, at(9, 13)) == set()
    assert _send(app, at(9, 13)) == 0
    assert _send(app, at(16, 9)) == 2  # Mona and Ada read Ben's learning; Ben has no news
    assert _digests_in_outbox(app) == sorted([mona.id, ada.id])
    rows = _digest_rows(app)
    assert rows[ada.id] == (at(16, 9), at(16, 9)) and rows[ben.id] == (at(16, 9), None)
    assert due_ids(app, at(16, 10)) == set()  # at most one a week, sent or not


def test_a_meeting_in_the_coming_week_is_news(app, circle):
    expedition, mona, ada, ben = circle
    with time_machine.travel(at(3, 10), tick=False), app.app_context():
        meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", at(13, 17), 90, "Raum 2", 3, None),
        )
        db.session.commit()
    assert _send(app, at(9, 9)) == 3
    assert _digests_in_outbox(app) == sorted([mona.id, ada.id, ben.id])
