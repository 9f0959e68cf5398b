"""The sprint calendar: computed from start, sprint length and count."""

from datetime import date, timedelta

import pytest

from alex.expeditions import calendar

START = date(2026, 1, 5)  # a Monday


def test_sprints_follow_each_other_without_gaps():
    sprints = calendar.sprints(START, 4, 6)
    assert [s.number for s in sprints] == [1, 2, 3, 4, 5, 6]
    assert sprints[0].start == START and sprints[0].end == date(2026, 2, 1)
    for earlier, later in zip(sprints, sprints[1:], strict=False):
        assert later.start == earlier.end + timedelta(days=1)
    assert sprints[-1].end == calendar.end_date(START, 4, 6) == date(2026, 6, 21)


@pytest.mark.parametrize(("weeks", "count"), [(1, 1), (6, 26), (2, 3)])
def test_end_date_is_weeks_times_count(weeks, count):
    end = calendar.end_date(START, weeks, count)
    assert (end - START).days + 1 == 7 * weeks * count


def test_pit_stops_at_a_third_and_two_thirds():
    assert calendar.pit_stop_dates(START, 4, 6) == [
        calendar.sprints(START, 4, 6)[1].end,
        calendar.sprints(START, 4, 6)[3].end,
    ]
    assert calendar.pit_stop_dates(START, 4, 2) == []
    assert len(calendar.pit_stop_dates(START, 2, 3)) == 2


def test_standing_before_during_and_after():
    before = calendar.standing(START, 4, 6, START - timedelta(days=3))
    assert before.phase == "upcoming" and before.days_to_start == 3
    assert before.current_sprint is None and before.progress_percent == 0

    during = calendar.standing(START, 4, 6, START + timedelta(days=30))
    assert during.phase == "running" and during.current_sprint.number == 2
    assert during.days_to_sprint_end == (date(2026, 3, 1) - (START + timedelta(days=30))).days
    assert during.days_to_end == (date(2026, 6, 21) - (START + timedelta(days=30))).days
    assert 0 < during.progress_percent < 100

    last_day = calendar.standing(START, 4, 6, date(2026, 6, 21))
    assert last_day.phase == "running" and last_day.days_to_sprint_end == 0
    assert last_day.progress_percent == 100

    after = calendar.standing(START, 4, 6, date(2026, 7, 1))
    assert after.phase == "finished" and after.days_to_end == 0


def test_deletion_date_handles_month_ends():
    from alex.expeditions.models import Expedition
    from alex.expeditions.service import deletion_date

    expedition = Expedition(
        start_date=date(2025, 12, 1), sprint_weeks=1, sprint_count=9, retention_months=1
    )
    end = calendar.end_date(date(2025, 12, 1), 1, 9)
    assert end == date(2026, 2, 1)
    assert deletion_date(expedition) == date(2026, 3, 1)
    expedition.retention_months = None
    assert deletion_date(expedition) is None
