"""/.well-known/security.txt (RFC 9116): where to report a vulnerability."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, url_for

from alex.db import utcnow

bp = Blueprint("wellknown", __name__)


@bp.get("/.well-known/security.txt")
def security_txt():
    """Contact and policy for security researchers; Expires moves forward by itself."""
    expires = (utcnow() + timedelta(days=180)).replace(microsecond=0)
    lines = [
        f"Contact: {current_app.config['ALEX_SECURITY_CONTACT']}",
        f"Expires: {expires.isoformat().replace('+00:00', 'Z')}",
        "Preferred-Languages: de, en",
        f"Canonical: {url_for('wellknown.security_txt', _external=True)}",
    ]
    if policy := current_app.config["ALEX_SECURITY_POLICY_URL"]:
        lines.append(f"Policy: {policy}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
