"""The per-process caches that keep pages fast, in one place (docs/PERFORMANCE.md lists them all).

- `RevisionCache`: data loaded at a revision the database keeps (a board's cards, the Zirkel
  figures), reused until the revision moves. Keys carry the expedition's cache epoch, which a
  restore from a backup raises, because a restore takes revisions back.
- `fragment()`: a partial that is the same for everyone who passes the same plain values,
  rendered once per language; the session's CSRF token and named slots are filled in per call.
  It refuses what would hand one person's value to everyone.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

# About 35 MB per worker at most: rows of the boards most recently looked at.
CACHED_CARDS_MAX = 20_000


class RevisionCache:
    """The newest loaded revision of each key, least recently used first out.

    Keyed by what was loaded (a board: epoch, expedition, owner, membership, shared-only) with
    its revision beside: a newer revision replaces the older one, so a key that changes often
    holds one entry. Bounded by the entries' total size (cards, for boards).
    """

    def __init__(self, max_cards: int = CACHED_CARDS_MAX):
        self.max_cards = max_cards
        self._entries: OrderedDict[tuple, tuple[int, object, int]] = OrderedDict()
        self._cards = 0
        self._lock = threading.Lock()  # gunicorn's threads share a worker's cache

    def get_or_load(
        self, key: tuple, revision: int, load: Callable[[], object], size: Callable
    ) -> object:
        """The entry for `key` at `revision`, loaded (and kept) when there is none."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == revision:
                self._entries.move_to_end(key)
                return found[1]
        value = load()
        cards = size(value)
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] < revision:  # never replace a newer one
                if found is not None:
                    self._cards -= found[2]
                self._entries[key] = (revision, value, cards)
                self._entries.move_to_end(key)
                self._cards += cards
            while self._cards > self.max_cards and len(self._entries) > 1:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._cards -= dropped
        return value


def revision_cache(name: str) -> RevisionCache:
    """The app's revision cache of that name (one per app, shared by a worker's threads)."""
    return current_app.extensions.setdefault(f"alex_{name}", RevisionCache())


class FragmentLeak(RuntimeError):
    """A shared fragment would carry one person's value (a token, a user) to everyone."""


_CSRF_MARK = "\x00csrf\x00"
_FRAGMENTS_MAX = 4096  # entries per app: languages × the context values in use
_PLAIN = (str, int, float, bool, type(None), date, datetime)


def _slot_mark(name: str) -> str:
    return f"\x00slot:{name}\x00"


def _frozen(name: str, value: Any) -> Any:
    """The value as a hashable key part; anything but plain values is refused.

    A shared fragment takes the few values it shows, never a whole object (a membership, the
    user, a form): those carry per-person data the fragment might one day read.
    """
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, tuple | list | frozenset):
        return tuple(_frozen(name, item) for item in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(name, v)) for k, v in value.items()))
    if (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and not hasattr(value, "_sa_instance_state")
    ):
        fields = dataclasses.fields(value)
        return (type(value), tuple(_frozen(name, getattr(value, f.name)) for f in fields))
    raise FragmentLeak(
        f"shared fragment: {name}={type(value).__name__} is not a plain value; "
        "pass the few values the fragment shows"
    )


class _Refused:
    """Stands for a per-person value (the user, the session) while a shared fragment renders."""

    def __init__(self, name: str):
        self._name = name

    def _refuse(self, *_args, **_kwargs):
        raise FragmentLeak(f"a shared fragment may not read {self._name}: it is per person")

    __getattr__ = __call__ = __str__ = __html__ = __iter__ = __bool__ = _refuse
    __getitem__ = __contains__ = __len__ = _refuse


def _check_output(html: str, csrf: bool) -> None:
    """The rendered text holds neither the session's CSRF token nor the user's address.

    Both are unguessable or unique, so a match is never a coincidence. (Names are not checked:
    a person called like a column heading would make every page fail.)
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token and token in html:
        raise FragmentLeak("the session's CSRF token would be cached for everyone")
    user = current_user._get_current_object() if current_user else None
    email = getattr(user, "email", None) if getattr(user, "is_authenticated", False) else None
    if email and (email in html or str(escape(email)) in html):
        raise FragmentLeak("the user's e-mail address would be cached for everyone")


def fragment(
    template: str,
    *,
    csrf: bool = False,
    slots: Mapping[str, Any] | None = None,
    make_context: Callable[[], dict] | None = None,
    **context: Any,
) -> Markup:
    """A partial rendered once per app, language and context, and reused for everyone.

    For parts that hold no one's data (offline texts, footer, navigation, a blank form, a
    Rückenwind box). The context is the key: only plain values (str, numbers, dates, tuples,
    dicts and frozen dataclasses of them). `make_context` adds context that costs something and
    is the same for everyone (a blank form), built only when the partial renders. With
    csrf=True the template's `csrf_token()` is filled in per call with the session's token;
    `slots` are per-call values (an id, a URL) the template prints where it names them.

    Raises FragmentLeak when the template reads `current_user` or the session, calls
    `csrf_token()` without csrf=True, or its output holds the session's token or the user's
    address: those would be served to everyone.
    """
    slots = slots or {}
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault("alex_fragments", {})
    key = (
        template,
        str(get_locale()),
        request.script_root if request else "",
        csrf,
        tuple(sorted(slots)),
        tuple(sorted((name, _frozen(name, value)) for name, value in context.items())),
    )
    html = None if app.jinja_env.auto_reload else cache.get(key)  # auto_reload: may change
    if html is None:
        extra = make_context() if make_context is not None else {}
        html = render_template(
            template,
            **extra,
            **context,
            **{name: Markup(_slot_mark(name)) for name in slots},
            current_user=_Refused("current_user"),
            session=_Refused("session"),
            csrf_token=(lambda: Markup(_CSRF_MARK)) if csrf else _Refused("csrf_token()"),
        )
        _check_output(html, csrf)
        if len(cache) >= _FRAGMENTS_MAX:
            cache.clear()
        html = cache[key] = html
    if csrf:
        html = html.replace(_CSRF_MARK, generate_csrf())
    for name, value in slots.items():
        html = html.replace(_slot_mark(name), str(escape(value)))
    return Markup(html)


def init_app(app: Flask) -> None:
    """Templates call `shared_fragment(…)`."""
    app.jinja_env.globals["shared_fragment"] = fragment
