"""Figures for the training department: by quarter, aggregates only, never a cell (or a
difference of cells) about fewer than five people; only "Betrieb" and "Bildung" see them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from alex.auth.models import User
from alex.certificates.models import Certificate
from alex.expeditions.models import Expedition, Membership
from alex.exports.models import FinalReflection
from alex.extensions import db
from alex.figures.service import figures_table, groups_by_quarter, suppress, total_of
from alex.meetings.models import Attendance, Meeting

_serial = itertools.count(1)
TODAY = date(2026, 12, 7)


def _people(n: int) -> list[User]:
    users = [
        User(
            email=f"p{next(_serial)}@figures.example.org",
            name=f"P {next(_serial)}",
            password_hash="x",
        )
        for _ in range(n)
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


def _expedition(
    ends_in: date, people: list[User], *, attended: int = 1, held: int = 1
) -> Expedition:
    """A one-week expedition whose last day falls near `ends_in`; each person attended
    `attended` of `held` meetings."""
    start = ends_in - timedelta(days=ends_in.weekday())
    expedition = Expedition(title="Zirkel", start_date=start, sprint_weeks=1, sprint_count=1)
    db.session.add(expedition)
    db.session.flush()
    for user in people:
        db.session.add(
            Membership(expedition_id=expedition.id, user_id=user.id, is_participant=True)
        )
    for n in range(held):
        meeting = Meeting(
            expedition_id=expedition.id,
            starts_at=expedition.created_at,
            status="finished",
            moderator_id=None,
        )
        db.session.add(meeting)
        db.session.flush()
        for user in people:
            db.session.add(Attendance(meeting_id=meeting.id, user_id=user.id, present=n < attended))
    db.session.flush()
    return expedition


def _by_label(table):
    return {row.label: row for row in table.rows}


def test_a_small_quarter_and_its_complement_are_hidden(session):
    """Q1: 6 people, Q2: 3 people (primary), Q3: 7 people. Q2 alone hidden would be total − Q1 −
    Q3; so Q1, the smallest shown, is hidden too, and the difference covers 9 people."""
    _expedition(date(2025, 2, 10), _people(6))
    _expedition(date(2025, 5, 12), _people(3))
    _expedition(date(2025, 8, 11), _people(7))
    table = figures_table(session, "de", "Alle", TODAY)
    rows = _by_label(table)
    assert rows["2025 Q2"].participants == "< 5" and rows["2025 Q2"].completion_rate == "–"
    assert rows["2025 Q1"].participants == "< 5" and rows["2025 Q1"].attendance_rate == "–"
    assert rows["2025 Q3"].participants == "7" and rows["2025 Q3"].attendance_rate == "100 %"
    assert table.total.participants == "16"
    # What total − shown gives away covers the two hidden quarters together: 9 people.
    assert int(table.total.participants) - int(rows["2025 Q3"].participants) == 9


def test_a_single_small_quarter_hides_the_total_too(session):
    _expedition(date(2025, 2, 10), _people(3))
    table = figures_table(session, "de", "Alle", TODAY)
    assert table.rows[0].participants == "< 5"
    assert table.total.participants == "< 5" and table.total.completion_rate == "–"


def test_two_small_quarters_together_still_under_five_take_a_third(session):
    """2 + 2 people hidden would still leave a difference about 4 people: a third quarter goes."""
    _expedition(date(2025, 2, 10), _people(2))
    _expedition(date(2025, 5, 12), _people(2))
    _expedition(date(2025, 8, 11), _people(10))
    _expedition(date(2025, 11, 10), _people(12))
    rows = _by_label(figures_table(session, "de", "Alle", TODAY))
    assert [rows[q].participants for q in ("2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4")] == [
        "< 5",
        "< 5",
        "< 5",
        "12",
    ]


def test_everything_hidden_and_too_small_hides_the_total(session):
    _expedition(date(2025, 2, 10), _people(2))
    _expedition(date(2025, 5, 12), _people(2))
    table = figures_table(session, "de", "Alle", TODAY)
    assert all(row.participants == "< 5" for row in table.rows)
    assert table.total.participants == "< 5"


def test_the_rule_counts_people_not_participations(session):
    """Three people in two expeditions of one quarter are six participations but three people."""
    people = _people(3)
    _expedition(date(2025, 2, 3), people)
    _expedition(date(2025, 2, 17), people)
    _expedition(date(2025, 8, 11), _people(8))
    _expedition(date(2025, 11, 10), _people(9))
    rows = _by_label(figures_table(session, "de", "Alle", TODAY))
    assert rows["2025 Q1"].participants == "< 5" and rows["2025 Q1"].expeditions == "2"


def test_no_combination_of_shown_cells_isolates_fewer_than_five(session):
    """For many crafted layouts: the people behind total − shown rows are five or more."""
    layouts = [(1, 9, 9), (4, 5, 30), (3, 3, 3, 3), (6, 6, 1), (5, 5, 5), (1, 1, 1, 1, 20)]
    for layout in layouts:
        session.rollback()
        groups = []
        for n, size in enumerate(layout):
            _expedition(date(2020 + n, 2, 10), _people(size))
        groups = groups_by_quarter(session, TODAY)
        total = total_of(groups)
        suppress(groups, total)
        hidden = [g for g in groups if g.suppressed]
        for group in groups:
            if not group.suppressed:
                assert len(group.people) >= 5, layout
        if not total.suppressed:
            assert len(total.people) >= 5, layout
            if hidden:
                assert len(hidden) >= 2, layout
                assert len(set().union(*(g.people for g in hidden))) >= 5, layout
        session.rollback()


def test_rates_attendance_and_completion(app, session):
    """Attendance over held meetings; completed: final reflection written or valid certificate."""
    people = _people(6)
    expedition = _expedition(date(2025, 2, 10), people, attended=3, held=4)
    session.add(FinalReflection(expedition_id=expedition.id, user_id=people[0].id, learned="Viel"))
    session.add(FinalReflection(expedition_id=expedition.id, user_id=people[1].id))  # empty
    for user, revoked in ((people[2], None), (people[3], expedition.created_at)):
        session.add(
            Certificate(
                code=f"CODE{user.id:08d}"[:12],
                expedition_id=expedition.id,
                user_id=user.id,
                valid_slot=None if revoked else 1,
                holder_name=user.name,
                expedition_title="Zirkel",
                facilitator_name="Mona",
                start_date=expedition.start_date,
                end_date=expedition.start_date,
                meetings_held=4,
                meetings_attended=3,
                minutes_per_meeting=90,
                revoked_at=revoked,
            )
        )
    session.flush()
    row = figures_table(session, "en", "All", TODAY).rows[0]
    assert row.attendance_rate == "75%"
    assert row.completion_rate == "33%"  # people[0] (reflection) and people[2] (certificate)


def test_running_expeditions_do_not_count_yet(session):
    _expedition(TODAY + timedelta(days=30), _people(6))
    assert figures_table(session, "de", "Alle", TODAY).rows == []


@pytest.fixture
def crafted(app):
    with app.app_context():
        _expedition(date(2025, 2, 10), _people(6))
        _expedition(date(2025, 5, 12), _people(3))
        _expedition(date(2025, 8, 11), _people(7))
        db.session.commit()


@pytest.mark.parametrize(
    ("flags", "status"),
    [({"is_operator": True}, 200), ({"is_training_office": True}, 200), ({}, 404)],
)
def test_only_operators_and_the_training_office_see_the_figures(
    actor, world, crafted, flags, status
):
    visitor = actor(world.user("Bea Bildung", **flags))
    page = visitor.get("/figures", headers={"Accept-Language": "de"})
    assert page.status_code == status
    assert visitor.get("/figures.csv").status_code == status
    if status == 200:
        text = page.get_data(as_text=True)
        assert "&lt; 5" in text and "2025 Q3" in text
        assert "figures.example.org" not in text and "P 1" not in text  # no names


def test_a_facilitator_sees_no_figures(actor, world, crafted):
    mona = world.user("Mona Moderation")
    world.expedition(mona)
    assert actor(mona).get("/figures").status_code == 404


def test_the_csv_carries_the_same_suppressed_cells(actor, world, crafted):
    csv = actor(world.user("Otto Betrieb", is_operator=True)).get(
        "/figures.csv", headers={"Accept-Language": "de"}
    )
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Quartal;Expeditionen;Teilnehmer:innen")
    assert "2025 Q2;1;< 5;–;–" in lines and "2025 Q1;1;< 5;–;–" in lines
    assert lines[-1] == "Alle Quartale;3;16;100 %;0 %"
    assert "no-store" in csv.headers["Cache-Control"]
