"""Security events in the log (logger "alex.security"): who, what, from where; never secrets.

Account ids only, never addresses typed into the login form (they may be anyone's, or a
password typed into the wrong field), passwords, codes or session tokens.
"""

from __future__ import annotations

import logging

from flask import has_request_context, request

logger = logging.getLogger("alex.security")


def security_event(event: str, user_id: int | None = None, **details: object) -> None:
    """Log one event, e.g. security_event("login_failed", user.id, reason="wrong_password")."""
    address = request.remote_addr if has_request_context() else "-"
    extra = " ".join(f"{key}={value}" for key, value in sorted(details.items()))
    logger.info(
        "%s user=%s ip=%s %s", event, user_id if user_id is not None else "-", address, extra
    )
