"""Accessibility proven in Chromium: axe over the page walk (German and English, phone and desktop,
light and dark), a keyboard-only walk, reflow at 320 px, and reduced motion.

The pages come from tests/page_walk.py, generated from the URL map and the demo data (a live
meeting in each of its states too), so a new page or state is checked without a line here.
All but the keyboard walk (which moves a card and writes a check-in) are backend_independent:
they run in the SQLite pass only.
"""

from __future__ import annotations

import time

import pytest

from alex import create_app
from alex.boards.models import Card, CheckIn
from alex.extensions import db
from tests.page_walk import (
    LOGINS,
    PASSWORD,
    ROLES,
    WTFORMS_TUPLE_CHOICES,
    Page,
    discover,
    seed_scenario,
    walk,
)
from tests.support.browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    axe_violations,
    new_context,
    screenshot,
)

pytestmark = pytest.mark.filterwarnings(WTFORMS_TUPLE_CHOICES)
NARROWEST = {"width": 320, "height": 640}  # WCAG 1.4.10: 1280 px at 400 %, or 640 px at 200 %


@pytest.fixture
def demo(app, live_app_config):
    """The demo expedition served on a loopback port."""
    scenario = seed_scenario(app)
    served = create_app(live_app_config)
    live = LiveServer(served)
    live.start()
    yield live, scenario
    live.stop()
    with served.app_context():
        db.engine.dispose()


def once(pages: list[Page], seen: set) -> list[Page]:
    """The pages whose structure was not seen yet (see tests/page_walk.py)."""
    fresh = []
    for page in pages:
        if page.key not in seen:
            seen.add(page.key)
            fresh.append(page)
    return fresh


# The first page of each endpoint is checked in all 8 set-ups; its further structures (other
# cards, each meeting step) in two that between them cover both languages, both schemes and both
# widths: German, light, on a phone; English, dark, on a desktop.
VARIANT_SET_UPS = {("de-DE", "light"): PHONE, ("en-GB", "dark"): DESKTOP}


def for_set_up(
    pages: list[Page], endpoints: set, locale: str, scheme: str
) -> tuple[list[Page], list[Page]]:
    """(pages for both widths, further structures for the one width of this set-up)."""
    first, variants = [], []
    for page in pages:
        if page.endpoint not in endpoints:
            endpoints.add(page.endpoint)
            first.append(page)
        elif (locale, scheme) in VARIANT_SET_UPS:
            variants.append(page)
    return first, variants


def sign_in(page, base: str, role: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", LOGINS[role])
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def open_settled(page, url: str) -> None:
    """Open a page and wait until htmx has nothing in flight.

    Not "networkidle": after the load event these pages fetch only the favicon (and, on a
    profile's first page, the service worker's precache), and waiting for 500 ms of quiet took
    as long as the axe run itself.
    """
    page.goto(url)
    page.locator(".htmx-request").first.wait_for(state="detached")


class Profiles:
    """One signed-in browser profile per role and viewport, kept while the walk changes state."""

    def __init__(self, browser, base: str, locale: str, scheme: str, **options):
        self.browser, self.base = browser, base
        self.options = {"locale": locale, "color_scheme": scheme, **options}
        self.open: dict[tuple[str, str], tuple] = {}

    def page(self, role: str, viewport: dict):
        key = (role, str(viewport))
        if key not in self.open:
            context = new_context(self.browser, viewport, **self.options)
            page = context.new_page()
            if role != "anonymous":
                sign_in(page, self.base, role)
            self.open[key] = (context, page)
        return self.open[key][1]

    def visit(self, pages: list[Page], viewport: dict, check) -> None:
        """Open each page as its role and call check(page, role, path)."""
        for role in ROLES:
            for wanted in (p for p in pages if p.role == role):
                page = self.page(role, viewport)
                open_settled(page, self.base + wanted.path)
                check(page, role, wanted.path)

    def close(self) -> None:
        for context, _ in self.open.values():
            context.close()


@pytest.mark.backend_independent
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_axe_finds_nothing_on_any_page(app, browser, demo, locale, scheme):
    server, scenario = demo
    found = {}
    checked = 0

    def check(page, role, path):
        nonlocal checked
        checked += 1
        violations = axe_violations(page)
        if violations:
            found[f"{role} {path} {page.viewport_size['width']}px"] = violations

    profiles = Profiles(browser, server.url, locale, scheme)
    seen: set = set()
    endpoints: set = set()
    try:
        for pages in walk(app, scenario):
            first, variants = for_set_up(once(pages, seen), endpoints, locale, scheme)
            for viewport in (PHONE, DESKTOP):
                profiles.visit(first, viewport, check)
            if variants:
                profiles.visit(variants, VARIANT_SET_UPS[(locale, scheme)], check)
    finally:
        profiles.close()
    assert checked > 60  # the walk found the pages (2 widths × 33 endpoints at least)
    assert not found, found


@pytest.mark.backend_independent
def test_axe_on_the_login_form_with_errors_and_the_offline_states(browser, demo):
    server, scenario = demo
    for scheme in ("light", "dark"):
        for viewport in (PHONE, DESKTOP):
            context = new_context(browser, viewport, color_scheme=scheme)
            page = context.new_page()
            page.goto(f"{server.url}/login")
            page.fill("input[name=email]", "niemand@example.org")
            page.fill("input[name=password]", "falsch")
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert page.locator(".error, .form-summary").count() > 0
            assert axe_violations(page) == []
            sign_in(page, server.url, "participant")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            board = f"{server.url}/expeditions/{scenario.expedition}/board"
            page.goto(board)
            page.wait_for_load_state("networkidle")
            wait_for(lambda p=page: p.evaluate("!!navigator.serviceWorker.controller"))
            context.set_offline(True)
            page.goto(board)
            assert "Stand von" in page.locator("#offline-status").inner_text()
            assert axe_violations(page) == []
            screenshot(page, f"a11y-offline-board-{scheme}-{viewport['width']}")
            context.close()


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.backend_independent
def test_no_horizontal_scrolling_at_320_px(app, browser, demo):
    server, scenario = demo
    too_wide = []

    def check(page, role, path):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROWEST["width"]:
            wide = page.evaluate(
                """w => [...document.querySelectorAll('main *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1)
                    .slice(0, 3).map(e => e.tagName + '.' + e.className)""",
                NARROWEST["width"],
            )
            too_wide.append((role, path, width, wide))

    profiles = Profiles(browser, server.url, "de-DE", "light")
    try:
        profiles.visit(once(discover(app, scenario), set()), NARROWEST, check)
    finally:
        profiles.close()
    assert not too_wide


@pytest.mark.backend_independent
def test_reduced_motion_stops_every_animation(app, browser, demo):
    server, scenario = demo
    moving = []

    def check(page, role, path):
        durations = page.evaluate(
            """() => [...document.querySelectorAll('*')].flatMap((el) => {
                const s = getComputedStyle(el);
                return [s.transitionDuration, s.animationDuration]
                  .flatMap((d) => d.split(',').map(parseFloat));
            })"""
        )
        if max(durations) > 0.001:
            moving.append((role, path, max(durations)))

    pages = [p for p in once(discover(app, scenario), set()) if p.role == "participant"]
    profiles = Profiles(browser, server.url, "de-DE", "light", reduced_motion="reduce")
    try:
        profiles.visit(pages, PHONE, check)
    finally:
        profiles.close()
    assert not moving


def focus_is_visible(page) -> bool:
    """The focused element shows an outline or a ring (WCAG 2.4.7)."""
    return page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                || (s.boxShadow && s.boxShadow !== 'none');
        }"""
    )


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching selector has the focus, checking focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            assert focus_is_visible(page), selector
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_log_in_move_a_card_write_a_check_in(app, browser, demo):
    server, scenario = demo
    expedition_id = scenario.expedition
    context = new_context(browser, DESKTOP)
    page = context.new_page()
    page.goto(f"{server.url}/login")

    tab_to(page, "input[name=email]")
    page.keyboard.type(LOGINS["participant"])
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")

    tab_to(page, f"a[href='/expeditions/{expedition_id}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    tab_to(page, f"nav a[href='/expeditions/{expedition_id}/board']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")

    tab_to(page, ".card .card-move")
    card_id = int(page.evaluate("document.activeElement.closest('.card').id.split('-')[1]"))
    with app.app_context():
        before = db.session.get(Card, card_id).column
    page.keyboard.press("Enter")
    page.locator("#move-sheet").wait_for()
    page.keyboard.press("ArrowDown")
    target = page.evaluate("document.activeElement.value")
    assert target != before
    tab_to(page, "#move-sheet button[type=submit]")
    page.keyboard.press("Enter")
    wait_for(lambda: column_of(app, card_id) == target)

    tab_to(page, f"nav a[href='/expeditions/{expedition_id}/logbook']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    tab_to(page, "textarea[name=done]")
    page.keyboard.type("Mit der Tastatur eingetragen")
    tab_to(page, "form[action$='/logbook'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    with app.app_context():
        assert db.session.query(CheckIn).filter_by(done="Mit der Tastatur eingetragen").count() == 1
    screenshot(page, "a11y-keyboard-logbook")
    context.close()


def column_of(app, card_id: int) -> str:
    with app.app_context():
        return db.session.get(Card, card_id).column
