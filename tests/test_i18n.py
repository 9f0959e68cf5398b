"""Every message the UI shows has a German translation (English is the source language)."""

import pytest
from babel.messages.pofile import read_po

from alex.i18n import AREAS, catalog_dir, extract_messages


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a or "core")
def test_german_catalog_is_complete(area):
    used = extract_messages(area)
    po_path = catalog_dir(area) / "de" / "LC_MESSAGES" / "messages.po"
    if not used:
        return
    assert po_path.exists(), f"no German catalog for {area or 'core'}: run make translations"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    translated = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated.add(message.id if isinstance(message.id, str) else message.id[0])
    missing = sorted(m for m in used if m not in translated)
    assert not missing, f"German translations missing in {po_path}: {missing}"


def test_german_and_english_pages(client):
    german = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(
        as_text=True
    )
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="de">' in german and "Anmelden" in german
    assert '<html lang="en">' in english and "Log in" in english
