"""Real-browser fixtures: the app served on a loopback port, Debian's Chromium driven by Playwright.

Every test here is marked `browser` (make test-fast skips them). The server runs in a thread of
the test process on the same migrated database the other tests use; each test starts empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from alex import create_app
from alex.extensions import db
from tests.support.browser import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    LiveServer,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)

# Re-exported: some test modules import these helpers from here.
__all__ = [
    "DESKTOP",
    "PHONE",
    "LiveServer",
    "assert_no_axe_violations",
    "log_in",
    "new_context",
    "screenshot",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


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


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
