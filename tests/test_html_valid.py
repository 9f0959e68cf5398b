"""Every page of the walk is valid HTML by the Nu HTML Checker (vnu.jar, run on the system's Java).

`make test` installs vnu.jar from npm into .tools/. The checker's only allowed complaint is about
htmx's own `hx-*` attributes (we accept them; `data-hx-*` would avoid them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.page_walk import WTFORMS_TUPLE_CHOICES, seed_scenario, walk
from tests.support.accounts import csrf_token

VNU_JAR = Path(__file__).resolve().parents[1] / ".tools/node_modules/vnu-jar/build/dist/vnu.jar"
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element")

# Java and the checker are outside the Python venv, like Chromium for the browser tests.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.backend_independent,
    pytest.mark.filterwarnings(WTFORMS_TUPLE_CHOICES),
]


def vnu_errors(files: list[Path]) -> list[str]:
    """Errors the Nu HTML Checker reports for the given files, htmx's attributes aside."""
    if not VNU_JAR.exists() or not shutil.which("java"):
        pytest.fail(f"{VNU_JAR} or java missing: run `make test` (it installs vnu-jar from npm)")
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" and not HTMX_ATTRIBUTE.match(m["message"])
    ]


def test_every_page_is_valid_html(app, tmp_path):
    """Every page of the generated walk (tests/page_walk.py), in German and English."""
    scenario = seed_scenario(app)
    files = []
    for pages in walk(app, scenario):
        for page in pages:
            english = scenario.clients[page.role].get(page.path, headers={"Accept-Language": "en"})
            assert english.status_code in (200, 404), (page.role, page.path, english.status_code)
            for language, html in (("de", page.html), ("en", english.get_data(as_text=True))):
                name = f"{len(files)}-{page.role}-{language}{page.path}-{page.state}"
                path = tmp_path / (re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".html")
                path.write_text(html)
                files.append(path)
    assert len(files) > 200  # the walk found the pages (the demo has far more)
    # States: a form with errors, the service worker's offline page.
    anonymous = app.test_client()
    failed = anonymous.post(
        "/login",
        data={"email": "nobody@example.org", "password": "x", "csrf_token": csrf_token(anonymous)},
    )
    assert failed.status_code == 422
    (tmp_path / "login-error.html").write_text(failed.get_data(as_text=True))
    files.append(tmp_path / "login-error.html")

    errors = vnu_errors(files)
    assert not errors, "\n".join(errors)


def test_the_checker_finds_errors(tmp_path):
    """The check itself can fail: a broken page is reported."""
    broken = tmp_path / "broken.html"
    broken.write_text('<!doctype html><html lang="de"><title>x</title><p><div>x</p><img src=x>')
    errors = vnu_errors([broken])
    assert any("alt" in e for e in errors)
