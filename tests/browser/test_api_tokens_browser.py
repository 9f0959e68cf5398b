"""API tokens in a real browser: make one, copy it with the button (no inline script), use it."""

import urllib.request

from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)


def test_make_a_token_copy_it_and_read_the_api_with_it(browser, live_server, world):
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        email = f"api-{name}@example.org"
        world.user("Ada Lorenz", email)
        ctx = new_context(browser, viewport, permissions=["clipboard-read", "clipboard-write"])
        page = ctx.new_page()
        log_in(page, live_server.url, email, TEST_PASSWORD)
        page.goto(f"{live_server.url}/account")
        page.click("text=API-Zugänge verwalten")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == "API-Zugänge"
        assert_no_axe_violations(page)

        page.fill("input[name=name]", "Kalender-Skript")
        page.select_option("select[name=days]", "30")
        page.click("button:has-text('Token erstellen')")
        page.wait_for_load_state("networkidle")
        secret = page.locator("#new-token").input_value()
        assert secret.startswith("alex_pat_")
        page.click("button[data-copy='#new-token']")
        page.wait_for_function(
            "document.querySelector('[data-copy]').textContent.includes('Kopiert')"
        )
        assert page.evaluate("navigator.clipboard.readText()") == secret
        assert_no_axe_violations(page)
        screenshot(page, f"api-tokens-{name}")
        if viewport == PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

        request = urllib.request.Request(
            f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200
        page.reload()
        assert secret not in page.content()
        assert "zuletzt benutzt" in page.content()
        ctx.close()
