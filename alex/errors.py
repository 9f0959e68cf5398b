"""Error pages in the user's language, as full pages and as HTMX fragments."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask, Response
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError

from alex.extensions import db, login_manager
from alex.web import render

# Title and advice per status: what happened and what to do.
MESSAGES = {
    400: (
        _l("Bad request"),
        _l("We could not process this request. Reload the page and try again."),
    ),
    401: (_l("Login needed"), _l("Please log in, then try again.")),
    403: (_l("Not allowed"), _l("You are not allowed to do this here.")),
    404: (_l("Not found"), _l("This page does not exist, or you have no access to it.")),
    405: (_l("Not possible here"), _l("This action is not available at this address.")),
    406: (
        _l("Not available in this form"),
        _l("This page cannot be delivered in the form your browser asked for."),
    ),
    409: (
        _l("Changed in the meantime"),
        _l("Someone changed this in the meantime. Reload to see the latest state."),
    ),
    410: (_l("Gone"), _l("This is no longer available.")),
    413: (_l("Too large"), _l("What you sent is too large. Shorten it and try again.")),
    415: (
        _l("Format not supported"),
        _l("What you sent is in a format ALEx does not accept. Reload the page and try again."),
    ),
    422: (_l("Please check your input"), _l("Some of what you entered could not be accepted.")),
    429: (_l("Too many attempts"), _l("Please wait a minute, then try again.")),
    500: (
        _l("Something went wrong"),
        _l(
            "That is our fault, not yours. Please try again in a moment; if it keeps happening, tell your facilitator."
        ),
    ),
    501: (_l("Not available"), _l("ALEx cannot do this (yet).")),
    503: (
        _l("Temporarily unavailable"),
        _l("ALEx is temporarily unavailable. Please try again in a few moments."),
    ),
}
# The database is down, restarting or out of connections: a passing state, not a bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)
RETRY_AFTER_SECONDS = 10
# What exactly a 403 refuses: the abort sites name it, so no one reads a wrong reason.
FACILITATOR_ONLY = _l("Only the expedition's facilitator can do this.")
OWNER_ONLY = _l("Only the person who created the card can change it. You can still read it.")
OWN_ENTRY_ONLY = _l("Only the person who wrote this entry can change it.")
MEETING_RUNNER_ONLY = _l("Only the facilitator or this meeting's moderator can steer the meeting.")
SECOND_FACTOR_NEEDED = _l(
    "This expedition asks every member to log in with a second factor. Set it up in your account, then try again."
)
CSRF_ADVICE = _l(
    "Your form was open too long or the page is outdated. Reload the page and try again."
)


class Refused(Forbidden):
    """A 403 that says what is refused; its description is shown to the person, translated."""


def refuse(reason) -> NoReturn:
    """Answer 403 with the reason (one of the constants above, or another lazy text)."""
    raise Refused(description=reason)


def error_response(status: int, detail: str | None = None) -> Response:
    """The error page for a status (or its fragment for an HTMX request).

    A status without its own text gets the general one of its class (4xx or 5xx) and keeps
    its code.
    """
    title, advice = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    return render(
        "errors/error.html",
        "errors/_error.html",
        status=status,
        title=title,
        advice=detail or advice,
        code=status,
    )


def init_app(app: Flask) -> None:
    """Register handlers for every status the app may answer with."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Response:
        return error_response(400, str(CSRF_ADVICE))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if error.code is None or error.code < 400:
            return error
        detail = str(error.description) if isinstance(error, Refused) else None
        response = error_response(error.code, detail)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(InternalServerError)
    def server_error(_error: InternalServerError) -> Response:
        # A failed transaction must not leak into the next request on this connection.
        db.session.rollback()
        return error_response(500)

    def database_unavailable(error: SQLAlchemyError) -> Response:
        """The database cannot be reached: 503 with an error page that needs no database."""
        app.logger.warning("Database unavailable: %s", str(error).splitlines()[0])
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the connection is already gone; the pool discards it
        # The page must not reach for the database again: the header's user and unread count
        # would raise a second time. For this response the visitor is anonymous (Flask-Login's
        # own helper, as in logout_user, but the session stays: an outage logs nobody out).
        login_manager._update_request_context_with_user()
        response = error_response(503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)
