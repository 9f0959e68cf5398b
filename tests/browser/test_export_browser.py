"""The Lernbericht in a real browser: choice of content, PDF progress, accessibility, looks."""

from __future__ import annotations

import pytest

from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_report_page_choice_and_pdf(browser, live_server, sample, viewport):
    ctx = new_context(browser, viewport, accept_downloads=True)
    page = ctx.new_page()
    log_in(page, live_server.url, sample.participant.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{sample.expedition_id}/report")
    assert page.locator("h1").inner_text() == "Mein Lernbericht"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_no_axe_violations(page)
    name = "phone" if viewport == PHONE else "desktop"
    screenshot(page, f"report-{name}")

    # Unticking a section saves at once (htmx) and the preview follows.
    assert page.locator("#lernbericht").get_by_text("Aus dem Logbuch").count() == 1
    page.uncheck("#section-checkins")
    page.wait_for_selector("text=Deine Auswahl ist gespeichert.")
    assert page.locator("#lernbericht").get_by_text("Aus dem Logbuch").count() == 0
    assert page.locator("#announcer").inner_text() == "Deine Auswahl ist gespeichert."
    assert_no_axe_violations(page)

    # The PDF button shows progress, then downloads the file and says so (slow on a busy machine).
    with page.expect_download(timeout=60_000) as download_info:
        page.click("[data-pdf-download]")
        page.wait_for_selector("#pdf-progress.htmx-request", state="attached", timeout=5000)
    assert download_info.value.suggested_filename.startswith("Lernbericht-Sabine-Hoffmann")
    page.wait_for_selector("text=Das PDF ist fertig.", timeout=30_000)
    ctx.close()


def test_pdf_failure_shows_a_message(browser, live_server, sample, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr("alex.exports.pdf.render_pdf", broken)
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, sample.participant.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{sample.expedition_id}/report")
    page.click("[data-pdf-download]")
    status = page.locator("#pdf-status")
    status.get_by_text("Das PDF konnte nicht erstellt werden").wait_for()
    assert page.locator("#pdf-progress.htmx-request").count() == 0
    ctx.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_reflection_summary_and_delete_pages_are_accessible(browser, live_server, sample, viewport):
    ctx = new_context(browser, viewport)
    page = ctx.new_page()
    log_in(page, live_server.url, sample.facilitator.email, TEST_PASSWORD)
    name = "phone" if viewport == PHONE else "desktop"
    for path, shot in (
        (f"/expeditions/{sample.expedition_id}/summary", "summary"),
        (f"/expeditions/{sample.expedition_id}/reflection", "reflection"),
        ("/account/delete", "delete-account"),
        (f"/expeditions/{sample.expedition_id}/report/print", "report-print"),
    ):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
        assert_no_axe_violations(page)
        screenshot(page, f"{shot}-{name}")
    ctx.close()


def test_final_reflection_in_the_browser(browser, live_server, sample):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    log_in(page, live_server.url, sample.peers[0].email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{sample.expedition_id}/reflection")
    page.fill("textarea[name=learned]", "Kleine Experimente wirken.")
    page.check("input[name=release_to_summary]")
    page.click("#reflection-form button[type=submit]")
    page.wait_for_selector("text=Deine Reflexion ist gespeichert.")
    assert page.locator("textarea[name=learned]").input_value() == "Kleine Experimente wirken."
    assert_no_axe_violations(page)
    screenshot(page, "reflection-saved-phone")
    ctx.close()
