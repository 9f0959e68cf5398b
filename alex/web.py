"""Rendering helpers shared by all areas: page-or-fragment, versioned static URLs, redirects."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, make_response, render_template, request, url_for
from flask_babel import format_date, format_datetime
from werkzeug.routing import IntegerConverter

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
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


@cache
def _file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so it can be cached forever and replaced on deploy."""
    path = Path(current_app.static_folder or "") / filename
    version = _file_hash(str(path)) if path.is_file() else "0"
    return url_for("static", filename=filename, v=version)


def nav_url(endpoint: str, **values: Any) -> str | None:
    """url_for, or None when that area is not installed (navigation shows what exists)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


class DatabaseIntConverter(IntegerConverter):
    """<int:…> that fits a database INTEGER: a larger id is a 404, not an overflow (500)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Template helpers, bounded int URLs, and long caching for versioned static files."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["wants_fragment"] = wants_fragment
    app.jinja_env.globals["nav_url"] = nav_url
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def cache_versioned_static(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v"):
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
        elif request.endpoint != "static":
            # Pages are personal: never stored by shared caches.
            response.cache_control.private = True
            response.cache_control.no_cache = True
        return response
