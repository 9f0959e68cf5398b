"""What a participant sees first on a phone: the board's column and at least two whole cards."""

from __future__ import annotations

from datetime import date

import pytest

from alex.demo import DEMO
from alex.demo.build import build_expedition
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD, detached, password_hash
from tests.support.browser import PHONE, log_in, new_context, screenshot


@pytest.fixture
def demo(app):
    with app.app_context():
        built = build_expedition(db.session, DEMO, date.today(), password_hash())
        db.session.commit()
        return detached(built.expedition)


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_phone_board_first_screen_shows_the_column_and_two_cards(
    browser, live_server, demo, locale
):
    ctx = new_context(browser, PHONE, locale=locale)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    assert page.url.endswith(f"/expeditions/{demo.id}/board")  # landed on the board
    column = page.locator(".column:visible").first
    nav_top = page.locator(".main-nav").bounding_box()["y"]
    head = column.locator(".column-head h2").bounding_box()
    assert head["y"] + head["height"] <= nav_top
    cards = column.locator(".card")
    assert cards.count() >= 2
    for index in range(2):
        box = cards.nth(index).bounding_box()
        assert box["y"] + box["height"] <= nav_top, f"card {index + 1} ends below the first screen"
    # No label of a card's buttons wraps onto a second line.
    for button in column.locator(".card-next, .card-move").all():
        assert button.bounding_box()["height"] <= 48
    screenshot(page, f"first-screen-board-{locale}")
    ctx.close()


def test_account_device_list_is_set_off_from_log_out_everywhere(browser, live_server, demo):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/account")
    devices = page.locator("ul.device-list")
    style = devices.evaluate(
        "(el) => { const s = getComputedStyle(el); return [s.borderTopWidth, s.paddingLeft]; }"
    )
    assert style[0] == "1px" and style[1] != "0px"
    below = page.locator("form[action$='/logout-everywhere'], form[action*='everywhere']").first
    gap = below.bounding_box()["y"] - (
        devices.bounding_box()["y"] + devices.bounding_box()["height"]
    )
    assert gap >= 16
    below.scroll_into_view_if_needed()
    screenshot(page, "account-devices-phone")
    ctx.close()
