"""View decorators for pages that check secrets or show them (account and two-factor pages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, g, make_response
from flask_login import current_user

from alex.extensions import limiter


def no_store(view: Callable) -> Callable:
    """Neither the browser, a proxy nor the service worker keeps a copy (a TOTP secret, sessions)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.cache_control.no_store = True
        return response

    return wrapped


def failed_check() -> None:
    """Mark this request as a wrong password or code: it counts against the account check limit."""
    g.alex_failed_check = True


def _counts(_response) -> bool:
    return bool(g.get("alex_failed_check"))


def _limit() -> str:
    return current_app.config["ALEX_ACCOUNT_CHECK_RATE_LIMIT"]


def _account_key() -> str:
    return f"account:{current_user.id if current_user.is_authenticated else '-'}"


def account_check_limit(view: Callable) -> Callable:
    """Wrong passwords and codes on account pages are limited per address and per account."""
    per_address = limiter.limit(_limit, deduct_when=_counts)
    per_account = limiter.limit(_limit, key_func=_account_key, deduct_when=_counts)
    return per_address(per_account(view))
