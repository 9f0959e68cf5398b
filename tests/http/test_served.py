"""What a browser gets over HTTP as served: precompressed static files, compressed pages, and a
favicon on every full page (the print view too)."""

from __future__ import annotations

import re
from pathlib import Path

from alex import static_files
from alex.web import static_url

ROOT = Path(__file__).resolve().parents[2]


def test_static_files_answer_from_their_twins_with_the_caching_rule(app, client):
    with app.test_request_context():
        url = static_url("vendor/htmx-2.0.11/htmx.min.js")
    twin = ROOT / "static" / "vendor" / "htmx-2.0.11" / "htmx.min.js.br"
    assert twin.is_file(), "run `make install` (build-assets writes the compressed twins)"
    response = client.get(url, headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    assert response.get_data() == twin.read_bytes()
    assert response.headers["Cache-Control"] == static_files.FOREVER
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Last-Modified" not in response.headers
    assert "Access-Control-Allow-Origin" not in response.headers
    response.close()


def test_pages_are_compressed_where_it_pays(actor, zirkel):
    ada = actor(zirkel["owner"])
    expedition = zirkel["expedition"]
    board = ada.get(f"/expeditions/{expedition.id}/board", headers={"Accept-Encoding": "br"})
    assert board.headers["Content-Encoding"] == "br"
    plain = ada.get(f"/expeditions/{expedition.id}/board")
    assert "Content-Encoding" not in plain.headers
    assert len(board.get_data()) * 3 < len(plain.get_data())
    # A fragment under 1 KB stays as it is: the bytes saved would not make a packet.
    small = ada.get("/healthz", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in small.headers


def test_the_print_view_names_a_favicon_that_exists(actor, zirkel):
    """Without a link the browser asks for /favicon.ico, which answers 404."""
    ada = actor(zirkel["owner"])
    html = ada.get(f"/expeditions/{zirkel['expedition'].id}/report/print")
    assert html.status_code == 200
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html.get_data(as_text=True))
    assert icon, "no favicon link"
    answer = ada.get(icon.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200
    answer.close()
