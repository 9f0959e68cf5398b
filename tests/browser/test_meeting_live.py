"""A whole Zirkeltreffen in two real browsers: the facilitator on a laptop, Ada on her phone."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

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

FOLLOW_MS = 2000  # every screen follows the facilitator within two seconds
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _schedule(app, expedition):
    with app.app_context():
        meeting = service.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            service.Schedule(
                "zirkeltreffen", utcnow() + timedelta(minutes=5), 90, "Raum 2.14", 1, None
            ),
        )
        db.session.commit()
        return meeting.id


def _follows(page, locator_text: str, where: str = "#meeting-live") -> float:
    """Wait until the text shows on the page; return the seconds it took."""
    started = time.monotonic()
    expect(page.locator(where)).to_contain_text(locator_text, timeout=FOLLOW_MS)
    return time.monotonic() - started


def _shown_version(page) -> int:
    return int(page.locator("#meeting-live").get_attribute("data-version"))


def _done(page, before: int) -> None:
    """Wait until the actor's own screen shows the change it made (its POST has been answered)."""
    page.wait_for_function(
        "v => +document.getElementById('meeting-live').dataset.version > v", arg=before
    )


def _click(page, name: str) -> None:
    """Click a button of the live region; return once the change is made on the server."""
    before = _shown_version(page)
    page.get_by_role("button", name=name, exact=True).first.click()
    _done(page, before)


def test_a_whole_zirkeltreffen_from_check_in_to_actions(app, browser, live_server, world):
    mona = world.user("Mona Moderation", "mona@example.org")
    ada = world.user("Ada Lorenz", "ada@example.org")
    ben = world.user("Ben Okafor", "ben@example.org")
    expedition = world.expedition(mona, title="Digitale Verwaltung", participates=False)
    world.join(expedition, ada)
    world.join(expedition, ben)
    meeting_id = _schedule(app, expedition)
    url = f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting_id}"

    desk_ctx = new_context(browser, DESKTOP)
    phone_ctx = new_context(browser, PHONE)
    fac, par = desk_ctx.new_page(), phone_ctx.new_page()
    log_in(fac, live_server.url, "mona@example.org", TEST_PASSWORD)
    log_in(par, live_server.url, "ada@example.org", TEST_PASSWORD)
    fac.goto(url)
    par.goto(url)
    expect(par.locator("#stage-heading")).to_have_text("Gleich geht es los")
    assert_no_axe_violations(par)

    # Check-in: the facilitator starts, Ada's phone follows and she checks in.
    _click(fac, "Treffen starten")
    _follows(par, "Wie kommst du heute an?")
    par.locator("label.mood-option", has_text="sonnig").click()
    par.fill("#checkin-word", "neugierig")
    _click(par, "Einchecken")
    _follows(fac, "„neugierig“")
    assert_no_axe_violations(par)
    assert_no_axe_violations(fac)

    # No actions from an earlier meeting; on to the review round, Ada's turn with a timer.
    _click(fac, "Weiter: Was aus den Maßnahmen wurde")
    _follows(par, "keine Maßnahmen zum Zurückschauen")
    _click(fac, "Weiter: Review-Runde")
    _follows(par, "Die Moderation wählt, wer anfängt")
    before = _shown_version(fac)
    fac.locator(".presence-list li", has_text="Ada Lorenz").get_by_role("button").click()
    _done(fac, before)
    _follows(par, "Ada Lorenz ist dran")
    expect(par.locator(".timer")).to_be_visible()

    # Retro: Ada writes privately; the facilitator does not see it until the reveal.
    _click(fac, "Weiter: Retro")
    _follows(par, "Nur du siehst deine Notizen")
    par.fill("#item-text", "Mehr Pausen zwischen den Terminen")
    _click(par, "Notiz hinzufügen")
    expect(par.locator(".item-mine")).to_contain_text("Mehr Pausen")
    expect(fac.locator("#meeting-live")).to_contain_text("1 Notiz von anderen", timeout=FOLLOW_MS)
    assert "Mehr Pausen" not in fac.content()

    # A half-written note survives a live update (the facilitator starts a timer).
    par.fill("#item-text", "Halb geschrieben")
    par.focus("#item-text")
    _click(fac, "Timer starten")
    expect(par.locator(".timer")).to_be_visible(timeout=FOLLOW_MS)
    expect(par.locator("#item-text")).to_have_value("Halb geschrieben")
    par.fill("#item-text", "")
    assert_no_axe_violations(par)
    screenshot(par, "meeting-participant-write")

    _click(fac, "Aufdecken")
    _follows(fac, "Mehr Pausen zwischen den Terminen")
    expect(par.locator(".phase-current")).to_have_text("Aufdecken", timeout=FOLLOW_MS)
    _click(fac, "Diskutieren")
    expect(par.locator(".phase-current")).to_have_text("Diskutieren", timeout=FOLLOW_MS)
    _click(fac, "Jetzt besprechen")
    _follows(par, "Darüber sprechen wir gerade")
    _click(fac, "Maßnahmen vereinbaren")
    expect(par.locator(".phase-current")).to_have_text("Maßnahmen vereinbaren", timeout=FOLLOW_MS)

    # An action for Ada: it shows on her phone and lands on her board.
    fac.fill("#action-title", "Feste Pausen im Kalender blocken")
    fac.select_option("#action-owner", label="Ada Lorenz")
    _click(fac, "Maßnahme aufs Board legen")
    _follows(par, "Feste Pausen im Kalender blocken")
    assert_no_axe_violations(fac)
    assert_no_axe_violations(par)
    screenshot(fac, "meeting-facilitator")
    screenshot(par, "meeting-participant")
    DOCS.mkdir(parents=True, exist_ok=True)
    fac.evaluate("window.scrollTo(0, 0)")
    fac.screenshot(path=str(DOCS / "meeting-facilitator.png"))
    par.evaluate(
        "window.scrollTo(0, document.getElementById('meeting-live').getBoundingClientRect().top"
        " + window.scrollY - 72)"
    )
    par.screenshot(path=str(DOCS / "meeting-participant.png"))

    from alex.boards.models import Card

    with app.app_context():
        card = db.session.query(Card).filter_by(title="Feste Pausen im Kalender blocken").one()
        assert (card.owner_id, card.column, card.sprint_number) == (ada.id, "sprint", 2)

    # Planning and the end: Ada's phone follows to the end and offers the record.
    _click(fac, "Weiter: Planung des nächsten Sprints")
    _follows(par, "Mein Fokus für den nächsten Sprint")
    _click(fac, "Treffen beenden")
    _follows(par, "Danke für das Treffen")
    par.get_by_role("link", name="Protokoll lesen").click()
    expect(par.locator("h1")).to_contain_text("Zirkeltreffen")
    expect(par.locator("main")).to_contain_text("Feste Pausen im Kalender blocken")
    assert_no_axe_violations(par)
    screenshot(par, "meeting-record-phone")
    desk_ctx.close()
    phone_ctx.close()


def test_hidden_tab_stops_polling(app, browser, live_server, world):
    mona = world.user("Mona Moderation", "mona@example.org")
    expedition = world.expedition(mona, title="Digitale Verwaltung")
    meeting_id = _schedule(app, expedition)
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, "mona@example.org", TEST_PASSWORD)
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/live" in r.url else None)
    page.goto(f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting_id}")
    page.wait_for_timeout(3500)
    assert len(polls) >= 2
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    seen = len(polls)
    page.wait_for_timeout(3500)
    assert len(polls) == seen
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(500)
    assert len(polls) > seen
    ctx.close()


def test_facilitator_schedules_on_a_phone_and_pages_are_accessible(
    app, browser, live_server, world
):
    mona = world.user("Mona Moderation", "mona@example.org")
    ada = world.user("Ada Lorenz", "ada@example.org")
    expedition = world.expedition(mona, title="Digitale Verwaltung")
    world.join(expedition, ada)
    base = f"{live_server.url}/expeditions/{expedition.id}/meetings"
    for viewport in (PHONE, DESKTOP):
        ctx = new_context(browser, viewport)
        page = ctx.new_page()
        log_in(page, live_server.url, "mona@example.org", TEST_PASSWORD)
        page.goto(base)
        assert_no_axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        if viewport == PHONE:
            page.select_option("#kind", "zirkeltreffen")
            page.fill("#day", "2031-05-15")
            page.fill("#time", "14:00")
            page.fill("#location", "Raum 2.14")
            page.select_option("#sprint_number", "1")
            page.select_option("#moderator_id", label="Ada Lorenz")
            page.get_by_role("button", name="Treffen speichern").click()
            # Saving stays on the list: the new meeting is marked there, the form offers the next.
            expect(page.locator(".flash-success")).to_be_visible()
            expect(page.locator(".meeting-row:target")).to_contain_text("Moderation: Ada Lorenz")
            assert_no_axe_violations(page)
            screenshot(page, "meetings-index-phone")
        else:
            page.get_by_role("link", name="Zirkeltreffen · Sprint 1").click()
            page.get_by_role("link", name="Termin und Ort").click()
            assert_no_axe_violations(page)
            page.get_by_role("link", name="Zurück zum Treffen").click()
            page.get_by_role("link", name="Protokoll").first.click()
            assert_no_axe_violations(page)
            screenshot(page, "meeting-record-desktop")
        ctx.close()
