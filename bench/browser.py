"""The first visit as Chromium sees it: login page, log in, then the board, every byte on the wire.

Service workers are blocked, so every request reaches the server (the worker's precache would
otherwise add its files). Bytes are Chromium's encodedDataLength: headers and compressed bodies,
as they cross the network. Run by `make bench` (row "first_visit_browser") and on its own:

    .venv/bin/python -m bench.browser http://127.0.0.1:5000 [board path]
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

CHROMIUM = os.environ.get("ALEX_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@dataclass
class Visit:
    bytes: int = 0
    requests: int = 0
    urls: list[tuple[str, int]] = field(default_factory=list)


def first_visit(base_url: str, email: str, password: str, board_path: str | None) -> Visit:
    """Bytes and requests of login page → log in → board, in a fresh phone profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            return measure(browser, base_url, email, password, board_path)
        finally:
            browser.close()


def measure(browser, base_url: str, email: str, password: str, board_path: str | None) -> Visit:
    """first_visit in a running Playwright browser."""
    visit = Visit()
    urls: dict[str, str] = {}
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="de-DE",
        service_workers="block",
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")

    def sent(event: dict) -> None:
        # A redirect (the login's 302) never finishes loading: its bytes come with the next hop.
        redirect = event.get("redirectResponse")
        if redirect:
            count(urls.get(event["requestId"], "?"), redirect.get("encodedDataLength", 0))
        urls[event["requestId"]] = event["request"]["url"]

    def count(url: str, size: int) -> None:
        if size > 0:  # 0: answered from the browser's cache, nothing on the wire
            visit.bytes += size
            visit.requests += 1
            visit.urls.append((url, size))

    def finished(event: dict) -> None:
        count(urls.get(event["requestId"], "?"), int(event["encodedDataLength"]))

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    # The board's address, as from a bookmark or a mail: the login page, then straight there.
    start = f"{base_url}/login?next={board_path}" if board_path else f"{base_url}/login"
    page.goto(start, wait_until="networkidle")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    if board_path and not page.url.endswith(board_path):
        page.goto(base_url + board_path, wait_until="networkidle")
    context.close()
    return visit


if __name__ == "__main__":
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    board = sys.argv[2] if len(sys.argv) > 2 else None
    result = first_visit(base, "ada@example.org", "demo-expedition", board)
    for url, size in result.urls:
        print(f"{size:7d}  {url.replace(base, '')}")
    print(f"{result.bytes / 1024:.1f} KB in {result.requests} requests")
