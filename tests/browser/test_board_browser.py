"""The board in a real browser: drag and drop, keyboard, one-tap on a phone, the 409 race, axe."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from alex.boards.models import Card
from alex.demo import DEMO
from alex.demo.build import build_expedition
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD, detached, password_hash
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def board_world(app):
    """The demo expedition, its people logging in with the test password: Ada's board as she sees it."""
    with app.app_context():
        built = build_expedition(db.session, DEMO, date.today(), password_hash())
        db.session.commit()
        ada = detached(built.people["ada"])
        ids = {spec.title: card_id for card_id, spec in built.cards_of[ada.id]}
        return {"expedition": detached(built.expedition), "ids": ids, "ada": ada}


def column_of(app, card_id):
    with app.app_context():
        return db.session.scalar(select(Card.column).where(Card.id == card_id))


def open_board(browser, live_server, expedition, viewport=DESKTOP):
    ctx = new_context(browser, viewport)
    page = ctx.new_page()
    log_in(page, live_server.url, "ada@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{expedition.id}/board")
    page.wait_for_load_state("networkidle")
    return ctx, page


def test_board_desktop_looks_right_and_is_accessible(browser, live_server, board_world):
    ctx, page = open_board(browser, live_server, board_world["expedition"], DESKTOP)
    assert page.locator(".column:visible").count() == 5
    assert_no_axe_violations(page)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot(page, "board-desktop"), DOCS / "board-desktop.png")
    ctx.close()


def test_board_phone_shows_one_column_with_tabs(browser, live_server, board_world):
    ctx, page = open_board(browser, live_server, board_world["expedition"], PHONE)
    assert page.locator(".column:visible").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(".board-tabs a[data-column=doing]")
    assert page.locator("#column-doing").is_visible()
    assert_no_axe_violations(page)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot(page, "board-phone"), DOCS / "board-phone.png")
    # "Verschieben nach…" opens as a bottom sheet, accessible too.
    page.locator("#column-doing .card-move").first.tap()
    assert page.locator("#move-sheet").is_visible()
    assert page.locator("#move-sheet input[name=column]:checked").get_attribute("value") == "doing"
    assert_no_axe_violations(page)
    page.screenshot(path=str(screenshot(page, "board-sheet-phone")))
    page.locator("[data-close-sheet]").tap()
    assert not page.locator("#move-sheet").is_visible()
    ctx.close()


def test_drag_and_drop_with_the_mouse(app, browser, live_server, board_world):
    ids = board_world["ids"]
    card_id = ids["Zwei Kolleg:innen für eine Schreibwerkstatt gewinnen"]
    ctx, page = open_board(browser, live_server, board_world["expedition"], DESKTOP)
    source = page.locator(f"#card-{card_id}")
    target = page.locator("#column-doing .card-list .card").first
    box_s, box_t = source.bounding_box(), target.bounding_box()
    page.mouse.move(box_s["x"] + 20, box_s["y"] + 10)
    # Hovering the board fetches SortableJS (not part of the first visit); a person's hand takes
    # longer from hover to drag than that download.
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
    assert column_of(app, card_id) == "doing"
    assert page.locator(f"#column-doing #card-{card_id}").count() == 1
    assert page.locator("#board-tabs a[data-column=doing] .count").inner_text() == "3"
    # The answer put the card itself (not a wrapper) where the server has it, once.
    place = page.evaluate(
        f"""() => {{ const card = document.getElementById('card-{card_id}');
            return card.parentElement.matches('#column-doing .card-list')
              ? [...card.parentElement.children].indexOf(card) : -1; }}"""
    )
    with app.app_context():
        assert place == db.session.get(Card, card_id).position
    assert page.locator(f"[id='card-{card_id}']").count() == 1
    ctx.close()


def test_move_with_the_keyboard_only(app, browser, live_server, board_world):
    card_id = board_world["ids"]["Kleines Wörterbuch: 20 Amtswörter und was sie meinen"]
    ctx, page = open_board(browser, live_server, board_world["expedition"], DESKTOP)
    page.focus(f"#card-{card_id} .card-title")
    page.keyboard.press("Tab")  # to "Verschieben nach…"
    assert page.evaluate("document.activeElement.classList.contains('card-move')")
    page.keyboard.press("Enter")
    assert page.locator("#move-sheet").is_visible()
    # The current column is pre-selected and focused; arrow keys pick another.
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "learning"
    assert page.locator("[data-learning-field]").is_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    page.keyboard.type("Einfach schreiben ist schwer.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Verschieben"
    expect(page.locator("#announcer")).to_contain_text("Lernen")
    assert column_of(app, card_id) == "learning"
    assert (
        page.evaluate(
            "document.activeElement.closest('.card') && document.activeElement.closest('.card').id"
        )
        == f"card-{card_id}"
    )
    ctx.close()


def test_one_tap_move_on_a_phone_with_touch(app, browser, live_server, board_world):
    card_id = board_world["ids"]["Zwei Kolleg:innen für eine Schreibwerkstatt gewinnen"]
    ctx, page = open_board(browser, live_server, board_world["expedition"], PHONE)
    page.tap(".board-tabs a[data-column=sprint]")
    button = page.locator(f"#card-{card_id} .card-next")
    assert " ".join(button.inner_text().split()) == "→ In Arbeit"
    box = button.bounding_box()
    assert box["height"] >= 44
    button.tap()
    expect(page.locator("#announcer")).to_contain_text("In Arbeit")
    assert column_of(app, card_id) == "doing"
    assert page.locator("#board-tabs a[data-column=doing] .count").inner_text() == "3"
    assert page.locator("#board-tabs a[data-column=sprint] .count").inner_text() == "1"
    # The sprint tab stays open for the next card.
    assert page.locator("#column-sprint").is_visible()
    ctx.close()


def test_phone_and_laptop_race_on_the_same_card(app, browser, live_server, board_world):
    card_id = board_world["ids"]["Bescheid mit Kasten »Was Sie jetzt tun müssen«"]
    ex = board_world["expedition"]
    laptop_ctx, laptop = open_board(browser, live_server, ex, DESKTOP)
    phone_ctx, phone = open_board(browser, live_server, ex, PHONE)
    phone.tap(".board-tabs a[data-column=doing]")
    phone.locator(f"#card-{card_id} .card-next").tap()
    phone.locator("#move-sheet-form button[type=submit]").tap()  # "→ Lernen" asks first
    expect(phone.locator("#announcer")).to_contain_text("Lernen")
    # The laptop still shows the old version and tries "→ Lernen" too: it loses, sees why.
    laptop.locator(f"#card-{card_id} .card-next").click()
    laptop.locator("#move-sheet-form button[type=submit]").click()
    laptop.wait_for_selector("#board .notice-warning")
    assert "inzwischen geändert" in laptop.locator("#board .notice-warning").inner_text()
    assert laptop.locator(f"#column-learning #card-{card_id}").count() == 1
    assert column_of(app, card_id) == "learning"
    screenshot(laptop, "board-conflict")
    laptop_ctx.close()
    phone_ctx.close()


def test_board_area_pages_are_accessible_at_both_widths(app, browser, live_server, board_world):
    ex = board_world["expedition"]
    card_id = board_world["ids"]["Textbausteine im Fachverfahren mit der IT klären"]
    # The demo's Vorhaben has an earlier version, and Ada's Logbuch asks for support.
    paths = {
        "card": f"/expeditions/{ex.id}/cards/{card_id}",
        "move": f"/expeditions/{ex.id}/cards/{card_id}/move",
        "vorhaben": f"/expeditions/{ex.id}/vorhaben",
        "sprint": f"/expeditions/{ex.id}/sprint",
        "logbook": f"/expeditions/{ex.id}/logbook",
    }
    for viewport, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        ctx, page = open_board(browser, live_server, ex, viewport)
        for name, path in paths.items():
            page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
            assert_no_axe_violations(page)
            screenshot(page, f"board-{name}-{label}")
        ctx.close()


def test_peer_board_in_the_browser(browser, live_server, board_world):
    ex = board_world["expedition"]
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, "ben@example.org", TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{ex.id}/board/{board_world['ada'].id}")
    page.wait_for_load_state("networkidle")
    assert "Fortbildung »Leichte Sprache«" not in page.content()  # private
    assert page.locator(".card-next").count() == 0
    assert_no_axe_violations(page)
    screenshot(page, "board-peer-phone")
    ctx.close()


def test_add_a_card_on_a_phone(app, browser, live_server, board_world):
    ctx, page = open_board(browser, live_server, board_world["expedition"], PHONE)
    page.tap(".board-tabs a[data-column=done]")
    page.fill("#new-card input[name=title]", "Mit Kollegin Kaffee trinken und zuhören")
    page.keyboard.press("Enter")
    expect(page.locator("#announcer")).to_contain_text("Ideen")
    assert page.locator("#column-ideas").is_visible()
    assert page.locator("#column-ideas .card-title", has_text="Kaffee trinken").count() == 1
    assert page.evaluate("document.activeElement.name") == "title"
    assert page.locator("#board-tabs a[data-column=ideas] .count").inner_text() == "5"
    ctx.close()


def test_a_column_emptied_by_a_move_says_so(app, browser, live_server, board_world):
    """The move's answer adds the empty column's note; a reload shows it too (it used to be
    hidden by a rule meant for dragging, because the list's white space is not :empty)."""
    card_id = board_world["ids"]["Neuer Brief gegen alten: Wer reicht schneller nach?"]
    ctx, page = open_board(browser, live_server, board_world["expedition"], DESKTOP)
    page.locator(f"#card-{card_id} .card-next").click()
    expect(page.locator("#announcer")).to_contain_text("Erledigt")
    expect(page.locator("#column-learning-empty")).to_be_visible()
    assert column_of(app, card_id) == "done"
    page.reload()
    expect(page.locator("#column-learning-empty")).to_be_visible()
    expect(page.locator("#column-done-empty")).to_have_count(0)
    ctx.close()


def test_one_tap_into_learning_asks_what_was_learned(app, browser, live_server, board_world):
    """ "→" from "In Arbeit" opens the question first; the move is confirmed and can be undone."""
    card_id = board_world["ids"]["Textbausteine im Fachverfahren mit der IT klären"]
    ctx, page = open_board(browser, live_server, board_world["expedition"], PHONE)
    page.tap(".board-tabs a[data-column=doing]")
    page.locator(f"#card-{card_id} .card-next").tap()
    sheet = page.locator("#move-sheet")
    expect(sheet).to_be_visible()
    expect(page.locator("#move-sheet-learning")).to_be_focused()
    assert page.locator("#move-sheet-form input[value=learning]").is_checked()
    screenshot(page, "board-advance-into-learning-phone")
    page.fill("#move-sheet-learning", "Die IT braucht eine Liste, keine Mail.")
    page.locator("#move-sheet-form button[type=submit]").tap()
    undo = page.locator("#board-undo button")
    expect(undo).to_be_visible()
    expect(page.locator("#board-undo")).to_contain_text("Lernen")
    assert column_of(app, card_id) == "learning"
    undo.tap()
    expect(page.locator("#board-undo")).to_contain_text("In Arbeit")
    wait = 0
    while column_of(app, card_id) != "doing" and wait < 50:
        page.wait_for_timeout(100)
        wait += 1
    assert column_of(app, card_id) == "doing"
    ctx.close()


def test_one_tap_move_is_confirmed_with_undo(app, browser, live_server, board_world):
    card_id = board_world["ids"]["Zwei Kolleg:innen für eine Schreibwerkstatt gewinnen"]
    ctx, page = open_board(browser, live_server, board_world["expedition"], DESKTOP)
    page.locator(f"#card-{card_id} .card-next").click()
    expect(page.locator("#board-undo")).to_contain_text("In Arbeit")
    assert column_of(app, card_id) == "doing"
    page.locator("#board-undo button").click()
    expect(page.locator(f"#column-sprint #card-{card_id}")).to_be_visible()
    assert column_of(app, card_id) == "sprint"
    ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_note_it_lands_in_the_learning_field_below_the_header(
    app, browser, live_server, board_world, viewport
):
    ex = board_world["expedition"]
    ctx, page = open_board(browser, live_server, ex, viewport)
    page.goto(f"{live_server.url}/expeditions/{ex.id}/board")
    link = page.locator(".card-prompt").first
    if viewport == PHONE:
        page.tap(".board-tabs a[data-column=learning]")
    link.click()
    page.wait_for_load_state("networkidle")
    field = page.locator("textarea#learning")
    expect(field).to_be_focused()
    header = page.locator(".site-header").bounding_box()
    label = page.locator("label[for=learning]").bounding_box()
    assert label["y"] >= header["y"] + header["height"]
    screenshot(page, f"card-note-learning-{'phone' if viewport == PHONE else 'desktop'}")
    ctx.close()
