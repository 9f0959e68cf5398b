"""Liveness for load balancers and monitoring: 200 when the database answers, 503 otherwise."""

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from alex.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer whether the app can reach its database."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


# What a stranger learns from /healthz/queue: up or not, and nothing about what is queued (a
# reset mail being queued right after a "forgot password" would tell whether an address has an
# account). The figures and the exact reason go only to the machine itself and to the CLI.
PUBLIC_REASON = "the queue is behind or its consumer is not running"


def queue_state() -> tuple[dict, int]:
    """The queue's full state: figures, consumer heartbeat, a reason when it is not ok."""
    import time

    from flask import current_app

    from alex import outbox, tasks

    stale_after = current_app.config["ALEX_QUEUE_STALE_SECONDS"]
    try:
        beat = tasks.last_beat()
    except Exception:
        return {"status": "unavailable", "reason": "the queue's storage does not answer"}, 503
    try:
        figures = outbox.queue_figures(db.session)
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "reason": "the database does not answer"}, 503
    body = {**figures, "consumer_seen_seconds_ago": None}
    if beat is None:
        return {**body, "status": "unavailable", "reason": "no consumer has run yet"}, 503
    age = max(0, int(time.time() - beat))
    body["consumer_seen_seconds_ago"] = age
    if age > stale_after:
        reason = f"the consumer has not run for {age} seconds"
        return {**body, "status": "unavailable", "reason": reason}, 503
    if figures["oldest_due_seconds"] > stale_after:
        reason = f"a message has waited {figures['oldest_due_seconds']} seconds"
        return {**body, "status": "unavailable", "reason": reason}, 503
    return {**body, "status": "ok"}, 200


def _asked_locally() -> bool:
    """From this machine itself, not through a proxy (behind nginx every request comes from
    loopback, but with X-Forwarded-For)."""
    import ipaddress

    from flask import request

    if any(h in request.headers for h in ("X-Forwarded-For", "X-Real-IP", "Forwarded")):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/healthz/queue")
def healthz_queue():
    """503 with a reason when the consumer has not said it lives for a while, or mail piles up.

    Publicly only the status (and a generic reason); the figures only to loopback requests
    (and `flask alex queue-status`)."""
    body, status = queue_state()
    if not _asked_locally():
        body = {"status": body["status"]} | ({"reason": PUBLIC_REASON} if status != 200 else {})
    return body, status
