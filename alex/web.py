"""Rendering helpers shared by all areas: page-or-fragment, versioned static URLs, redirects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, make_response, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from alex.assets import content_hash, twin_name
from alex.extensions import htmx


def wants_fragment() -> bool:
    """An HTMX request that swaps a part of the page (boosted and history-restore get the page)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the full page, or only its fragment for an HTMX swap; the page includes the fragment.

    One URL serves both, so caches must key on HX-Request.
    """
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def render_fragment(fragment: str, status: int = 200, **context: Any) -> Response:
    """Render a partial template on its own, e.g. the answer to an HTMX form post."""
    response = make_response(render_template(fragment, **context), status)
    response.vary.add("HX-Request")
    return response


def is_safe_next(target: str | None) -> bool:
    """Only local paths are followed after login: no scheme, no host, no protocol-relative URL."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return False
    # Browsers drop tabs and line breaks and read "\\" as "/": "/\t/evil" becomes "//evil".
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# Ids in URLs fit a 32-bit INTEGER column; larger numbers are a 404, not a database error.
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: a positive id that the database can hold."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(name: str) -> int | None:
    """An id from the query string (e.g. ?template=3), or None when absent or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


_static_urls: dict[tuple[str, str], str] = {}


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so it can be cached forever and replaced on deploy.

    Our own CSS and JavaScript are served as their minified twins where `build-assets` made one
    for this very content (alex.assets). Static files change only with a deploy (a new process),
    so each URL is built once per process and mount point; a page asks for about twenty.
    """
    key = (request.script_root if request else "", filename)
    url = _static_urls.get(key)
    if url is None:
        static = Path(current_app.static_folder or "")
        path = static / filename
        version = content_hash(path) if path.is_file() else "0"
        twin = twin_name(filename, version)
        served = twin if twin and (static / twin).is_file() else filename
        url = _static_urls[key] = url_for("static", filename=served, v=version)
    return url


_CSRF_SLOT = "\x00csrf\x00"
_SHARED_FRAGMENTS_MAX = 4096  # entries per app: languages × the `vary` values in use


def shared_fragment(
    template: str,
    make_context: Callable[[], dict] | None = None,
    vary: tuple = (),
    csrf: bool = False,
    **context: Any,
) -> Markup:
    """A partial that depends on nothing but the language, rendered once per app and language.

    For parts that hold no user data (offline texts and dialog, footer, a blank form, the
    navigation of an expedition): rendering them again for every page was wasted work. The
    caller vouches that the output depends only on the language, the `vary` values and the
    context it passes. `make_context` builds context that costs something (a form) only when
    the partial is rendered; with csrf=True the session's CSRF token is filled in per request.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault("alex_shared_fragments", {})
    key = (template, str(get_locale()), request.script_root if request else "", *vary)
    html = None if app.jinja_env.auto_reload else cache.get(key)  # auto_reload: may change
    if html is None:
        if make_context is not None:
            context = {**make_context(), **context}
        html = render_template(template, **context)
        if csrf:
            html = html.replace(generate_csrf(), _CSRF_SLOT)
        if len(cache) >= _SHARED_FRAGMENTS_MAX:
            cache.clear()
        html = cache[key] = Markup(html)
    return Markup(html.replace(_CSRF_SLOT, generate_csrf())) if csrf else html


def nav_url(endpoint: str, **values: Any) -> str | None:
    """url_for, or None when that area is not installed (navigation shows what exists)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    """Template helpers, and long caching for versioned static files."""
    # Replaces the built-in converter before any blueprint adds its rules.
    app.url_map.converters["int"] = BoundedIntConverter
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["wants_fragment"] = wants_fragment
    app.jinja_env.globals["nav_url"] = nav_url
    app.jinja_env.globals["shared_fragment"] = shared_fragment
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def cache_versioned_static(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v"):
            # The URL names the content: cached for a year and never revalidated. Without
            # removing it, Flask's default "no-cache" made browsers ask again on every page.
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
            # Headers that only serve revalidation or downloads: bytes on every first visit.
            for name in ("Content-Disposition", "Last-Modified", "Accept-Ranges"):
                response.headers.pop(name, None)
        elif request.endpoint != "static":
            # Pages are personal: never stored by shared caches.
            response.cache_control.private = True
            response.cache_control.no_cache = True
        return response
