"""Minified twins of our CSS/JS: built at install, served where they match their source exactly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import rcssmin
import rjsmin

from alex import assets, web

ROOT = Path(__file__).resolve().parents[2]
CSS = "/* the page's colours */\n:root {\n  --ink: #1b1b1b;\n}\n\nbody {\n  color: var(--ink);\n}\n"
JS = "// says hello\nfunction hello(name) {\n  return 'Hallo ' + name;\n}\n"


@pytest.fixture
def static(tmp_path: Path) -> Path:
    (tmp_path / "css").mkdir()
    (tmp_path / "js").mkdir()
    (tmp_path / "vendor").mkdir()
    (tmp_path / "css" / "app.css").write_text(CSS)
    (tmp_path / "js" / "app.js").write_text(JS)
    (tmp_path / "vendor" / "lib.js").write_text(JS)
    return tmp_path


@pytest.fixture
def fresh_static_urls():
    """static_url keeps each URL for the process; these tests change the files under it."""
    web._static_urls.clear()
    yield
    web._static_urls.clear()


def _twins(static: Path) -> list[str]:
    return sorted(p.relative_to(static).as_posix() for p in (static / "min").rglob("*.*"))


def test_each_own_css_and_js_file_gets_a_minified_twin_named_by_its_content(static):
    written = assets.build_minified(static)
    css_hash = assets.content_hash(static / "css" / "app.css")
    js_hash = assets.content_hash(static / "js" / "app.js")
    assert _twins(static) == [f"min/css/app.{css_hash}.css", f"min/js/app.{js_hash}.js"]
    assert len(written) == 2  # vendor/ files are the upstream's builds: left alone
    css = (static / f"min/css/app.{css_hash}.css").read_text()
    assert css == ":root{--ink:#1b1b1b}body{color:var(--ink)}"
    assert "says hello" not in (static / f"min/js/app.{js_hash}.js").read_text()
    assert assets.build_minified(static) == []  # nothing to do a second time


def test_a_changed_source_gets_a_new_twin_and_the_old_one_goes(static):
    assets.build_minified(static)
    (static / "css" / "app.css").write_text(CSS.replace("#1b1b1b", "#0b3d91"))
    assets.build_minified(static)
    twins = [t for t in _twins(static) if t.startswith("min/css/")]
    assert twins == [f"min/css/app.{assets.content_hash(static / 'css' / 'app.css')}.css"]
    assert "#0b3d91" in (static / twins[0]).read_text()


def test_static_url_serves_the_twin_only_while_it_matches_the_source(
    app, static, fresh_static_urls, monkeypatch
):
    monkeypatch.setattr(app, "static_folder", str(static))
    source = static / "css" / "app.css"
    with app.test_request_context():
        version = assets.content_hash(source)
        assert web.static_url("css/app.css") == f"/static/css/app.css?v={version}"
        assets.build_minified(static)
        web._static_urls.clear()
        assert web.static_url("css/app.css") == f"/static/min/css/app.{version}.css?v={version}"
        # Edited after the build: the source itself until the next build, never the old twin.
        source.write_text(CSS + "main { margin: 0 }\n")
        web._static_urls.clear()
        changed = assets.content_hash(source)
        assert web.static_url("css/app.css") == f"/static/css/app.css?v={changed}"


def test_pages_link_the_twins_and_the_twins_are_the_minified_sources(
    app, client, tmp_path, fresh_static_urls, monkeypatch
):
    # A copy of the real static folder: this test must not race others over static/min/.
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("min"))
    monkeypatch.setattr(app, "static_folder", str(static))
    assets.build_minified(static)
    page = client.get("/login").get_data(as_text=True)
    linked = re.findall(r'(?:href|src)="(/static/min/[^"]+)"', page)
    assert any("/css/app." in url for url in linked) and any(
        "/js/offline." in url for url in linked
    )
    for url in linked:
        served = client.get(url.replace("&amp;", "&"))
        name = re.match(r"/static/min/(\w+)/([\w-]+)\.[0-9a-f]{10}(\.\w+)\?v=", url)
        assert served.status_code == 200, url
        source = (static / name[1] / (name[2] + name[3])).read_text()
        minify = rcssmin.cssmin if name[3] == ".css" else rjsmin.jsmin
        assert served.get_data(as_text=True) == minify(source)
        assert len(served.data) < len(source.encode())
        served.close()
