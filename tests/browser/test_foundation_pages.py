"""Every foundation page in Chromium at phone and desktop width: no horizontal scrolling, axe clean,
a screenshot for people to look at (test-artifacts/), and the README's phone screenshot."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from alex.demo import DEMO_PASSWORD, seed_demo
from alex.expeditions.service import create_invite
from alex.extensions import db
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def demo(app):
    """The demo expedition (as `make run` seeds it) and a fresh invite link."""
    with app.app_context():
        seeded = seed_demo(db.session, date.today())
        invite = create_invite(db.session, seeded.expedition, seeded.facilitator)
        db.session.commit()
        return {"expedition_id": seeded.expedition.id, "invite": invite.token}


def _check(page, name: str, viewport: dict) -> None:
    """What every page must satisfy; then keep a screenshot."""
    page.wait_for_load_state("networkidle")
    screenshot(page, f"{name}-{'phone' if viewport == PHONE else 'desktop'}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{name}: horizontal scrolling ({width}px)"
    assert page.locator("h1").count() == 1, name
    assert page.locator("main").count() == 1, name
    assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_logged_out_pages(browser, live_server, demo, viewport):
    ctx = new_context(browser, viewport)
    page = ctx.new_page()
    for name, path in [
        ("login", "/login"),
        ("register", "/register"),
        ("error-404", "/expeditions/999"),
        ("invite-landing", f"/invite/{demo['invite']}"),
    ]:
        page.goto(f"{live_server.url}{path}")
        _check(page, name, viewport)
    assert "Lern-Expedition Digitale Verwaltung" in page.content()
    # Bad login shows the message next to the field, focusable and in German.
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password]", "falsch falsch")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "stimmt nicht" in page.locator("#password-error").inner_text()
    assert page.input_value("input[name=email]") == "ada@example.org"
    _check(page, "login-error", viewport)
    ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_facilitator_pages(browser, live_server, demo, viewport):
    ctx = new_context(browser, viewport)
    page = ctx.new_page()
    log_in(page, live_server.url, "moderation@example.org", DEMO_PASSWORD)
    base = f"{live_server.url}/expeditions/{demo['expedition_id']}"
    for name, url in [
        ("home", f"{live_server.url}/"),
        ("new-expedition", f"{live_server.url}/expeditions/new"),
        ("expedition", base),
        ("settings", f"{base}/settings"),
        ("members", f"{base}/members"),
        ("account", f"{live_server.url}/account"),
    ]:
        page.goto(url)
        _check(page, name, viewport)

    # The calendar preview follows what the facilitator types (htmx, no reload).
    page.goto(f"{live_server.url}/expeditions/new")
    page.fill("input[name=start_date]", "2026-01-05")
    page.fill("input[name=sprint_weeks]", "2")
    page.fill("input[name=sprint_count]", "3")
    # Let the previews the earlier fields triggered land, so the last change is not swapped away.
    page.wait_for_load_state("networkidle")
    page.locator("input[name=sprint_count]").dispatch_event("change")
    # (a locator, not wait_for_function: the page's CSP rightly forbids string evaluation)
    page.locator("#calendar-preview").get_by_text("15. Februar 2026").wait_for(timeout=20_000)
    assert page.locator("#calendar-preview li").count() == 3

    # Settings that move the sprints show the warning first.
    page.goto(f"{base}/settings")
    page.fill("input[name=sprint_weeks]", "2")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Das verschiebt die Sprints.").is_visible()
    _check(page, "settings-warning", viewport)

    # An invite link, created through htmx, ready to copy.
    page.goto(f"{base}/members")
    page.click("text=Einladungslink erstellen")
    page.wait_for_selector("#invite-link")
    assert "/invite/" in page.input_value("#invite-link")
    _check(page, "members-invite", viewport)
    ctx.close()


def test_participant_expedition_page_on_phone(browser, live_server, demo):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", DEMO_PASSWORD)
    assert "Sprint 3 von 6" in page.content()
    page.goto(f"{live_server.url}/expeditions/{demo['expedition_id']}")
    _check(page, "expedition-participant", PHONE)
    if os.environ.get("ALEX_UPDATE_SCREENSHOTS"):  # refresh the README's picture on request only
        README_SCREENSHOT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SCREENSHOT / "expedition-phone.png"), full_page=False)
    ctx.close()


def test_language_switch_to_english(browser, live_server, demo):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/account")
    page.select_option("select[name=locale]", "en")
    page.click("section[aria-labelledby=profile-heading] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Your account"
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(f"{live_server.url}/")
    assert "My expeditions" in page.content() and "Sprint 3 of 6" in page.content()
    _check(page, "home-english", PHONE)
    ctx.close()


def test_keyboard_user_reaches_main_through_skip_link(browser, live_server, demo):
    ctx = new_context(browser, DESKTOP)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none" or (
        page.evaluate("getComputedStyle(document.activeElement).boxShadow") != "none"
    )
    ctx.close()
