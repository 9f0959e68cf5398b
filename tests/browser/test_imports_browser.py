"""Import into my board in a browser: the upload form and the mapping/preview page at 390 and
1280 px — axe-clean, no horizontal scrolling — and the import landing on the board."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.accounts import TEST_PASSWORD, make_cast
from tests.support.browser import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    log_in,
    new_context,
    screenshot,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("ALEX_UPDATE_SCREENSHOTS") == "1"
TRELLO = ROOT / "tests" / "fixtures" / "imports" / "trello.json"


@pytest.fixture
def live_app_config(live_app_config: dict, tmp_path) -> dict:
    """Previews in a folder of this test's own (not the shared instance folder)."""
    return {**live_app_config, "IMPORT_FOLDER": str(tmp_path / "imports")}


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_upload_map_preview_and_import(live_server, browser, world, viewport, name):
    cast = make_cast(world)
    context = new_context(browser, viewport)
    page = context.new_page()
    log_in(page, live_server.url, cast.ada.email, TEST_PASSWORD)
    page.goto(f"{live_server.url}/expeditions/{cast.expedition.id}/board")
    page.get_by_role("link", name="Board importieren").click()
    page.wait_for_load_state("networkidle")
    assert_no_axe_violations(page)
    # A file that is no board export: the reason beside the field, and nothing imported.
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "board.zip", "mimeType": "application/zip", "buffer": b"PK\x03\x04zip"}],
    )
    page.get_by_role("button", name="Datei lesen und Vorschau zeigen").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#file-error")).to_contain_text("ALEx entpackt keine Archive.")
    assert page.get_attribute("input[name=file]", "aria-describedby") == "file-hint file-error"
    assert_no_axe_violations(page)
    screenshot(page, f"import-upload-refused-{name}")
    page.set_input_files("input[name=file]", str(TRELLO))
    page.get_by_role("button", name="Datei lesen und Vorschau zeigen").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="„Digitale Akte“ importieren").is_visible()
    page.select_option("select[name=list_1]", "sprint")
    page.check("input[name=share_2]")
    page.get_by_role("button", name="Vorschau aktualisieren").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#import-summary")).to_contain_text("1 für den Zirkel sichtbar")
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot = screenshot(page, f"import-preview-{name}")
    if UPDATE_DOCS:
        shutil.copy(shot, DOCS / f"import-preview-{name}.png")
    page.get_by_role("button", name="4 Karten importieren").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#flashes")).to_contain_text("4 Karten sind jetzt auf deinem Board.")
    context.close()
