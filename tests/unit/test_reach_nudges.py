"""Reminders in the circle's rhythm, with a frozen clock: who is due, quiet hours, and that each
reminder stops as soon as the person did what it reminds of.

The expedition starts Monday 5 October 2026 with six sprints of two weeks (Berlin time):
sprint 3 runs 2–15 November, the Abschluss is Sunday 27 December.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from alex.boards import service as boards
from alex.boards.models import Card
from alex.extensions import db
from alex.meetings import service as meetings
from alex.meetings.models import RetroAction
from alex.notifications import KINDS, Notification, set_preference
from alex.progress.service import respond_to_support
from alex.reach import nudges
from alex.reach.quiet import in_quiet_hours, parse_quiet_hours
from tests.support.circle import MONA, PEOPLE, make_circle

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def circle(app, world):
    """Mona facilitates; Ada and Ben take part. Everything goes to the app (no mail needed)."""
    return make_circle(app, world, in_app=dict.fromkeys((MONA, *PEOPLE), KINDS))


def due(app, when: datetime, kind: str) -> set[tuple[int, str]]:
    with time_machine.travel(when, tick=False), app.app_context():
        return {(n.user_id, n.key) for n in nudges.due_nudges(db.session, when) if n.kind == kind}


def give(app, when: datetime) -> int:
    with time_machine.travel(when, tick=False), app.app_context():
        given = nudges.give_nudges(db.session, when)
        db.session.commit()
        return given


def check_in(app, expedition, user, when: datetime, **texts) -> int:
    with time_machine.travel(when, tick=False), app.app_context():
        entry = boards.add_check_in(
            db.session, expedition.id, user.id, **({"done": "Gelesen"} | texts)
        )
        db.session.commit()
        return entry.id


def test_quiet_hours_are_evenings_nights_and_weekends():
    assert in_quiet_hours(at(11, 19, 0), "Europe/Berlin")  # Wednesday 19:00
    assert in_quiet_hours(at(11, 7, 29), "Europe/Berlin")
    assert not in_quiet_hours(at(11, 7, 30), "Europe/Berlin")
    assert not in_quiet_hours(at(11, 18, 59), "Europe/Berlin")
    assert in_quiet_hours(at(14, 11, 0), "Europe/Berlin")  # Saturday noon
    assert not in_quiet_hours(at(14, 11, 0), "Europe/Berlin", weekends=False)
    # The expedition's zone counts: 10:00 in Berlin is 04:00 in New York.
    assert in_quiet_hours(at(11, 10, 0), "America/New_York")
    assert parse_quiet_hours("20:00-06:00")[0].hour == 20
    assert parse_quiet_hours("nonsense") == parse_quiet_hours(None)


def _zirkeltreffen(app, expedition, starts_at: datetime) -> int:
    with time_machine.travel(at(2, 9), tick=False), app.app_context():
        meeting = meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", starts_at, 90, "Raum 2", 3, None),
        )
        db.session.commit()
        return meeting.id


def test_check_in_nudge_two_days_before_and_only_without_a_check_in(app, circle):
    expedition, _mona, ada, ben = circle
    meeting_id = _zirkeltreffen(app, expedition, at(13, 17))  # Friday 17:00
    check_in(app, expedition, ben, at(3, 10))  # Ben checked in this sprint
    key = f"check_in:{meeting_id}:{ada.id}"
    assert due(app, at(11, 16), "nudge_check_in") == set()  # more than two days ahead
    assert due(app, at(11, 18), "nudge_check_in") == {(ada.id, key)}
    assert due(app, at(11, 20), "nudge_check_in") == set()  # quiet in the evening
    # Ada checks in during the evening: the reminder held back by the quiet hours is dropped.
    check_in(app, expedition, ada, at(11, 21))
    assert due(app, at(12, 8), "nudge_check_in") == set()


def test_check_in_nudge_is_given_once(app, circle):
    expedition, _mona, ada, _ben = circle
    _zirkeltreffen(app, expedition, at(13, 17))
    assert give(app, at(12, 9)) >= 2  # Ada and Ben
    assert due(app, at(12, 10), "nudge_check_in") == set()
    with app.app_context():
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == ada.id)
        ).all()
    assert kinds.count("nudge_check_in") == 1


def test_support_nudge_after_48_hours_to_the_facilitator_until_answered(app, circle):
    expedition, mona, ada, ben = circle
    request_id = check_in(app, expedition, ada, at(9, 10), stuck="Ich hänge", needs_support=True)
    assert due(app, at(11, 9), "nudge_support_unanswered") == set()  # 47 hours
    expected = {(mona.id, f"support:{request_id}:{mona.id}")}
    assert due(app, at(11, 11), "nudge_support_unanswered") == expected
    assert due(app, at(14, 11), "nudge_support_unanswered") == set()  # Saturday
    with time_machine.travel(at(11, 12), tick=False), app.app_context():
        from alex.boards.models import CheckIn

        respond_to_support(db.session, ben.id, db.session.get(CheckIn, request_id), "talk")
        db.session.commit()
    assert due(app, at(11, 13), "nudge_support_unanswered") == set()


def test_support_nudge_stops_when_the_author_clears_it(app, circle):
    expedition, _mona, ada, _ben = circle
    request_id = check_in(app, expedition, ada, at(9, 10), stuck="Ich hänge", needs_support=True)
    assert due(app, at(11, 11), "nudge_support_unanswered")
    with time_machine.travel(at(11, 12), tick=False), app.app_context():
        from alex.boards.models import CheckIn

        boards.clear_support(db.session, db.session.get(CheckIn, request_id))
        db.session.commit()
    assert due(app, at(11, 13), "nudge_support_unanswered") == set()


def _action(app, expedition, owner, when: datetime) -> tuple[int, int]:
    with time_machine.travel(when, tick=False), app.app_context():
        meeting = meetings.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            meetings.Schedule("zirkeltreffen", when - timedelta(hours=2), 90, "", 2, None),
        )
        card = boards.create_card(db.session, expedition.id, owner.id, "Pomodoro testen")
        action = RetroAction(
            meeting_id=meeting.id, owner_id=owner.id, title="Pomodoro testen", card_id=card.id
        )
        db.session.add(action)
        db.session.commit()
        return action.id, card.id


def test_action_nudge_after_a_week_untouched_and_not_once_moved(app, circle):
    expedition, _mona, ada, ben = circle
    action_id, _card = _action(app, expedition, ada, at(2, 16))
    moved_id, moved_card = _action(app, expedition, ben, at(2, 16))
    assert due(app, at(9, 15), "nudge_action_untouched") == set()  # not yet a week
    # Ben moves his card on Friday; Ada does nothing.
    with time_machine.travel(at(6, 10), tick=False), app.app_context():
        card = db.session.get(Card, moved_card)
        boards.move_card(db.session, card, "doing", 0, card.version, sprint_number=3)
        db.session.commit()
    assert due(app, at(9, 17), "nudge_action_untouched") == {(ada.id, f"action:{action_id}")}
    assert due(app, at(9, 20), "nudge_action_untouched") == set()  # quiet
    # Ada touches her card in the evening: nothing in the morning.
    with time_machine.travel(at(9, 21), tick=False), app.app_context():
        card = db.session.get(Card, _card)
        boards.move_card(db.session, card, "doing", 0, card.version, sprint_number=3)
        db.session.commit()
    assert due(app, at(10, 9), "nudge_action_untouched") == set()
    assert moved_id != action_id


def test_self_assessment_nudge_at_sprint_end_until_assessed(app, circle):
    expedition, _mona, ada, ben = circle
    # Sprint 2 ends Sunday 1 November; Monday 2 November 09:00 is the first time out of quiet.
    assert due(app, at(30, 10, month=10), "nudge_self_assessment") == set()
    assert due(app, at(1, 10), "nudge_self_assessment") == set()  # Sunday: quiet
    keys = due(app, at(2, 9), "nudge_self_assessment")
    assert {uid for uid, _ in keys} == {ada.id, ben.id}
    with time_machine.travel(at(2, 10), tick=False), app.app_context():
        boards.assess_sprint(db.session, expedition.id, ada.id, 2, 7, "Gut vorangekommen")
        db.session.commit()
    assert {uid for uid, _ in due(app, at(2, 11), "nudge_self_assessment")} == {ben.id}
    assert due(app, at(9, 11), "nudge_self_assessment") == set()  # a week later: over


def test_report_nudge_two_weeks_before_the_abschluss_until_begun(app, circle):
    expedition, _mona, ada, ben = circle
    assert due(app, at(11, 10, month=12), "nudge_report") == set()  # 16 days before
    keys = due(app, at(14, 10, month=12), "nudge_report")
    assert {uid for uid, _ in keys} == {ada.id, ben.id}
    with time_machine.travel(at(14, 11, month=12), tick=False), app.app_context():
        from alex.exports.models import FinalReflection

        db.session.add(FinalReflection(expedition_id=expedition.id, user_id=ada.id))
        db.session.commit()
    assert {uid for uid, _ in due(app, at(14, 12, month=12), "nudge_report")} == {ben.id}
    assert due(app, at(14, 20, month=12), "nudge_report") == set()  # quiet


def test_a_nudge_turned_off_is_not_given(app, circle):
    expedition, _mona, ada, _ben = circle
    _zirkeltreffen(app, expedition, at(13, 17))
    with app.app_context():
        set_preference(db.session, ada.id, "nudge_check_in", "off")
        db.session.commit()
    give(app, at(12, 9))
    with app.app_context():
        assert not db.session.scalars(
            select(Notification).where(
                Notification.user_id == ada.id, Notification.kind == "nudge_check_in"
            )
        ).all()
