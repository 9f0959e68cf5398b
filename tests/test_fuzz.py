"""Property-based fuzzing of every POST route and every URL parameter: never a 500, nothing stored half.

The POST routes come from the URL map; each route's fields from the form classes its view builds,
the names it reads from request.form, and the forms the crawl of every GET page finds (with their
real values). A new route or field is fuzzed without a line here. `make soak` runs this with
--hypothesis-profile=soak.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask_wtf import FlaskForm
from hypothesis import given
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from tests.ops.forms import Form, discover_forms, get_paths
from tests.support.scene import (
    build_scene,
    client_for,
    fast_hashes,
    row_counts,
    rules,
    token_for,
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
    # The fuzzer logs in and posts far faster than a person, with wrong passwords too; throttling
    # and the wait after failed checks are tested elsewhere.
    return {**app_config, "RATELIMIT_ENABLED": False, "LOCKOUT_THRESHOLD": 10**6}


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


def _assert_sound(app, response, before, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        assert row_counts(app) == before, f"{what}: {response.status_code} but rows changed"


# Numbers no form may answer with a 500: beyond 32 and 64 bits, negative, not numbers at all.
NUMBERS = [
    "100000000000000000000",
    "-100000000000000000000",
    "2147483648",
    "9223372036854775808",
    "-1",
    "0",
    "1e3",
    "0x10",
    "\u0661\u0662",  # Arabic-Indic digits: int() takes them
    " 7 ",
    "",
    "abc",
]
WORST_NUMBERS = ["100000000000000000000", "-1", "100000000000000000000:1", "abc"]
# Routes that take away what later routes work on run last (the scene is built once per test).
DESTRUCTIVE = ("delete", "remove", "revoke", "clear")


def _crawled_forms(app, scene) -> dict[str, tuple[str, Form]]:
    """endpoint → (visitor who sees it, the form with its real values), from every GET page."""
    paths = get_paths(app, scene)
    seen: dict[str, tuple[str, Form]] = {}
    for visitor in ("anonymous", "owner", "facilitator"):
        client = client_for(app, scene, visitor)
        for action, form in discover_forms(client, paths).items():
            endpoint = _endpoint(app, action)
            if endpoint:
                seen.setdefault(endpoint, (visitor, form))
    return seen


def _form_classes(app: Flask, endpoint: str) -> set[type]:
    """Form classes the view builds, directly or in a helper function of its module."""
    view = inspect.unwrap(app.view_functions[endpoint])
    module = sys.modules[view.__module__]
    names = set(view.__code__.co_names)
    for name in list(names):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            names |= set(helper.__code__.co_names)
    namespaces = [module, *(v for v in vars(module).values() if inspect.ismodule(v))]
    found = [getattr(namespace, name, None) for namespace in namespaces for name in names]
    return {f for f in found if isinstance(f, type) and issubclass(f, FlaskForm)}


def _read_by_hand(app: Flask, endpoint: str) -> set[str]:
    """Names the view reads from request.form itself, past its form."""
    view = inspect.unwrap(app.view_functions[endpoint])
    return set(re.findall(r"request\.form(?:\.get\(|\[)\s*\"(\w+)\"", inspect.getsource(view)))


def _declared_fields(app: Flask, endpoint: str) -> set[str]:
    """Field names of the view's forms (inherited ones too) and what it reads by hand."""
    fields: set[str] = _read_by_hand(app, endpoint)
    for form_class in _form_classes(app, endpoint):
        for klass in form_class.__mro__:
            fields |= {name for name, v in vars(klass).items() if isinstance(v, UnboundField)}
    return fields - {"csrf_token"}


def _post_routes(app: Flask, scene) -> list[tuple[str, str]]:
    """(endpoint, URL with the scene's ids) of every POST route, the destructive ones last."""
    routes = [
        (endpoint, scene.url(app, rule))
        for endpoint, method, rule in rules(app)
        if method == "POST" and endpoint not in SESSION_ENDING
    ]
    return sorted(routes, key=lambda route: (any(w in route[0] for w in DESTRUCTIVE), route[0]))


def _visitor_for(endpoint: str, path: str, crawled: dict) -> str:
    """Who posts: whoever was shown the form; else the owner of the scene's things."""
    if endpoint in crawled:
        return crawled[endpoint][0]
    return "owner" if path.startswith(("/expeditions/", "/notifications/")) else "facilitator"


def test_every_post_route_survives_fuzzed_fields(app, scene):
    """Every POST route of the URL map, every field its forms declare or its page shows."""
    crawled = _crawled_forms(app, scene)
    # The crawl really found the forms (a broken crawler would make this test pass vacuously).
    assert {"auth.login_post", "auth.update_profile", "expeditions.create_invite"} <= set(crawled)
    routes = _post_routes(app, scene)
    assert len(routes) >= 40
    assert "version" in _declared_fields(app, "boards.move_card")  # the forms are found
    assert "card" in _declared_fields(app, "boards.advance_card")  # and what views read by hand
    clients: dict[str, tuple] = {}
    for endpoint, path in routes:
        visitor = _visitor_for(endpoint, path, crawled)
        if visitor not in clients:
            client = client_for(app, scene, visitor)
            clients[visitor] = (client, token_for(client, visitor))
        client, token = clients[visitor]
        form = crawled.get(endpoint, (visitor, Form(path)))[1]
        names = sorted((set(form.types) - {"csrf_token"}) | _declared_fields(app, endpoint))
        _fuzz_fields(app, client, token, f"POST {path} as {visitor}", path, form, names)


def _fuzz_fields(app, client, token, what, path, form: Form, names: list[str]) -> None:
    """Every number of NUMBERS in each field (the others real), then hypothesis' mix."""
    real = {name: form.fields.get(name, "") for name in names}

    def post(data: dict, htmx: bool) -> None:
        before = row_counts(app)
        response = client.post(
            path,
            data={**data, "csrf_token": token},
            headers={"HX-Request": "true"} if htmx else {},
        )
        response.close()
        _assert_sound(app, response, before, f"{what} with {data!r}")

    for number in WORST_NUMBERS:
        for name in names:  # one field wrong, the others real: it gets past the first check
            post({**real, name: number}, htmx=False)

    @given(
        values=st.fixed_dictionaries(
            {
                name: st.one_of(st.just(real[name]), VALUE, st.sampled_from(NUMBERS), st.none())
                for name in names
            }
        ),
        htmx=st.booleans(),
    )
    def post_fuzzed(values, htmx):
        post({k: v for k, v in values.items() if v is not None}, htmx)

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
    # /healthz/queue answers 503 by design while no consumer runs (tests/test_queue_consumer.py).
    skipped = {"static", "health.healthz_queue", *SESSION_ENDING}
    routes = [(e, m, r) for e, m, r in rules(app) if e not in skipped]

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
