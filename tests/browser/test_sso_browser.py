"""Single sign-on in a real browser through the real provider's pages: login, then logout there too."""

from __future__ import annotations

import socket
import threading

import pytest
from werkzeug.serving import make_server

from alex import create_app
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    new_context,
    screenshot,
)
from tests.support.oidc import CLIENT_ID, CLIENT_SECRET, OpenIdProvider, random_account_id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sso_sites(app, app_config, tmp_path):
    """Serve ALEx on a port the provider knows as its redirect target, with the provider;
    sso_sites(**settings) -> (base URL, provider)."""
    running = []

    def serve(**settings) -> tuple[str, OpenIdProvider]:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        folder = tmp_path / str(port)
        folder.mkdir()
        provider = OpenIdProvider.start(folder, f"{base}/login/oidc/callback", f"{base}/login")
        served = create_app(
            {
                **app_config,
                "OIDC_ISSUER": provider.issuer,
                "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_NAME": "Landesportal-Konto",
                **settings,
            }
        )
        server = make_server("127.0.0.1", port, served, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread, provider, served))
        return base, provider

    yield serve
    for server, thread, provider, served in running:
        server.shutdown()
        thread.join(5)
        provider.stop()
        with served.app_context():
            db.engine.dispose()


def _person(provider: OpenIdProvider) -> str:
    person = random_account_id()
    provider.set_account(
        person,
        email=f"{person}@amt.example",
        email_verified=True,
        name="Ada Lorenz",
        locale="de-DE",
    )
    return person


def _through_the_provider(page, provider: OpenIdProvider, person: str) -> None:
    """The provider's own login and consent pages, as a person fills them in."""
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.fill("input[name=login]", person)
    page.fill("input[name=password]", "whatever the provider wants")
    page.click("button[type=submit]")
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.click("button:has-text('Continue')")  # the consent page


def test_sign_in_and_out_through_the_provider(browser, sso_sites):
    base, provider = sso_sites()
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        person = _person(provider)
        ctx = new_context(browser, viewport)
        page = ctx.new_page()
        page.goto(f"{base}/login")
        button = page.get_by_role("button", name="Mit dem Konto deiner Organisation anmelden")
        assert button.is_visible()
        assert_no_axe_violations(page)
        screenshot(page, f"sso-login-{name}")
        if viewport == PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

        button.click()  # off to the provider (the page's CSP lets the form's redirect go there)
        _through_the_provider(page, provider, person)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/account")
        assert "Anmeldung über deine Organisation" in page.content()
        assert page.locator("input[name=new_password]").count() == 0
        screenshot(page, f"sso-account-{name}")

        page.locator("form[data-logout] button").first.click()
        page.wait_for_url(f"{provider.issuer}/session/end**")  # the provider asks: sign out?
        page.click("button[value=yes]")
        page.wait_for_url(f"{base}/login**", timeout=20_000)
        assert "Du bist abgemeldet" in page.content()
        page.goto(f"{base}/account")
        assert page.url.startswith(f"{base}/login")
        # Signed out at the provider as well: the button leads to its login form again.
        page.get_by_role("button", name="Mit dem Konto deiner Organisation anmelden").click()
        page.wait_for_url(f"{provider.issuer}/interaction/**")
        assert page.locator("input[name=login]").is_visible()
        ctx.close()


def test_link_an_existing_account_and_the_login_page_without_local_login(browser, sso_sites, world):
    base, provider = sso_sites(LOCAL_LOGIN=False)
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        person = _person(provider)
        world.user("Ada Lorenz", f"{person}@amt.example")
        ctx = new_context(browser, viewport)
        page = ctx.new_page()
        page.goto(f"{base}/login")
        assert not page.locator("input[name=password]").is_visible()  # folded away
        assert_no_axe_violations(page)
        screenshot(page, f"sso-login-local-off-{name}")
        page.get_by_role("button", name="Mit dem Konto deiner Organisation anmelden").click()
        _through_the_provider(page, provider, person)
        page.wait_for_url(f"{base}/login/oidc/link")
        assert page.locator("h1").inner_text() == "Konto verknüpfen"
        assert_no_axe_violations(page)
        screenshot(page, f"sso-link-{name}")
        if viewport == PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button:has-text('Verknüpfen und anmelden')")
        page.wait_for_url(f"{base}/")
        assert "jetzt mit Landesportal-Konto verknüpft" in page.content()
        ctx.close()
