"""A corpus of XSS payloads in every text field comes back escaped on every page and fragment.

Forms and pages are found by crawling the URL map as each kind of visitor, so a new area's
fields and pages are covered without a line here.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from tests.ops.forms import crawl, discover_forms, get_paths
from tests.support.scene import build_scene, client_for, fast_hashes, token_for
from tests.test_fuzz import SESSION_ENDING, _endpoint

pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning"
)

# Short enough to pass the length limits of names and titles, so they are stored and shown.
PAYLOADS = [
    "<script>alert('x1')</script>",
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)' x='",
    "<svg/onload=alert(4)>",
    "</textarea><b>x5</b>",
    '<a href="javascript:alert(6)">x6</a>',
    "[x7](javascript:alert(7))",
    "{{ 7*191 }}",
]
# Text that must never reach the page as markup. Escaped, each of them reads differently.
DANGEROUS = [p for p in PAYLOADS if any(c in p for c in "<\"'")]
SHOWN_AS_TEXT = ("text/html", "text/markdown")
EVALUATED = re.compile(r"(?<![\d.:])1337(?!\d)")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": False}


def assert_escaped(body: str, where: str) -> None:
    for payload in DANGEROUS:
        assert payload not in body, f"{where} shows {payload!r} unescaped"
    lowered = body.lower()
    assert 'href="javascript:' not in lowered, f"{where} links to javascript:"
    # 7*191 standing alone: the digits also turn up inside timestamps' microseconds.
    assert not EVALUATED.search(body), f"{where} evaluated a template expression"


def test_xss_payloads_in_every_text_field_are_escaped_everywhere(app, world, monkeypatch):
    fast_hashes(monkeypatch)
    scene = build_scene(app, world)
    paths = get_paths(app, scene)
    stored_in = []

    for visitor in ("owner", "facilitator"):
        client = client_for(app, scene, visitor)
        token = token_for(client, visitor)
        for action, form in discover_forms(client, paths).items():
            if _endpoint(app, action) in SESSION_ENDING | {"auth.change_password"}:
                continue
            for index, field in enumerate(form.text_fields()):
                payload = PAYLOADS[index % len(PAYLOADS)]
                data = {**form.fields, field: payload, "csrf_token": token}
                for htmx in (False, True):
                    headers = {"HX-Request": "true"} if htmx else {}
                    response = client.post(action, data=data, headers=headers)
                    assert response.status_code < 500, f"POST {action} {field}"
                    if response.mimetype in SHOWN_AS_TEXT:
                        assert_escaped(response.get_data(as_text=True), f"POST {action} {field}")
                    stored_in.append((action, field, response.status_code))

    assert len(stored_in) >= 10  # the crawl found the forms
    shown = 0
    for visitor in ("member", "owner", "facilitator"):
        client = client_for(app, scene, visitor)
        for htmx in (False, True):
            for path, body in crawl(client, paths, htmx=htmx).items():
                assert_escaped(body, f"GET {path} as {visitor}{' (htmx)' if htmx else ''}")
                shown += any(str(escape(p)) in body for p in DANGEROUS)
    assert shown, "no payload was stored and shown anywhere: the test would prove nothing"
