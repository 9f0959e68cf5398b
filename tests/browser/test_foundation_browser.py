"""The foundation in a real browser: login, an expedition page at phone width, no axe violations."""

from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import PHONE, assert_no_axe_violations, log_in, new_context, screenshot


def test_login_page_is_accessible_on_phone_and_desktop(browser, live_server):
    for viewport in (PHONE, {"width": 1280, "height": 800}):
        ctx = new_context(browser, viewport)
        page = ctx.new_page()
        page.goto(f"{live_server.url}/login")
        assert page.locator("h1").inner_text() == "Anmelden"
        assert_no_axe_violations(page)
        ctx.close()


def test_participant_logs_in_and_sees_expedition_at_phone_width(browser, live_server, world):
    mona = world.user("Mona Moderation", "mona@example.org")
    ada = world.user("Ada Lorenz", "ada@example.org")
    expedition = world.expedition(mona, title="Digitale Verwaltung")
    world.join(expedition, ada)

    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    # With one running expedition the participant lands on her board, one tap from everything.
    assert page.url.endswith(f"/expeditions/{expedition.id}/board")
    page.goto(f"{live_server.url}/")
    assert "Meine Expeditionen" in page.content()
    page.click("text=Digitale Verwaltung")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Digitale Verwaltung"
    # No horizontal scrolling at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_axe_violations(page)
    screenshot(page, "expedition-phone")
    ctx.close()
