"""The moderator's compact run-sheet on a phone; planning meetings in one go, in a real browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from alex.db import utcnow
from alex.extensions import db
from alex.meetings import service
from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)

FOLLOW_MS = 3000


@pytest.fixture
def zirkel(app, world):
    """Mona facilitates; Ada and Ben take part; Ben moderates this Zirkeltreffen."""
    mona = world.user("Mona Moderation", "mona@example.org")
    ada = world.user("Ada Lorenz", "ada@example.org")
    ben = world.user("Ben Okafor", "ben@example.org")
    expedition = world.expedition(mona, title="Digitale Verwaltung", participates=False)
    world.join(expedition, ada)
    world.join(expedition, ben)
    with app.app_context():
        meeting = service.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            service.Schedule(
                "zirkeltreffen",
                utcnow() + timedelta(minutes=5),
                90,
                "https://video.example.org/zirkel",
                1,
                ben.id,
            ),
        )
        db.session.commit()
        meeting_id = meeting.id
    return expedition, meeting_id


def _visible_top(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


TEXTS = {
    "de-DE": {
        "start": "Treffen starten",
        "steps": "Alle Schritte",
        "tools": "Timer und Werkzeuge",
        "next": "Weiter: Was aus den Maßnahmen wurde",
        "here": "da",
    },
    "en-GB": {
        "start": "Start the meeting",
        "steps": "All steps",
        "tools": "Timer and tools",
        "next": "Next: What became of last actions",
        "here": "here",
    },
}


def _click_and_wait(page, name: str) -> None:
    before = int(page.locator("#meeting-live").get_attribute("data-version"))
    page.get_by_role("button", name=name, exact=True).first.click()
    page.wait_for_function(
        "v => +document.getElementById('meeting-live').dataset.version > v", arg=before
    )


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_moderator_phone_run_sheet_is_compact(browser, live_server, zirkel, locale):
    """Ben, a participant chosen as moderator, runs the meeting from his phone."""
    words = TEXTS[locale]
    expedition, meeting_id = zirkel
    url = f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting_id}"
    context = new_context(browser, PHONE, locale=locale)
    page = context.new_page()
    log_in(page, live_server.url, "ben@example.org", TEST_PASSWORD)
    page.goto(url)
    expect(
        page.locator(".meeting-place a, .meta a[href^='https://video']").first
    ).to_have_attribute("href", "https://video.example.org/zirkel")
    _click_and_wait(page, words["start"])
    # The steps and the tools are folded: the check-in everyone fills in is in the first screen.
    expect(page.locator(".runsheet .steps")).to_be_hidden()
    expect(page.locator(".presence-list")).to_be_hidden()
    expect(page.get_by_role("button", name=words["next"], exact=True)).to_be_in_viewport()
    stage_top = page.locator("#stage-heading").bounding_box()["y"]
    assert stage_top + 40 < PHONE["height"], f"the meeting starts {stage_top}px down"
    assert page.locator(".runsheet").bounding_box()["height"] < 0.45 * PHONE["height"]
    assert_no_axe_violations(page)
    screenshot(page, f"moderator-phone-{locale}")

    # Opened tools stay open when the meeting changes (live updates replace the region).
    page.get_by_text(words["tools"], exact=True).click()
    expect(page.locator(".presence-list")).to_be_visible()
    _click_and_wait(page, words["here"])
    expect(page.locator(".presence-list")).to_be_visible()
    expect(page.locator(".runsheet .steps")).to_be_hidden()
    _click_and_wait(page, words["next"])
    expect(page.locator("#runsheet-tools")).to_have_attribute("open", "")
    context.close()


def test_moderator_desktop_run_sheet_shows_everything(browser, live_server, zirkel):
    expedition, meeting_id = zirkel
    url = f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting_id}"
    context = new_context(browser, DESKTOP)
    page = context.new_page()
    log_in(page, live_server.url, "ben@example.org", TEST_PASSWORD)
    page.goto(url)
    _click_and_wait(page, "Treffen starten")
    expect(page.locator(".runsheet .steps")).to_be_visible()
    expect(page.locator(".presence-list")).to_be_visible()
    expect(page.get_by_text("Alle Schritte", exact=True)).to_be_hidden()
    assert_no_axe_violations(page)
    screenshot(page, "moderator-desktop-de-DE")
    context.close()


@pytest.mark.parametrize(
    "viewport,locale", [(PHONE, "de-DE"), (DESKTOP, "de-DE"), (PHONE, "en-GB"), (DESKTOP, "en-GB")]
)
def test_facilitator_plans_the_series_in_one_go(browser, live_server, zirkel, viewport, locale):
    expedition, _meeting_id = zirkel
    context = new_context(browser, viewport, locale=locale)
    page = context.new_page()
    log_in(page, live_server.url, "mona@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{expedition.id}/meetings")
    page.locator("a[href$='/meetings/series']").first.click()
    expect(page.locator("#series-preview")).to_be_visible()
    before = page.locator("#row-zirkeltreffen-2").input_value()
    page.select_option("#weekday", "4")  # Friday: the preview follows without a reload
    expect(page.locator("#row-zirkeltreffen-2")).not_to_have_value(before, timeout=FOLLOW_MS)
    page.fill("#time", "09:30")
    page.fill("#location", "https://video.example.org/zirkel")
    page.locator("#location").blur()
    page.locator("input[name=include][value=closing]").uncheck()
    assert_no_axe_violations(page)
    size = "phone" if viewport is PHONE else "desktop"
    screenshot(page, f"series-{size}-{locale}")
    page.locator("#series-preview button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    rows = page.locator("#upcoming-heading + ul .meeting-row")
    expect(rows).to_have_count(5)  # sprint 1 as before, the Auftakt is past, sprints 2–5 new
    screenshot(page, f"series-saved-{size}-{locale}")
    context.close()


@pytest.mark.parametrize("viewport,locale", [(PHONE, "de-DE"), (DESKTOP, "en-GB")])
def test_someone_who_missed_the_meeting_catches_up(
    app, browser, live_server, zirkel, viewport, locale
):
    expedition, meeting_id = zirkel
    with app.app_context():
        from alex.meetings.models import Meeting

        meeting = db.session.get(Meeting, meeting_id)
        service.go_to_step(db.session, meeting, "retro")
        owner = meeting.moderator_id
        service.add_action(
            db.session,
            meeting,
            db.session.merge(expedition),
            title="Checkliste fürs Bürgerbüro teilen",
            owner_id=owner,
            kind="task",
        )
        meeting.notes = "Ab jetzt treffen wir uns freitags."
        service.finish_meeting(db.session, meeting)
        db.session.commit()
    context = new_context(browser, viewport, locale=locale)
    page = context.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{expedition.id}/meetings")
    page.locator("a[href$='/catch-up']").first.click()
    expect(page.locator("h1")).to_contain_text(
        "Zirkeltreffen" if locale.startswith("de") else "Circle meeting"
    )
    expect(page.locator(".catchup-action")).to_contain_text("Ben Okafor")
    page.locator(".catchup-action textarea").fill("Ich helfe beim Ausdrucken.")
    page.locator(".catchup-action button[type=submit]").click()
    expect(page.locator(".catchup-notes")).to_contain_text("Ich helfe beim Ausdrucken.")
    expect(page.locator(".catchup-action textarea")).to_have_value("")
    assert_no_axe_violations(page)
    size = "phone" if viewport is PHONE else "desktop"
    screenshot(page, f"catchup-{size}-{locale}")
    context.close()
