"""The weekly digest as a mail program shows it: its HTML opened in Chromium at 390 px — readable,
no horizontal scrolling, real headings, nothing loaded from elsewhere, axe-clean; and the
notification settings page at phone width."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from alex.demo import DEMO
from alex.demo.build import build_expedition
from alex.extensions import db
from alex.mail import render_parts
from alex.reach.digest import Recipient, digest_contexts
from tests.support.accounts import TEST_PASSWORD, password_hash
from tests.support.browser import (
    PHONE,
    assert_no_axe_violations,
    axe_violations,
    log_in,
    new_context,
    screenshot,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("ALEX_UPDATE_SCREENSHOTS") == "1"


@pytest.fixture
def live_app_config(live_app_config) -> dict:
    return {**live_app_config, "BASE_URL": "https://alex.example.org"}


@pytest.fixture
def demo(app):
    with app.app_context():
        built = build_expedition(db.session, DEMO, date.today(), password_hash())
        db.session.commit()
        return {
            "expedition_id": built.expedition.id,
            "ada_id": built.participants[0].id,
            "ada": built.participants[0].email,
        }


def _digest_html(app, demo, locale: str) -> str:
    now = datetime.now().astimezone() + timedelta(minutes=1)
    with app.test_request_context():
        app.config["ALEX_BASE_URL"] = "https://alex.example.org"
        recipient = Recipient(demo["ada_id"], "Europe/Berlin", (demo["expedition_id"],))
        context = digest_contexts(db.session, [recipient], now)[demo["ada_id"]]
        context |= {
            "unsubscribe_url": "https://alex.example.org/unsubscribe/x",
            "settings_link": "/account/notifications",
            "recipient_name": "Ada",
        }
        _subject, _text, html = render_parts("digest", context, locale)
    return html


@pytest.mark.parametrize("locale", ["de", "en"])
def test_digest_reads_well_at_390_px(app, browser, demo, tmp_path, locale):
    html = _digest_html(app, demo, locale)
    assert "http://" not in html and "<img" not in html and "<script" not in html
    path = tmp_path / "digest.html"
    path.write_text(html, encoding="utf-8")
    context = new_context(browser, PHONE, locale=locale, device_scale_factor=1)
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    headings = page.locator("h1, h2, h3").all_inner_texts()
    assert headings[0] in ("Deine Woche in ALEx", "Your week in ALEx")
    assert any("Lern-Expedition" in h or h for h in headings[1:])
    # A mail program shows the mail inside its own page: landmarks are its business, not the mail's.
    violations = [v for v in axe_violations(page) if v["id"] not in ("landmark-one-main", "region")]
    assert not violations, violations
    shot = screenshot(page, f"digest-phone-{locale}")
    if UPDATE_DOCS and locale == "de":
        shutil.copy(shot, DOCS / "digest-phone.png")
    context.close()


def test_notification_settings_at_phone_width(browser, live_server, demo):
    context = new_context(browser, PHONE)
    page = context.new_page()
    log_in(page, live_server.url, demo["ada"], TEST_PASSWORD)
    page.goto(f"{live_server.url}/account/notifications")
    page.select_option("select[name=kind_kudos]", "email")
    page.click("form[action='/account/notifications'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("select[name=kind_kudos]").input_value() == "email"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_no_axe_violations(page)
    screenshot(page, "notification-settings-phone")
    context.close()
