"""The operator's console in Chromium: axe on its pages at phone and desktop width, the banner's
close button without inline script, and the README's screenshots of the console."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from alex import create_app
from alex.auth import instance
from alex.auth.models import User
from alex.db import utcnow
from alex.demo import DEMO_PASSWORD, OPERATOR, PARTICIPANTS, seed_demo, seed_demo_operator
from alex.extensions import db
from alex.operator import service
from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# A few more people of the town hall, so the list looks like an installation in use.
COLLEAGUES = [
    ("Jana Krüger", "jana.krueger@example.org"),
    ("Tobias Yılmaz", "tobias.yilmaz@example.org"),
    ("Leonie Schulte", "leonie.schulte@example.org"),
    ("Piotr Nowak", "piotr.nowak@example.org"),
]


@pytest.fixture
def console_site(app, live_app_config):
    """The demo with its operator, some colleagues (one locked, one deactivated), a banner and a
    retention run, served on a loopback port."""
    with app.app_context():
        seed_demo(db.session, date.today())
        operator = seed_demo_operator(db.session)
        for name, email in COLLEAGUES:
            db.session.add(User(name=name, email=email, password_hash="x"))
        db.session.flush()
        locked = db.session.query(User).filter_by(email=COLLEAGUES[1][1]).one()
        locked.failed_logins, locked.next_login_at = 7, utcnow() + timedelta(minutes=12)
        gone = db.session.query(User).filter_by(email=COLLEAGUES[3][1]).one()
        service.deactivate(db.session, operator, gone.id)
        service.set_announcement(
            db.session,
            operator,
            "Am Samstag von 8 bis 12 Uhr wird ALEx gewartet und ist nicht erreichbar.",
            None,
        )
        instance.record_retention_run(db.session, expeditions=1, sessions=14)
        db.session.commit()
        ids = {"operator": operator.id, "locked": locked.id}
    served = create_app(live_app_config)
    live = LiveServer(served)
    live.start()
    yield live, ids
    live.stop()
    with served.app_context():
        db.engine.dispose()


@pytest.mark.backend_independent
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_console_pages_pass_axe(browser, console_site, viewport):
    live, ids = console_site
    context = new_context(browser, viewport, service_workers="block")
    page = context.new_page()
    log_in(page, live.url, OPERATOR[0], DEMO_PASSWORD)
    name = "phone" if viewport == PHONE else "desktop"
    for path, shot in (
        ("/betrieb/accounts", f"operator-accounts-{name}"),
        ("/betrieb", f"operator-console-{name}"),
        (f"/betrieb/accounts/{ids['locked']}", None),
        (f"/betrieb/accounts/{ids['locked']}/delete", None),
        ("/betrieb/audit", None),
    ):
        page.goto(live.url + path, wait_until="networkidle")
        assert_no_axe_violations(page)
        if shot:
            taken = screenshot(page, shot)
            if os.environ.get("ALEX_UPDATE_SCREENSHOTS") or not (DOCS / f"{shot}.png").exists():
                DOCS.mkdir(parents=True, exist_ok=True)
                shutil.copy(taken, DOCS / f"{shot}.png")
    context.close()


@pytest.mark.backend_independent
def test_the_search_narrows_the_list_as_one_types(browser, console_site):
    live, _ = console_site
    context = new_context(browser, DESKTOP, service_workers="block")
    page = context.new_page()
    log_in(page, live.url, OPERATOR[0], DEMO_PASSWORD)
    page.goto(live.url + "/betrieb/accounts", wait_until="networkidle")
    page.fill("#account-search", "krüger")
    expect(page.locator("#accounts tbody tr")).to_have_count(1)
    assert "jana.krueger@example.org" in page.inner_text("#accounts")
    assert "q=kr" in page.url  # the address follows, so reload and back work
    context.close()


@pytest.mark.backend_independent
def test_closing_the_banner_sticks_for_this_browser(browser, console_site):
    live, _ = console_site
    context = new_context(browser, PHONE, service_workers="block")
    page = context.new_page()
    log_in(page, live.url, PARTICIPANTS[0][0], DEMO_PASSWORD)
    banner = page.locator("#announcement")
    assert "gewartet" in banner.inner_text()
    page.click("#announcement button")
    banner.wait_for(state="detached")
    page.reload()
    assert page.locator("#announcement").count() == 0
    context.close()
