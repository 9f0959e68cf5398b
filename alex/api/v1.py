"""The read-only JSON API, version 1: what a person sees in the app, for their own programs.

Only `Authorization: Bearer <token>` authenticates here; a session cookie never does, so a
page cannot be made to call the API on a visitor's behalf (no CSRF surface; CORS stays off).
Every id goes through the loaders the pages use (`get_membership_or_404` and friends), so the
answers are the pages' answers: a non-member, the instance's operator included, gets 404.
Shapes: `alex/api/present.py`, described in `alex/api/openapi.json`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

from flask import Blueprint, Response, abort, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from alex import notifications
from alex.api import present, service
from alex.boards.service import load_board
from alex.db import separate_write, utcnow
from alex.errors import MESSAGES, Refused
from alex.expeditions.access import (
    get_expedition_member_or_404,
    get_membership_or_404,
    membership_access,
)
from alex.expeditions.service import members, memberships_of_user
from alex.extensions import db, limiter, login_manager
from alex.meetings.models import Meeting
from alex.meetings.state import meeting_list, record_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.openapi"}  # the description is the same for everyone
PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 200
PROBLEM = "application/problem+json"


class InvalidParameter(BadRequest):
    """A query parameter out of range; its description tells the client what fits."""


def _rate_limit() -> str:
    return current_app.config["ALEX_API_RATE_LIMIT"]


def _rate_key() -> str:
    """Per presented token (its hash: no database needed), else per address."""
    return g.get("api_rate_key") or f"api-ip:{request.remote_addr}"


# Every route of the blueprint, per token (checked before the view, after authentication).
limiter.limit(_rate_limit, key_func=_rate_key)(bp)


def authenticate_bearer() -> Response | None:
    """For API requests, before every other hook: the token's person, or nobody.

    Runs first so that no other hook (the expedition guard, the limiter, the locale) reads
    the visitor from the session cookie. A member whom an access guard holds back (an
    expedition requires a second factor the token's login session did not pass) gets a
    problem answer here, not the pages' redirect.
    """
    if request.blueprint != bp.name:
        return _unrouted_api_request()
    g.api_bearer = None
    g._login_user = login_manager.anonymous_user()  # the cookie does not count here
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    g.api_rate_key = "api-token:" + service.hash_secret(secret)[:32]
    now = utcnow()
    bearer = service.find_bearer(db.session, secret, now)
    if bearer is None:
        g.api_token_refused = True
        return None
    user = bearer.user
    user.passed_second_factor = bearer.with_second_factor
    g._login_user = user
    g.api_bearer = bearer
    if bearer.last_used_at is None or now - bearer.last_used_at >= service.TOUCH_EVERY:
        # A GET does not write in its own transaction (read-only on PostgreSQL).
        with separate_write(db.engine) as connection:
            service.touch(connection, bearer.token_id, now)
    expedition_id = (request.view_args or {}).get("expedition_id")
    if expedition_id is not None:
        access = membership_access(user, expedition_id)
        if access is not None and not access.allowed:
            return problem(
                403,
                _(
                    "This expedition asks every member to log in with a second factor. Make the token again while logged in with it."
                ),
            )
    return None


def _unrouted_api_request() -> Response | None:
    """An unknown path or method under /api/v1/ answers as the API does, not with a page."""
    failed = request.routing_exception
    if (
        isinstance(failed, HTTPException)
        and (failed.code or 0) >= 400
        and request.path.startswith(f"{bp.url_prefix}/")
    ):
        return http_problem(failed)
    return None


@bp.before_request
def require_token() -> Response | None:
    """401 without a working token (the description aside)."""
    if request.endpoint in PUBLIC_ENDPOINTS or g.get("api_bearer") is not None:
        return None
    response = problem(401, _("Send a personal access token: Authorization: Bearer <token>."))
    challenge = 'Bearer realm="ALEx"'
    if g.get("api_token_refused"):
        challenge += ', error="invalid_token", error_description="unknown, expired or revoked"'
    response.headers["WWW-Authenticate"] = challenge
    return response


@bp.after_request
def cache_headers(response: Response) -> Response:
    """Personal answers: no shared cache keeps them; clients revalidate with the ETag."""
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.vary.add("Authorization")
    return response


@bp.errorhandler(HTTPException)
def http_problem(error: HTTPException) -> Response:
    """Errors as RFC 9457 problem details, in the token holder's language."""
    if isinstance(error, InternalServerError):
        db.session.rollback()
    code = error.code or 500
    detail = str(error.description) if isinstance(error, Refused | InvalidParameter) else None
    response = problem(code, detail)
    if code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def problem(status: int, detail: str | None = None) -> Response:
    """A problem+json answer: type, title, status, detail."""
    title, advice = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    body = {
        "type": "about:blank",
        "title": str(title),
        "status": status,
        "detail": detail or str(advice),
    }
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)


def answer(data: dict) -> Response:
    """JSON with a weak ETag (SHA-256 of the body); a matching If-None-Match gets 304.

    Weak, because compression rewrites strong ETags (adds ":br") and the meaning is the same
    whatever the encoding. The body is built either way: the saving is the bytes on the wire
    and the client's work, not the server's queries.
    """
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:40], weak=True)
    return response.make_conditional(request)


@cache
def openapi_document() -> dict:
    """The OpenAPI 3.1 description shipped in the package."""
    return json.loads(resources.files("alex.api").joinpath("openapi.json").read_text("utf-8"))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (public: it holds nothing personal)."""
    return answer(openapi_document())


@bp.get("/me")
def me():
    """Who the token belongs to."""
    return answer({"id": current_user.id, "name": current_user.name, "locale": current_user.locale})


@bp.get("/expeditions")
def expeditions():
    """My expeditions, newest first, as the expedition list shows them."""
    memberships = memberships_of_user(db.session, current_user)
    return answer({"items": [present.expedition(m.expedition, m) for m in memberships]})


@bp.get("/expeditions/<int:expedition_id>")
def expedition(expedition_id: int):
    """One of my expeditions with its members."""
    membership = get_membership_or_404(expedition_id)
    return answer(
        {
            **present.expedition(membership.expedition, membership),
            "members": [present.member(m) for m in members(db.session, membership.expedition)],
        }
    )


@bp.get("/expeditions/<int:expedition_id>/board")
def board(expedition_id: int):
    """My board: every card of mine, private ones too."""
    get_membership_or_404(expedition_id)
    loaded = load_board(db.session, expedition_id, current_user.id)
    return answer(present.board(current_user.id, loaded, only_zirkel=False))


@bp.get("/expeditions/<int:expedition_id>/members/<int:user_id>/board")
def member_board(expedition_id: int, user_id: int):
    """A member's board as the board page shows it: a peer's shared cards only (mine: all)."""
    membership = get_membership_or_404(expedition_id)
    owner = get_expedition_member_or_404(membership.expedition, user_id)
    only_zirkel = owner.user_id != current_user.id
    loaded = load_board(db.session, expedition_id, owner.user_id, only_zirkel=only_zirkel)
    return answer(present.board(owner.user_id, loaded, only_zirkel))


@bp.get("/expeditions/<int:expedition_id>/meetings")
def meetings(expedition_id: int):
    """The expedition's meetings: upcoming and running in date order, then past, latest first."""
    membership = get_membership_or_404(expedition_id)
    upcoming, past = meeting_list(db.session, membership.expedition)
    return answer({"items": [present.meeting(m) for m in upcoming + past]})


@bp.get("/expeditions/<int:expedition_id>/meetings/<int:meeting_id>")
def meeting(expedition_id: int, meeting_id: int):
    """A meeting as its record page shows it: actions, retro notes once revealed."""
    membership = get_membership_or_404(expedition_id)
    # As the meeting pages load it (meetings/views/common.py meeting_in; views are not imported
    # across areas): the id counts only inside the member's expedition, else 404.
    found = db.session.scalar(
        select(Meeting).where(
            Meeting.id == meeting_id, Meeting.expedition_id == membership.expedition_id
        )
    )
    if found is None:
        abort(404)
    return answer(present.meeting_record(found, record_state(db.session, found)))


def _page_arg(name: str, default: int, largest: int) -> int:
    """A positive whole number from the query string (else 400)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= largest:
        raise InvalidParameter(
            _("%(name)s must be a whole number from 1 to %(max)d.", name=name, max=largest)
        )
    return int(raw)


@bp.get("/notifications")
def notification_list():
    """My notifications, newest first, a page at a time (`page`, `per_page`)."""
    page = _page_arg("page", 1, 10_000)
    per_page = _page_arg("per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)
    Notification = notifications.Notification
    mine = Notification.user_id == current_user.id
    total = db.session.scalar(select(func.count()).select_from(Notification).where(mine)) or 0
    rows = db.session.scalars(
        select(Notification)
        .options(joinedload(Notification.actor))  # the actor's name in each line, not N+1
        .where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    base = (current_app.config["ALEX_BASE_URL"] or request.host_url).rstrip("/")
    items = [
        present.notification(
            n, notifications.notification_text(n), base + n.link if n.link.startswith("/") else None
        )
        for n in rows
    ]
    more = page * per_page < total
    return answer(
        {
            "items": items,
            "page": page,
            "per_page": per_page,
            "total": total,
            "unread": notifications.unread_count(db.session, current_user.id),
            "next": url_for(".notification_list", page=page + 1, per_page=per_page, _external=True)
            if more
            else None,
        }
    )
