"""Driving Debian's Chromium with Playwright: viewports, contexts, logging in, axe, screenshots."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = os.environ.get("ALEX_CHROMIUM", "/usr/bin/chromium")
AXE_JS = (
    Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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
