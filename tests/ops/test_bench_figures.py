"""The bench measures what its rows say: a figure timed on error answers is never reported as one.

The card move figure once timed 300 conflict answers (409, the fresh board): an earlier
figure had moved the demo card, and the mover started from the seed's version.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench import figures
from bench.client import Timing
from bench.figures import Row
from bench.server import Gunicorn, seeded_database
from bench.site import Site

pytestmark = [pytest.mark.ops, pytest.mark.backend_independent]


def test_the_move_figure_times_committed_moves_after_other_figures_moved_the_card(tmp_path: Path):
    with seeded_database("sqlite", 10, tmp_path) as url:
        site = Site(url)
        try:
            with Gunicorn(url, tmp_path, workers=1) as server:
                asyncio.run(figures.board_after_change_row(server, site, 10))
                first = asyncio.run(figures.move_row(server, site))
                again = asyncio.run(figures.move_row(server, site))
        finally:
            site.close()
    for row in (first, again):
        timing = row.detail["timing"]
        assert timing["errors"] == 0, row.value
        assert timing["statuses"] == {"200": timing["requests"]}


def test_a_timing_with_error_answers_is_missed_and_says_what_came_back():
    timing = Timing([2.0, 2.0, 3.0], 1.0, errors=3, statuses={409: 3})
    row = figures.timed_row(Row("card_move", "card move", "≤ 5 ms"), timing, timing, 5.0)
    assert row.status == "missed"
    assert "3 errors: 3× 409" in row.value
