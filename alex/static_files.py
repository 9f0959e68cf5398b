"""Static files as deployed: WhiteNoise in front of the app, with precompressed twins.

`make install` (`flask alex build-assets`) writes a Brotli and a gzip twin next to every text file
under static/ (alex.assets.build_compressed); WhiteNoise answers from those without compressing
anything per request. A URL with `?v=<content hash>` (alex.web.static_url) names its content: it
is cached for a year and never revalidated. Without `?v=` the browser asks again each time.
nginx in front (deploy/nginx-alex.conf) serves /static/ itself; this keeps `make run` and every
single-process deployment just as small on the wire.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whitenoise import WhiteNoise

FOREVER = "public, max-age=31536000, immutable"
# Headers that only serve downloads, cross-origin fonts or revalidation by date: bytes on every
# first visit. The ETag stays where a browser revalidates (URLs without `v=`); a versioned URL is
# never asked for again, so its ETag would be bytes for nothing.
DROPPED = {"cache-control", "last-modified", "access-control-allow-origin"}
DROPPED_WHEN_VERSIONED = DROPPED | {"etag"}


class StaticFiles(WhiteNoise):
    """WhiteNoise with ALEx's caching rule (the query string's `v=`) and nosniff."""

    def get_static_file(self, path: str, url: str, stat_cache: Any = None) -> Any:
        """A file and its twins, less any twin not made from this very source.

        build-assets gives each twin its source's modification time; a source edited since
        (while working on it with `make dev`) is served as it is, never a stale twin.
        """
        static_file = super().get_static_file(path, url, stat_cache=stat_cache)
        made = os.stat(path).st_mtime
        static_file.alternatives = [
            entry for entry in static_file.alternatives if os.stat(entry[1]).st_mtime == made
        ]
        return static_file

    def serve(self, static_file: Any, environ: dict, start_response: Callable) -> Iterable[bytes]:  # type: ignore[override]
        versioned = any(
            part.startswith("v=") and len(part) > 2
            for part in environ.get("QUERY_STRING", "").split("&")
        )

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            dropped = DROPPED_WHEN_VERSIONED if versioned else DROPPED
            kept = [(name, value) for name, value in headers if name.lower() not in dropped]
            kept.append(("Cache-Control", FOREVER if versioned else "no-cache"))
            kept.append(("X-Content-Type-Options", "nosniff"))
            return start_response(status, kept, exc_info)

        return WhiteNoise.serve(static_file, environ, start)


def wrap(wsgi_app: Callable, static_folder: str | Path, *, autorefresh: bool) -> StaticFiles:
    """The app behind WhiteNoise, which answers /static/ from `static_folder` before Flask sees it.

    With `autorefresh` (the development server) files are looked up on every request, so an
    edited stylesheet shows at once; otherwise they are indexed once at start.
    """
    return StaticFiles(
        wsgi_app,
        root=str(static_folder),
        prefix="/static/",
        autorefresh=autorefresh,
        allow_all_origins=False,
    )
