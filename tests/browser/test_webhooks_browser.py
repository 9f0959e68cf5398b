"""The webhook settings page in Chromium: registering one through the real form shows its secret
once, the list shows each webhook's state and last deliveries in words; phone and desktop, axe-clean,
no horizontal scrolling at 390 px."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alex.db import utcnow
from alex.demo import DEMO
from alex.demo.build import build_expedition
from alex.extensions import db
from alex.webhooks.models import Webhook, WebhookDelivery
from tests.support.accounts import TEST_PASSWORD, password_hash
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)


@pytest.fixture
def demo(app):
    with app.app_context():
        built = build_expedition(db.session, DEMO, date.today(), password_hash())
        expedition_id = built.expedition.id
        broken = Webhook(
            expedition_id=expedition_id,
            url="https://matrix-bridge.example.org/hooks/zirkel-rathaus",
            events=["meeting.scheduled", "meeting.moved", "support.requested"],
            secret="whsec_c2NyZWVuc2hvdA==",
            enabled=False,
            disabled_reason="failures",
            failures=10,
        )
        db.session.add(broken)
        db.session.flush()
        now = utcnow()
        db.session.add_all(
            [
                WebhookDelivery(
                    webhook_id=broken.id,
                    event="meeting.moved",
                    message_id=f"msg_{i}",
                    attempted_at=now - timedelta(minutes=10 * i),
                    status_code=status,
                    ok=status == 200,
                    error=""
                    if status == 200
                    else ("HTTP 502" if status else "TimeoutError: timed out"),
                )
                for i, status in enumerate((502, None, 200))
            ]
        )
        db.session.commit()
        return {"expedition_id": expedition_id, "facilitator": built.facilitator.email}


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_registering_a_webhook_shows_its_secret_once(browser, live_server, demo, viewport, name):
    context = new_context(browser, viewport)
    page = context.new_page()
    log_in(page, live_server.url, demo["facilitator"], TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{demo['expedition_id']}/settings")
    page.click("text=Webhooks: anderen Diensten Bescheid sagen")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Webhooks"
    assert page.locator("text=Aus: immer wieder gescheitert").count() == 1
    page.fill("input[name=url]", "https://93.184.216.34/alex")
    page.uncheck("input[value='support.requested']")
    page.click("form[action$='/webhooks'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    secret = page.locator("#webhook-secret").input_value()
    assert secret.startswith("whsec_")
    page.locator("details summary").first.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_no_axe_violations(page)
    screenshot(page, f"webhooks-{name}")
    page.goto(f"{live_server.url}/expeditions/{demo['expedition_id']}/webhooks")
    assert page.locator("#webhook-secret").count() == 0
    assert secret not in page.content()
    context.close()
