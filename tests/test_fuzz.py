"""Property-based fuzzing of every form and every URL parameter: never a 500, nothing stored half.

The forms are found by crawling every GET route as each kind of visitor, so a new area's forms
are fuzzed without a line here. `make soak` runs this with --hypothesis-profile=soak.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, url_for
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.forms import Form, discover_forms, get_paths
from tests.support.scene import (
    build_scene,
    client_for,
    fast_hashes,
    row_counts,
    rules,
    token_for,
)

pytestmark = pytest.mark.filterwarnings(
    # Foundation's forms still pass choices as tuples (fixed on its branch).
    "ignore:Passing SelectField choices as tuples:DeprecationWarning"
)

# Forms that end the visitor's own session or membership: fuzzed in their own tests, not here,
# because every later example would then run logged out.
SESSION_ENDING = {"auth.logout", "auth.logout_everywhere", "expeditions.leave"}

NASTY = [
    "",
    " ",
    "\x00",
    "\u202e\u200b",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999999",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "a" * 20_000,
    "ä" * 600,
    "<script>alert(1)</script>",
    "'; DROP TABLE user; --",
    "%s%n%x",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "true",
]
# No lone surrogates: a browser cannot send them and the test client cannot encode them.
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
VALUE = st.one_of(TEXT, st.sampled_from(NASTY), st.integers().map(str))


@pytest.fixture
def app_config(app_config):
    # The fuzzer logs in and posts far faster than a person; throttling is tested elsewhere.
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.fixture
def scene(app, world, monkeypatch):
    fast_hashes(monkeypatch)
    return build_scene(app, world)


def _endpoint(app: Flask, path: str, method: str = "POST") -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.split("?")[0], method=method)
    except Exception:
        return None
    return endpoint


def _fields_strategy(form: Form):
    """Each field: its real value, a fuzzed one, or left out."""
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.just(form.fields.get(name, "")), VALUE, st.none())
            for name in form.types
            if name != "csrf_token"
        }
    )


def _assert_sound(app, response, before, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        assert row_counts(app) == before, f"{what}: {response.status_code} but rows changed"


def _forms_by_visitor(app, scene) -> list[tuple[str, str, Form]]:
    paths = get_paths(app, scene)
    seen: dict[str, tuple[str, Form]] = {}
    for visitor in ("anonymous", "owner", "facilitator"):
        client = client_for(app, scene, visitor)
        for action, form in discover_forms(client, paths).items():
            if _endpoint(app, action) not in SESSION_ENDING:
                seen.setdefault(action, (visitor, form))
    return [(visitor, action, form) for action, (visitor, form) in sorted(seen.items())]


def test_every_form_survives_fuzzed_input(app, scene):
    forms = _forms_by_visitor(app, scene)
    endpoints = {_endpoint(app, action) for _, action, _ in forms}
    # The crawl really found the forms (a broken crawler would make this test pass vacuously).
    assert {"auth.login_post", "auth.update_profile", "expeditions.create_invite"} <= endpoints

    for visitor, action, form in forms:
        client = client_for(app, scene, visitor)
        _fuzz_form(app, client, token_for(client, visitor), visitor, action, form)


def _fuzz_form(app, client, token: str, visitor: str, action: str, form: Form) -> None:
    """Post fuzzed values (plain and HTMX) to one form."""

    @given(values=_fields_strategy(form), htmx=st.booleans())
    def post_fuzzed(values, htmx):
        data = {k: v for k, v in values.items() if v is not None}
        before = row_counts(app)
        response = client.post(
            action,
            data={**data, "csrf_token": token},
            headers={"HX-Request": "true"} if htmx else {},
        )
        _assert_sound(app, response, before, f"POST {action} as {visitor} with {data!r}")

    post_fuzzed()


def _query_names() -> list[str]:
    """Query parameters the app reads (request.args.get("…")), found in its source."""
    source = "\n".join(p.read_text() for p in Path("alex").rglob("*.py"))
    return sorted(set(re.findall(r"request\.args\.get\(\s*\"(\w+)\"", source)) | {"next"})


def test_every_url_parameter_survives_fuzzing(app, scene):
    names = _query_names()
    assert "next" in names
    client = client_for(app, scene, "facilitator")
    token = token_for(client, "facilitator")
    routes = [(e, m, r) for e, m, r in rules(app) if e != "static" and e not in SESSION_ENDING]

    for endpoint, method, rule in routes:
        _fuzz_route(app, client, token, scene, names, endpoint, method, rule)


def _fuzz_route(app, client, token, scene, names, endpoint, method, rule) -> None:
    """Visit one route with fuzzed ids, path values and query parameters."""

    @given(
        ids=st.fixed_dictionaries(
            {
                name: st.one_of(
                    st.integers(min_value=0, max_value=2**80),
                    st.sampled_from([scene.ids.get(name, 1)]),
                )
                if "id" in name
                else st.one_of(TEXT.filter(bool), st.just(str(scene.ids.get(name, "x"))))
                for name in rule.arguments
            }
        ),
        query=st.dictionaries(st.sampled_from(names), VALUE, max_size=3),
    )
    def visit(ids, query):
        with app.test_request_context():
            path = url_for(endpoint, **ids, **query)
        before = row_counts(app)
        if method == "POST":
            response = client.post(path, data={"csrf_token": token})
        else:
            response = client.get(path)
        response.close()
        _assert_sound(app, response, before, f"{method} {path}")

    visit()
