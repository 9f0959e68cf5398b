"""alex.caching: the revision cache and the shared-fragment cache with its guards."""

from __future__ import annotations

import pytest
from flask_login import login_user
from jinja2 import ChoiceLoader, DictLoader

from alex.auth.models import User
from alex.caching import FragmentLeak, RevisionCache, fragment
from alex.expeditions.models import Expedition
from alex.extensions import db

TEMPLATES = {
    "t/plain.html": "<p>{{ _('Board') }}: {{ label }} {{ count }}</p>",
    "t/form.html": '<form><input name="csrf_token" value="{{ csrf_token() }}"></form>',
    "t/user.html": "<p>{{ current_user.name }}</p>",
    "t/session.html": "<p>{{ session.get('x') }}</p>",
    "t/slots.html": '<a id="k-{{ target_id }}" href="{{ action }}">{{ label }}</a>',
    "t/macro.html": '{% from "t/m.html" import token %}{{ token() }}',
    "t/m.html": "{% macro token() %}{{ csrf_token() }}{% endmacro %}",
}


@pytest.fixture
def rendering(app):
    """A request context on an app that knows the test templates (cached as in production)."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    app.jinja_env.auto_reload = False
    with app.test_request_context("/"):
        yield app


def test_revision_cache_reloads_on_a_new_revision_and_never_goes_back():
    cache = RevisionCache(max_cards=100)
    loads = []

    def load(value):
        def loader():
            loads.append(value)
            return value

        return loader

    assert cache.get_or_load(("b",), 1, load("one"), size=lambda _: 1) == "one"
    assert cache.get_or_load(("b",), 1, load("again"), size=lambda _: 1) == "one"
    assert cache.get_or_load(("b",), 2, load("two"), size=lambda _: 1) == "two"
    # An older revision (a request that read before the change) is served but not kept.
    assert cache.get_or_load(("b",), 1, load("old"), size=lambda _: 1) == "old"
    assert cache.get_or_load(("b",), 2, load("x"), size=lambda _: 1) == "two"
    assert loads == ["one", "two", "old"]


def test_revision_cache_is_bounded_by_size():
    cache = RevisionCache(max_cards=10)
    for key in range(5):
        cache.get_or_load((key,), 1, lambda: "v", size=lambda _: 4)
    assert len(cache._entries) == 2


def test_a_fragment_renders_once_per_context_and_language(rendering):
    calls = []
    original = rendering.jinja_env.get_template

    def counting(name, *args, **kwargs):
        calls.append(name)
        return original(name, *args, **kwargs)

    rendering.jinja_env.get_template = counting
    first = fragment("t/plain.html", label="Ideen", count=3)
    again = fragment("t/plain.html", label="Ideen", count=3)
    other = fragment("t/plain.html", label="Ideen", count=4)
    assert first == again and "3" in first and "4" in other
    assert calls.count("t/plain.html") == 2


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(lambda: Expedition(title="x"), id="a model"),
        pytest.param(lambda: User(name="Ada"), id="the user"),
        pytest.param(lambda: {"nested": [object()]}, id="an object in a dict"),
    ],
)
def test_a_fragment_takes_only_plain_values(rendering, value):
    with pytest.raises(FragmentLeak, match="not a plain value"):
        fragment("t/plain.html", label=value(), count=1)


def test_a_fragment_may_not_read_the_user_or_the_session(rendering):
    with pytest.raises(FragmentLeak, match="current_user"):
        fragment("t/user.html")
    with pytest.raises(FragmentLeak, match="session"):
        fragment("t/session.html")


def test_the_csrf_token_is_filled_in_per_session_never_cached(app):
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    app.jinja_env.auto_reload = False
    outputs = []
    for _ in range(2):  # two sessions: two tokens, one cached entry
        with app.test_request_context("/"):
            from flask_wtf.csrf import generate_csrf

            html = fragment("t/form.html", csrf=True)
            assert generate_csrf() in html
            outputs.append(html)
    assert outputs[0] != outputs[1]
    cached = app.extensions["alex_fragments"]
    assert all("\x00csrf\x00" in html for html in cached.values())


def test_a_token_without_csrf_true_is_refused(rendering):
    with pytest.raises(FragmentLeak, match="csrf_token"):
        fragment("t/form.html")
    # A macro imported without context calls the real global: the output check catches it.
    with pytest.raises(FragmentLeak, match="CSRF token"):
        fragment("t/macro.html")


def test_the_users_address_in_the_output_is_refused(app, world):
    ada = world.user("Ada Lorenz", "ada@example.org")  # written before the (GET) request
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    with app.test_request_context("/"):
        login_user(db.session.merge(ada, load=False))
        with pytest.raises(FragmentLeak, match="e-mail"):
            fragment("t/plain.html", label="ada@example.org", count=1)


def test_slots_are_filled_in_and_escaped_per_call(rendering):
    first = fragment("t/slots.html", slots={"target_id": 7, "action": "/a?x=1&y=2"}, label="L")
    second = fragment("t/slots.html", slots={"target_id": 8, "action": "/b"}, label="L")
    assert first == '<a id="k-7" href="/a?x=1&amp;y=2">L</a>'
    assert second == '<a id="k-8" href="/b">L</a>'
    assert len(rendering.extensions["alex_fragments"]) == 1


def test_zirkel_figures_are_keyed_by_the_cache_epoch(world, session):
    """A restore raises the epoch: figures cached before it are never met again."""
    from sqlalchemy import select

    from alex.expeditions.models import Membership
    from alex.progress.service import zirkel_view

    ada = world.user("Ada Lorenz")
    expedition = world.expedition(ada)
    cache = RevisionCache()
    loaded = session.get(Expedition, expedition.id)
    viewer = session.scalar(select(Membership).where(Membership.expedition_id == expedition.id))
    first = zirkel_view(session, loaded, viewer, figures_cache=cache)
    again = zirkel_view(session, loaded, viewer, figures_cache=cache)
    assert len(cache._entries) == 1
    loaded.cache_epoch += 1  # what a restore writes
    after_restore = zirkel_view(session, loaded, viewer, figures_cache=cache)
    assert len(cache._entries) == 2
    assert first.members == again.members == after_restore.members
