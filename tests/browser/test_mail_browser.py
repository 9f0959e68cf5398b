"""Mails as a phone shows them: the HTML part opened in Chromium at 390 px, and the reset pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alex.extensions import db
from alex.mail import compose
from tests.support.browser import PHONE, new_context

pytestmark = pytest.mark.browser

README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BASE_URL": "https://alex.example.org", "MAIL_FROM": "ALEx <a@x.org>"}


def _html(app, template: str, context: dict, locale: str) -> str:
    with app.app_context():
        message = compose(
            template=template,
            context=context,
            to_email="ada@example.org",
            to_name="Ada Lorenz",
            locale=locale,
            message_id="<shot@alex.example.org>",
        )
        db.session.rollback()
    return message.get_body(("html",)).get_content()


MAILS = {
    "password_reset": {
        "link": "/password/reset/Xq3v9Lk2Rz8mWc4pT7yB1nH6sD0fJ5gA",
        "recipient_name": "Ada Lorenz",
    },
    "email_change": {
        "link": "/account/email/confirm/Xq3v9Lk2Rz8mWc4pT7yB1nH6sD0fJ5gAxx",
        "new_email": "ada.lorenz-neu@verwaltung.example.org",
        "recipient_name": "Ada Lorenz",
    },
    "email_change_notice": {
        "new_email": "ada.lorenz-neu@verwaltung.example.org",
        "account_link": "/account",
        "recipient_name": "Ada Lorenz",
    },
    "password_reset_sso": {"login_link": "/login", "recipient_name": "Ada Lorenz"},
    "invitation": {
        "inviter": "Mona Moderation",
        "title": "Digitale Verwaltung 2027",
        "description": "Sechs Sprints, ein Zirkel, viele Vorhaben.",
        "start": "2027-01-11",
        "end": "2027-06-28",
        "sprint_count": 6,
        "sprint_weeks": 4,
        "valid_until": "2026-12-21",
        "link": "/invite/abc123",
    },
}


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("template", sorted(MAILS))
def test_mail_is_readable_at_390_px(app, browser, template, locale):
    html = _html(app, template, MAILS[template], locale)
    ctx = new_context(browser, PHONE, java_script_enabled=False)
    page = ctx.new_page()
    page.set_content(html)
    # Nothing wider than the phone: no sideways scrolling, the long link wraps.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("h1").count() == 1
    assert page.locator("img").count() == 0
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 16
    if (
        template == "password_reset"
        and locale == "de"
        and os.environ.get("ALEX_UPDATE_SCREENSHOTS")
    ):
        page.screenshot(
            path=str(README_SCREENSHOTS / "mail-password-reset-phone.png"),
            clip={"x": 0, "y": 0, "width": 390, "height": 720},
        )
    ctx.close()


def test_forgot_password_page_on_a_phone(browser, live_server):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Passwort vergessen?").click()
    page.get_by_label("E-Mail-Adresse").fill("ada@example.org")
    page.get_by_role("button", name="Link schicken").click()
    assert page.get_by_role("heading", name="Schau in dein Postfach").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ctx.close()
