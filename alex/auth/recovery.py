"""Password recovery: a single-use link, valid 30 minutes, of which only a hash is stored.

    token = start_reset(session, user)        # the raw token exists only in the link
    reset = find_valid(session, token)        # None: unknown, used or expired
    finish_reset(session, token, password)    # single use under concurrency; ends every session

`request_reset` is what the "Passwort vergessen?" form calls: it answers nothing about whether
the address has an account (the page says the same either way) and mails the link through the
outbox. The mail's link is blanked in the outbox row once it is sent (`scrub`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import url_for
from limits import parse
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from alex import outbox
from alex.auth import service
from alex.auth.audit import security_event
from alex.auth.models import PasswordReset, User
from alex.db import utcnow
from alex.extensions import limiter

VALID_FOR = timedelta(minutes=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_reset(session: Session, user: User, now: datetime | None = None) -> str:
    """A new reset token for the account (earlier unused ones stay valid until they expire)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    )
    return token


def spend_reset_mail(
    email: str, limit: str, key_prefix: str, purpose: str = "reset"
) -> datetime | None:
    """Count one reset mail to this address against `limit` (ALEX_RESET_ADDRESS_LIMIT); None
    when it fits, else when the next one may go.

    One counter per address for the "Passwort vergessen?" form and the operator's console, so
    no inbox can be flooded from either. Kept in Flask-Limiter's storage (every worker counts
    alike) as one atomic increment: two requests at once cannot both take the last one.
    Confirmation links of address changes count apart (`purpose`), under the same limit.
    """
    item = parse(limit)
    keys = (key_prefix, purpose, service.normalise_email(email)[:254])
    if limiter.limiter.hit(item, *keys):
        return None
    return datetime.fromtimestamp(limiter.limiter.get_window_stats(item, *keys).reset_time, UTC)


def request_reset(session: Session, email: str, link_for, login_link: str | None = None) -> bool:
    """Mail a reset link when the address has an account; returns whether it mailed one.

    The caller must not tell the visitor the result. `link_for(token)` builds the link and
    `login_link` is the login page's (default: this request's url_for; both are local paths the
    mail makes absolute at delivery).
    """
    user = service.find_user_by_email(session, email)
    if user is None:
        security_event("password_reset_requested", None, known=False)
        return False
    if user.deactivated_at is not None:
        # A deactivated account cannot log in by any way, a new password included.
        security_event("password_reset_requested", user.id, known=True, deactivated=True)
        return False
    if not service.has_password(user):
        # Signs in through the organisation only: a mailed link must not add a password (anyone
        # reading that inbox could then log in past the identity provider's rules). The operator's
        # `alex reset-link` still can, on purpose (README, "Single Sign-on"). The person gets a
        # mail saying how they log in instead; the page answers as always.
        security_event("password_reset_refused", user.id, reason="no_local_password")
        outbox.enqueue(
            session,
            channel="email",
            kind="password_reset",  # tried even to an address marked undeliverable, as resets
            template="password_reset_sso",
            context={"login_link": login_link or url_for("auth.login")},
            user_id=user.id,
        )
        return False
    token = start_reset(session, user)
    outbox.enqueue(
        session,
        channel="email",
        kind="password_reset",
        template="password_reset",
        context={"link": link_for(token)},
        user_id=user.id,
        scrub=["link"],
    )
    security_event("password_reset_requested", user.id, known=True)
    return True


def find_valid(session: Session, token: str, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset of this token, or None."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    return session.scalar(
        select(PasswordReset).where(
            PasswordReset.token_hash == token_hash(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
    )


def finish_reset(session: Session, token: str, new_password: str) -> User | None:
    """Use the token (once: a conditional UPDATE) and set the password; None when it is not valid.

    Every login session of the account ends, every other open reset link of it stops working,
    and the wait after failed logins is lifted.
    """
    now = utcnow()
    reset = find_valid(session, token, now)
    if reset is None:
        return None
    used = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not used:
        return None  # a second tab used it a moment earlier
    user = session.get(User, reset.user_id)
    assert user is not None
    if user.deactivated_at is not None:
        return None  # a link mailed before the deactivation opens nothing
    service.change_password(session, user, new_password)  # voids the account's other links
    user.failed_logins, user.next_login_at = 0, None
    security_event("password_reset", user.id)
    return user


def purge_spent(session: Session, cutoff: datetime) -> int:
    """Delete reset links that stopped working before `cutoff`; returns how many.

    Every link expires VALID_FOR after it was made, used or not, so `expires_at` alone says a
    row is spent: nothing reads it again, and it only tells when the person reset a password.
    """
    return session.execute(delete(PasswordReset).where(PasswordReset.expires_at < cutoff)).rowcount
