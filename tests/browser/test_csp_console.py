"""The console stays clean under the strict CSP while pages update themselves.

Every blocked inline style or script fires a `securitypolicyviolation` event (and a console
error); the page records them from its first byte on. Board moves (one tap, the move sheet,
drag and drop with SortableJS), the card sheet and a live meeting's updates must cause none.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from alex.db import utcnow
from alex.extensions import db
from alex.meetings import service
from tests.browser import test_board_browser
from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import DESKTOP, PHONE, log_in, new_context

# Ada's board on the demo expedition, as the board's own browser tests set it up.
board_world = test_board_browser.board_world

RECORD = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


def watch(context) -> list[str]:
    """Record violations in every page of the context; the returned list also gets console errors."""
    errors: list[str] = []
    context.add_init_script(RECORD)
    context.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return errors


def violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__cspViolations || []") + console


def test_board_moves_and_sheets_cause_no_csp_violation(app, browser, live_server, board_world):
    ids = board_world["ids"]
    expedition = board_world["expedition"]
    # On a phone: one-tap "→", then "Verschieben nach…" as a bottom sheet.
    ctx = new_context(browser, PHONE)
    console = watch(ctx)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{expedition.id}/board")
    page.tap(".board-tabs a[data-column=sprint]")
    card_id = ids["Zwei Kolleg:innen für eine Schreibwerkstatt gewinnen"]
    page.locator(f"#card-{card_id} .card-next").tap()
    expect(page.locator("#announcer")).to_contain_text("In Arbeit")
    page.tap(".board-tabs a[data-column=doing]")
    page.locator("#column-doing .card-move").first.tap()
    expect(page.locator("#move-sheet")).to_be_visible()
    page.locator("[data-close-sheet]").tap()
    # The card's own page (its sheet): open it from the board.
    with page.expect_navigation():
        page.locator(f"#card-{card_id} a.card-title").tap()
    page.wait_for_load_state("networkidle")
    assert violations(page, console) == []
    ctx.close()

    # On a laptop: drag and drop with the mouse (SortableJS).
    ctx = new_context(browser, DESKTOP)
    console = watch(ctx)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{expedition.id}/board")
    card_id = ids["Kleines Wörterbuch: 20 Amtswörter und was sie meinen"]
    source = page.locator(f"#card-{card_id}")
    target = page.locator("#column-doing .card-list .card").first
    box_s, box_t = source.bounding_box(), target.bounding_box()
    page.mouse.move(box_s["x"] + 20, box_s["y"] + 10)
    expect(page.locator("#column-doing .card-list[data-sortable]")).to_have_count(1)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(
            box_s["x"] + 20 + (box_t["x"] - box_s["x"]) * step / 15,
            box_s["y"] + 10 + (box_t["y"] + 5 - box_s["y"] - 10) * step / 15,
        )
        page.wait_for_timeout(30)
    page.mouse.up()
    expect(page.locator("#announcer")).to_contain_text("In Arbeit")
    assert violations(page, console) == []
    ctx.close()


def test_live_meeting_updates_cause_no_csp_violation(app, browser, live_server, world):
    mona = world.user("Mona Moderation", "mona@example.org")
    ada = world.user("Ada Lorenz", "ada@example.org")
    expedition = world.expedition(mona, participates=False)
    world.join(expedition, ada)
    with app.app_context():
        meeting = service.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            service.Schedule(
                "zirkeltreffen", utcnow() + timedelta(minutes=5), 90, "Raum 2.14", 1, None
            ),
        )
        db.session.commit()
        url = f"{live_server.url}/expeditions/{expedition.id}/meetings/{meeting.id}"
    fac_ctx, par_ctx = new_context(browser, DESKTOP), new_context(browser, PHONE)
    fac_console, par_console = watch(fac_ctx), watch(par_ctx)
    fac, par = fac_ctx.new_page(), par_ctx.new_page()
    log_in(fac, live_server.url, "mona@example.org", TEST_PASSWORD)
    log_in(par, live_server.url, "ada@example.org", TEST_PASSWORD)
    fac.goto(url)
    par.goto(url)
    version = par.locator("#meeting-live").get_attribute("data-version")
    # The facilitator moves the meeting on; Ada's phone follows by its poll (an htmx swap).
    fac.locator("#meeting-live button[type=submit]").first.click()
    par.wait_for_function(
        "v => document.getElementById('meeting-live').dataset.version !== v", arg=version
    )
    fac.wait_for_load_state("networkidle")
    par.wait_for_timeout(2500)  # another poll or two
    assert violations(fac, fac_console) == []
    assert violations(par, par_console) == []
    fac_ctx.close()
    par_ctx.close()
