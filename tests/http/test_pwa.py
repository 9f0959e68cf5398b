"""PWA plumbing through HTTP: manifest, service worker, offline page, per-user cache keys, legal pages."""

from __future__ import annotations

import json
import re
import struct

import pytest

from alex.pwa import service
from alex.pwa.service import QUEUEABLE_POSTS, USER_HEADER


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_installable_json_in_german_by_default(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert "Accept-Language" in response.headers["Vary"]
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "ALEx – Agile Lern-Expeditionen"
    assert manifest["short_name"] == "ALEx"
    assert manifest["lang"] == "de"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["theme_color"] and manifest["background_color"]
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert purposes == {(s, p) for s in ("192x192", "512x512") for p in ("any", "maskable")}
    for image in manifest["icons"] + manifest["screenshots"]:
        with client.get(image["src"]) as served:
            assert served.status_code == 200, image["src"]
            assert served.mimetype == "image/png"
            assert "x".join(map(str, _png_size(served.data))) == image["sizes"]
    assert {s["form_factor"] for s in manifest["screenshots"]} == {"narrow", "wide"}


def test_manifest_follows_the_browser_language(client):
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"}).get_json(
        force=True
    )
    assert manifest["lang"] == "en"
    assert manifest["name"] == "ALEx – Agile learning expeditions"


def test_service_worker_is_served_from_the_root_never_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "max-age=0" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    version = re.search(r'const VERSION\s*=\s*"([0-9a-f]{12})"', script).group(1)
    precache = json.loads(re.search(r"const PRECACHE\s*=\s*(\[.*?\]);", script).group(1))
    assert "/offline" in precache
    for url in precache:
        with client.get(url) as served:
            assert served.status_code == 200, url
    # Every precached static URL carries its content hash, so a changed file gets a new URL.
    assert all(re.search(r"\?v=[0-9a-f]{10}$", u) for u in precache if u.startswith("/static/"))
    assert version == service._tree_hash(client.application.static_folder)


def test_cache_version_changes_when_a_static_file_changes(tmp_path):
    (tmp_path / "app.css").write_text("body { color: red }")
    before = service._tree_hash(str(tmp_path))
    (tmp_path / "app.css").write_text("body { color: blue }")
    service._tree_hash.cache_clear()
    assert service._tree_hash(str(tmp_path)) != before
    (tmp_path / "new.js").write_text("")
    service._tree_hash.cache_clear()
    assert service._tree_hash(str(tmp_path)) not in {before}


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/expeditions/3/cards/42/move", "move"),
        ("/expeditions/3/logbook", "checkin"),
        ("/expeditions/3/checkins", "checkin"),
        ("/expeditions/3/cards/42", None),
        ("/expeditions/3/cards/42/move/extra", None),
        ("/logout", None),
        ("/expeditions/3/settings", None),
    ],
)
def test_only_moves_and_check_ins_are_queued_offline(path, kind):
    matches = [k for k, pattern in QUEUEABLE_POSTS.items() if re.search(pattern, path)]
    assert matches == ([kind] if kind else [])


def test_offline_page_holds_nothing_personal(actor, world):
    ada = world.user("Ada Lorenz")
    response = actor(ada).get("/offline")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Du bist offline" in page
    assert "Ada" not in page
    assert "csrf" not in page.lower() and "X-CSRFToken" not in page
    assert USER_HEADER not in response.headers


def test_personal_pages_carry_a_per_user_cache_key(actor, world, client):
    ada, ben = world.user("Ada Lorenz"), world.user("Ben Okafor")
    key_ada = actor(ada).get("/").headers.get(USER_HEADER)
    key_ben = actor(ben).get("/").headers.get(USER_HEADER)
    assert key_ada and key_ben and key_ada != key_ben
    assert actor(ada).get("/privacy").headers.get(USER_HEADER) == key_ada
    assert USER_HEADER not in client.get("/login").headers
    # Fragments and JSON are not pages: the worker never files them as a page.
    assert USER_HEADER not in actor(ada).get("/manifest.webmanifest").headers


def test_logout_tells_the_browser_to_drop_caches_and_storage(actor, world):
    response = actor(world.user()).post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


@pytest.mark.parametrize("who", ["anonymous", "member"])
@pytest.mark.parametrize(
    ("path", "needles"),
    [
        (
            "/accessibility",
            [
                "Erklärung zur Barrierefreiheit",
                "teilweise mit den Anforderungen der BITV 2.0 vereinbar",
                "Was noch nicht barrierefrei ist",
                "Barrieren melden",
                "Durchsetzungsverfahren",
                "Schlichtungsstelle nach § 16 BGG",
                "info@schlichtungsstelle-bgg.de",
            ],
        ),
        (
            "/privacy",
            [
                "Datenschutzhinweise",
                "Keine Dritten",
                "Was gespeichert wird",
                "Wie lange",
                "Art. 15",
            ],
        ),
    ],
)
def test_legal_pages_are_public_and_complete(client, actor, world, who, path, needles):
    requester = client if who == "anonymous" else actor(world.user()).client
    response = requester.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for needle in needles:
        assert needle in page
    assert f'href="{path}"' in page  # linked from the footer on every page


def test_legal_pages_in_english(client):
    page = client.get("/accessibility", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Accessibility statement" in page and "Enforcement procedure" in page


def test_legal_pages_name_the_configured_contact(app_config):
    from alex import create_app

    app = create_app(
        {**app_config, "OPERATOR": "Stadt Musterstadt", "CONTACT_EMAIL": "a11y@musterstadt.de"}
    )
    page = app.test_client().get("/accessibility").get_data(as_text=True)
    assert "Stadt Musterstadt möchte, dass alle ALEx nutzen können" in page
    assert 'href="mailto:a11y@musterstadt.de"' in page


def test_legal_pages_answer_htmx_with_the_page(client):
    response = client.get("/privacy", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "Datenschutzhinweise" in response.get_data(as_text=True)


def test_every_page_links_the_manifest_and_the_offline_script(client, actor):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    # The minified twin (static/min/) once make install has built it, else the source.
    assert re.search(
        r'<script src="/static/(min/)?js/offline(\.[0-9a-f]{10})?\.js\?v=[0-9a-f]+" defer>', page
    )
    # A visitor can queue nothing: no queue status, texts or conflict dialog on the login page.
    assert 'id="offline-status"' not in page and 'id="offline-texts"' not in page
    account = actor().client.get("/account").get_data(as_text=True)
    assert 'id="offline-status"' in account and 'role="status"' in account
    assert 'id="offline-texts"' in account and 'id="offline-conflict"' in account
