"""What the service worker needs to know: the precache list, its version, per-user cache keys."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from pathlib import Path

from flask import current_app, url_for

from alex.web import static_url

# Fetched on install, so every page opens offline with its styles, icons and scripts. Area files
# (boards.css, Sortable…) are cached on first use instead, which keeps the first visit small.
PRECACHE_STATIC = (
    "css/app.css",
    "js/app.js",
    "js/offline.js",
    "vendor/htmx-2.0.11/htmx.min.js",
    "icons/sprite.svg",
    "icons/favicon.svg",
)
# Writes that may wait for the network: card moves (the sheet, drag and drop and the one-tap "→"
# all post to a card's move URL, see static/js/board.js), new cards and Logbuch check-ins.
# Regular expressions on the path; the service worker queues a matching POST that finds no network.
QUEUEABLE_POSTS = {
    "move": r"^/expeditions/\d+/cards/\d+/move$",
    "card": r"^/expeditions/\d+/cards$",
    "checkin": r"^/expeditions/\d+/(logbook|checkins)(/new)?$",
}
USER_HEADER = "X-Alex-User"
# A page kept for offline reading is shown for at most this long after it was saved: older
# copies could show what a person may no longer see.
OFFLINE_COPY_MAX_AGE_DAYS = 14


def precache_urls() -> list[str]:
    """Versioned URLs of the precached files plus the offline page."""
    return [static_url(path) for path in PRECACHE_STATIC] + [url_for("pwa.offline")]


def cache_version() -> str:
    """A short hash of every static file: each deploy that changes one gets a fresh cache."""
    return _tree_hash(current_app.static_folder or "")


@cache
def _tree_hash(folder: str) -> str:
    """Hash of names and contents below a folder, computed once per process (files ship with it)."""
    digest = hashlib.sha256()
    static = Path(folder)
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        digest.update(path.relative_to(static).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def user_cache_key(user_id: int) -> str:
    """An opaque per-user key that names this user's page cache in the browser.

    Keyed with the secret so it reveals nothing and cannot be guessed for another account.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"page-cache:{user_id}".encode(), hashlib.sha256).hexdigest()[:20]


def web_app_manifest() -> dict:
    """The web app manifest in the request's language (German unless the browser prefers English)."""
    from flask_babel import get_locale
    from flask_babel import gettext as _

    icons = [
        {
            "src": static_url(f"icons/{name}-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }
        for name, purpose in (("icon", "any"), ("icon-maskable", "maskable"))
        for size in (192, 512)
    ]
    screenshots = [
        {
            "src": static_url(f"pwa/screenshot-{form_factor}.png"),
            "sizes": sizes,
            "type": "image/png",
            "form_factor": form_factor,
            "label": label,
        }
        for form_factor, sizes, label in (
            ("narrow", "390x844", _("Your expeditions on a phone")),
            ("wide", "1280x800", _("Your expeditions on a desktop")),
        )
    ]
    return {
        "id": "/",
        "name": _("ALEx – Agile learning expeditions"),
        "short_name": "ALEx",
        "description": _("Your learning expedition: board, logbook, circle meetings and progress."),
        "lang": str(get_locale() or "de"),
        "dir": "ltr",
        "start_url": url_for("expeditions.home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": "#1f5fa8",
        "background_color": "#f6f7f9",
        "categories": ["education", "productivity"],
        "icons": icons,
        "screenshots": screenshots,
    }
