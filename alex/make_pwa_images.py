"""Draw the app icons and the manifest screenshots with headless Chromium (Playwright).

    .venv/bin/python -m alex.make_pwa_images    writes static/icons/icon*.png, static/pwa/*.png

The PNGs are committed; run this again after the logo or the home page changes. Icons come from
our SVG mark; screenshots from the demo expedition on a throw-away database.
"""

from __future__ import annotations

import tempfile
import threading
from datetime import date
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "static" / "icons"
SCREENSHOTS = ROOT / "static" / "pwa"
CHROMIUM = "/usr/bin/chromium"
ACCENT = "#1f5fa8"
# The compass of favicon.svg, drawn on a 64-unit grid around (32, 32).
MARK = (
    '<circle cx="32" cy="32" r="18" fill="none" stroke="#fff" stroke-width="4"/>'
    '<path d="M40 24l-5 11-11 5 5-11z" fill="#fff"/>'
)


def icon_svg(maskable: bool) -> str:
    """The plain icon is the rounded favicon; the maskable one bleeds to the edge, mark in the safe zone."""
    if maskable:
        # Launchers cut up to a circle of 80 % diameter: the mark keeps to the middle 60 %.
        body = f'<rect width="64" height="64" fill="{ACCENT}"/><g transform="translate(32 32) scale(0.75) translate(-32 -32)">{MARK}</g>'
    else:
        body = f'<rect width="64" height="64" rx="14" fill="{ACCENT}"/>{MARK}'
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">{body}</svg>'


def draw_icons(browser) -> None:
    """Render each icon at the sizes Chromium asks for (192 and 512)."""
    for name, maskable in (("icon", False), ("icon-maskable", True)):
        for size in (192, 512):
            page = browser.new_page(viewport={"width": size, "height": size})
            html = (
                "<style>html,body{margin:0;background:transparent}svg{display:block;width:100vw;height:100vh}</style>"
                + icon_svg(maskable)
            )
            page.set_content(html)
            page.screenshot(path=str(ICONS / f"{name}-{size}.png"), omit_background=True)
            page.close()


def draw_screenshots(browser) -> None:
    """The demo participant's home page at phone and desktop size."""
    from alex import create_app
    from alex.demo import DEMO_PASSWORD, PARTICIPANTS, seed_demo
    from alex.extensions import db
    from alex.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screens.sqlite3"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "screenshots", "TESTING": True})
        with app.app_context():
            seed_demo(db.session, date.today())
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            for form_factor, viewport in (
                ("narrow", {"width": 390, "height": 844}),
                ("wide", {"width": 1280, "height": 800}),
            ):
                context = browser.new_context(viewport=viewport, locale="de-DE")
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("input[name=email]", PARTICIPANTS[0][0])
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("form[action='/login'] button[type=submit]")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(SCREENSHOTS / f"screenshot-{form_factor}.png"))
                context.close()
        finally:
            server.shutdown()


def main() -> None:
    """Draw everything."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        draw_icons(browser)
        draw_screenshots(browser)
        browser.close()


if __name__ == "__main__":
    main()
