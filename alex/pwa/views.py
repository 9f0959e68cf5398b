"""Service worker, web app manifest and offline page, all served from the root scope."""

from __future__ import annotations

import json

import rjsmin
from flask import Blueprint, Flask, Response, make_response, render_template, request
from flask_login import current_user

from alex.pwa import service
from alex.web import nav_url, static_url

bp = Blueprint("pwa", __name__)


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest, so browsers offer to install ALEx."""
    body = json.dumps(service.web_app_manifest(), ensure_ascii=False, separators=(",", ":"))
    response = make_response(body)
    response.mimetype = "application/manifest+json"
    response.vary.add("Accept-Language")
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker; from the root so its scope is the whole app, never cached stale."""
    body = render_template(
        "pwa/sw.js",
        version=service.cache_version(),
        precache=service.precache_urls(),
        offline_url=service.precache_urls()[-1],
        queueable=service.QUEUEABLE_POSTS,
        user_header=service.USER_HEADER,
        max_age_days=service.OFFLINE_COPY_MAX_AGE_DAYS,
        notification_icon=static_url("icons/icon-192.png"),
        push_renew_url=nav_url("push.renew") or "",
    )
    response = make_response(_minified(body))
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    return response


def _minified(script: str) -> str:
    """The worker without comments and blanks: every first visit downloads it (a third less)."""
    return rjsmin.jsmin(script)


@bp.get("/offline")
def offline() -> Response:
    """The page for addresses never opened on this device; precached, so it holds nothing personal."""
    return make_response(render_template("pwa/offline.html"))


def init_app(app: Flask) -> None:
    """Tag each personal page with its user's cache key, so the service worker files it per user."""

    @app.after_request
    def tag_user_pages(response: Response) -> Response:
        if (
            request.method == "GET"
            and response.status_code == 200  # not the 204 of an unchanged poll: no user lookup
            and response.mimetype == "text/html"
            and request.endpoint != "pwa.offline"
            and current_user
            and current_user.is_authenticated
        ):
            response.headers[service.USER_HEADER] = service.user_cache_key(current_user.id)
        return response
