"""As a phone sees it: a first visit that is small on the wire, and pages that do not move.

The first visit (login page, then the board) is measured as `make bench` does (bench/browser.py:
Chromium's bytes on the wire, service workers blocked) on the demo data that `make run` seeds.
Layout shift is what Lighthouse scores ("CLS"): summed over a page's load and its first seconds.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from alex import create_app
from alex.demo import DEMO_PASSWORD, FACILITATOR, PARTICIPANTS, seed_demo
from alex.extensions import db
from alex.meetings import service
from alex.meetings.models import Meeting
from bench.browser import measure
from tests.support.browser import PHONE, LiveServer, new_context

FIRST_VISIT_LIMIT = 40 * 1024
SHIFT_LIMIT = 0.02
RECORD_SHIFTS = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
}).observe({type: 'layout-shift', buffered: true});
"""


@pytest.fixture
def demo_site(app, live_app_config):
    """The demo expedition as `make run` seeds it, served on a loopback port."""
    with app.app_context():
        demo = seed_demo(db.session, date.today())
        db.session.commit()
        ids = {"expedition": demo.expedition.id}
        meeting = db.session.scalar(
            select(Meeting)
            .where(Meeting.expedition_id == demo.expedition.id, Meeting.status == "scheduled")
            .order_by(Meeting.starts_at)
        )
        # A live meeting: started, at its check-in.
        service.go_to_step(db.session, meeting, "checkin")
        db.session.commit()
        ids["meeting"] = meeting.id
    served = create_app(live_app_config)
    live = LiveServer(served)
    live.start()
    yield live, ids
    live.stop()
    with served.app_context():
        db.engine.dispose()


@pytest.mark.backend_independent
def test_first_visit_is_at_most_40_kb_on_the_wire(browser, demo_site):
    live, ids = demo_site
    board = f"/expeditions/{ids['expedition']}/board"
    visit = measure(browser, live.url, PARTICIPANTS[0][0], DEMO_PASSWORD, board)
    listing = "\n".join(f"{size:6d} {url}" for url, size in visit.urls)
    assert any(url.endswith(board) for url, _ in visit.urls), listing
    assert visit.bytes <= FIRST_VISIT_LIMIT, f"{visit.bytes / 1024:.1f} KB:\n{listing}"


@pytest.mark.backend_independent
def test_login_board_zirkel_and_a_live_meeting_do_not_shift(browser, demo_site):
    live, ids = demo_site
    expedition = ids["expedition"]
    shifts = {}
    for email, paths in (
        (None, ["/login"]),
        (
            PARTICIPANTS[0][0],
            [
                f"/expeditions/{expedition}/board",
                f"/expeditions/{expedition}/zirkel",
                f"/expeditions/{expedition}/meetings/{ids['meeting']}",
            ],
        ),
        (FACILITATOR[0], [f"/expeditions/{expedition}/meetings/{ids['meeting']}"]),
    ):
        context = new_context(browser, PHONE, service_workers="block")
        context.add_init_script(RECORD_SHIFTS)
        page = context.new_page()
        if email:
            page.goto(f"{live.url}/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("form[action='/login'] button[type=submit]")
        for path in paths:
            page.goto(live.url + path, wait_until="networkidle")
            page.wait_for_timeout(1000)  # deferred scripts, the first poll
            shifts[f"{email} {path}"] = page.evaluate("window.__shift")
        context.close()
    assert all(value <= SHIFT_LIMIT for value in shifts.values()), shifts
