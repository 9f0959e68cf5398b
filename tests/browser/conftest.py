"""Real-browser fixtures: the app served on a loopback port, Debian's Chromium driven by Playwright.

Every test here is marked `browser` (make test-fast skips them). The server runs in a thread of
the test process on the same migrated database the other tests use; each test starts empty.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from alex import create_app
from alex.extensions import db

CHROMIUM = os.environ.get("ALEX_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


class LiveServer:
    """The app on 127.0.0.1:<free port> in a background thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app_config(app_config: dict) -> dict:
    """Config of the served app; login throttling stays on, as in production."""
    return dict(app_config)


@pytest.fixture
def live_server(app, live_app_config) -> Iterator[LiveServer]:
    """A running server on the (emptied) test database."""
    served = create_app(live_app_config)
    server = LiveServer(served)
    server.start()
    yield server
    server.stop()
    with served.app_context():
        db.engine.dispose()  # close pooled connections now, not at interpreter exit


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)"
        )
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


def new_context(browser, viewport: dict = DESKTOP, locale: str = "de-DE", **kwargs):
    """A fresh browser profile (cookies, storage) at a viewport."""
    options = {"viewport": viewport, "locale": locale, **kwargs}
    if viewport == PHONE:
        options.setdefault("is_mobile", True)
        options.setdefault("has_touch", True)
        options.setdefault("device_scale_factor", 2)
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


def log_in(page, base_url: str, email: str, password: str) -> None:
    """Log in through the real form and wait for the landing page."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def axe_violations(page, context_selector: str | None = None) -> list[dict]:
    """Run axe-core (WCAG 2.1 A/AA rules) in the page; return the violations."""
    # Evaluated through the DevTools protocol, which the page's CSP (rightly) does not block.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text() + "\n;undefined")
    result = page.evaluate(
        """async (selector) => {
            const r = await axe.run(selector || document, {
              runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }""",
        context_selector,
    )
    return result


def assert_no_axe_violations(page, context_selector: str | None = None) -> None:
    violations = axe_violations(page, context_selector)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (looked at by people, not asserted)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
