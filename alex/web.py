"""Rendering helpers shared by all areas: page-or-fragment, HTMX answers, versioned static URLs,
redirects."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, make_response, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_time
from flask_htmx import make_response as htmx_make_response
from werkzeug.routing import IntegerConverter

from alex.assets import content_hash, twin_name
from alex.extensions import htmx


def wants_fragment() -> bool:
    """An HTMX request that swaps a part of the page (boosted and history-restore get the page)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    page: str,
    fragment: str | None = None,
    status: int = 200,
    *,
    trigger: str | dict | None = None,
    **context: Any,
) -> Response:
    """Render the full page, or only its fragment for an HTMX swap; the page includes the fragment.

    One URL serves both, so caches must key on HX-Request. `trigger` as in `htmx_response`.
    """
    template = fragment if fragment and wants_fragment() else page
    return htmx_response(template, status, trigger=trigger, **context)


def render_fragment(fragment: str, status: int = 200, **context: Any) -> Response:
    """Render a partial template on its own, e.g. the answer to an HTMX form post."""
    response = make_response(render_template(fragment, **context), status)
    response.vary.add("HX-Request")
    return response


def htmx_response(
    template: str,
    status: int = 200,
    *,
    trigger: str | dict | None = None,
    reswap: str | None = None,
    **context: Any,
) -> Response:
    """The answer to an HTMX request: a partial, with its events (HX-Trigger) and swap style.

    `trigger={"announce": text}` has static/js/app.js read the text out through the live
    region; reswap="none" for answers that only swap out of band.
    """
    response = htmx_make_response(
        render_template(template, **context), status, trigger=trigger, reswap=reswap
    )
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


class IdSlot:
    """Stands for an id when a URL is built once and filled in per item (`url_pattern`)."""

    MARK = "__id__"


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: a positive id that the database can hold."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_url(self, value: Any) -> str:
        return IdSlot.MARK if value is IdSlot else super().to_url(value)


def url_pattern(endpoint: str, slot: str, **values: Any) -> tuple[str, str]:
    """url_for with one id left open, as the text before and after it.

    For pages that link a thousand cards: `f"{before}{card_id}{after}"` costs nothing, where
    url_for per card cost more than the rest of the card. The router builds it, so the URL
    stays right when a route changes.
    """
    url = url_for(endpoint, **values, **{slot: IdSlot})
    before, _, after = url.partition(IdSlot.MARK)
    return before, after


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
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        format_date=format_date, format_datetime=format_datetime, format_time=format_time
    )
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
            # Pages are personal: never stored by shared caches. Written as text where the view
            # set nothing (nearly always: parsing and writing the header object twice costs more).
            if "Cache-Control" in response.headers:
                response.cache_control.private = True
                response.cache_control.no_cache = True
            else:
                response.headers["Cache-Control"] = "private, no-cache"
        return response
