"""One-click unsubscribe (RFC 8058) for the weekly digest and the reminders.

Each digest and reminder mail carries `List-Unsubscribe: <URL>` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`; a mail program POSTs to the URL, without
a login and without a CSRF token. The URL's token is signed with the app's secret and names the
person and what they leave ("digest" or a reminder kind), so it can do nothing else; it does not
expire (an old mail's link must still work) and applying it twice changes nothing.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from alex.notifications import (
    NUDGE_KINDS,
    digest_setting,
    local_link,
    set_digest,
    set_preference,
)

SALT = "alex.reach.unsubscribe"
TOPICS = ("digest", *NUDGE_KINDS)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int, topic: str) -> str:
    """The signed token for one person and one topic."""
    if topic not in TOPICS:
        raise ValueError(f"nothing to unsubscribe from: {topic!r}")
    return _serializer().dumps([user_id, topic])


def read_token(token: str) -> tuple[int, str] | None:
    """The (person, topic) a token names, or None when it is not ours."""
    try:
        user_id, topic = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or topic not in TOPICS:
        return None
    return user_id, topic


def unsubscribe_url(user_id: int, topic: str) -> str:
    """The absolute one-click URL (ALEX_BASE_URL in front of the local path)."""
    path = local_link("reach.unsubscribe", token=unsubscribe_token(user_id, topic))
    base = (current_app.config.get("ALEX_BASE_URL") or "").rstrip("/")
    return f"{base}{path}"


def apply_unsubscribe(session: Session, user_id: int, topic: str) -> None:
    """Leave the digest, or turn one kind of reminder off."""
    if topic == "digest":
        setting = digest_setting(session, user_id)
        set_digest(session, user_id, enabled=False, weekday=setting.weekday)
    else:
        set_preference(session, user_id, topic, "off")
