"""Changing the account's e-mail address: a single-use link to the new address, a notice to the old.

    request_change(session, user, new_email, link_for)   # after the current password was checked
    change = find_valid(session, token)                   # None: unknown, used or expired
    confirm_change(session, user, token)                  # single use under concurrency

Modelled on password recovery (alex/auth/recovery.py): only the SHA-256 of the token is kept,
the link is blanked in the outbox row once sent, and the answer to the request never says
whether another account has the new address (that shows only when the link is confirmed).

Only the account that asked can confirm, while logged in: the link proves control of the new
inbox, the login proves the account. A typo in the new address would otherwise let whoever reads
that inbox make it the account's address, and so take the account over by password reset.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alex import outbox
from alex.auth import service
from alex.auth.audit import security_event
from alex.auth.models import EmailChange, User
from alex.auth.recovery import token_hash
from alex.db import utcnow

VALID_FOR = timedelta(hours=24)

ADDRESS_TAKEN = _l(
    "This address already belongs to another ALEx account, so it cannot become yours. Your "
    "address stays as it was. Use another address, or log in with that account."
)
LINK_INVALID = _l(
    "This confirmation link does not work any more: it was used already, a newer one replaced "
    "it, or it is older than 24 hours. Your address stays as it was; ask for a new link on your "
    "account page."
)
FOREIGN_LINK = _l(
    "This confirmation link belongs to another ALEx account. Log out, then log in with the "
    "account whose address you want to change and open the link again."
)


@dataclass(frozen=True)
class Refused:
    """Why a confirmation did not change the address (a message for the person)."""

    message: str
    status: int
    rollback: bool = False  # the transaction failed: the caller rolls back instead of committing


def request_change(
    session: Session, user: User, new_email: str, link_for, account_link: str
) -> None:
    """Mail a confirmation link to the new address and a notice to the current one.

    The caller checked the current password and tells the visitor the same whatever happens
    here. `link_for(token)` builds the (local) link and `account_link` is the account page's; the
    mail makes both absolute at delivery.
    """
    new_email = service.normalise_email(new_email)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        EmailChange(
            user_id=user.id,
            new_email=new_email,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    )
    # `address` names the inbox: the new one for the link (not yet the account's), the current
    # one for the notice (it may no longer be the account's when the notice goes out).
    outbox.enqueue(
        session,
        channel="email",
        kind="email_change",
        template="email_change",
        context={"link": link_for(token), "new_email": new_email},
        user_id=user.id,
        address=new_email,
        scrub=["link"],
    )
    outbox.enqueue(
        session,
        channel="email",
        kind="email_change_notice",
        template="email_change_notice",
        context={"new_email": new_email, "account_link": account_link},
        user_id=user.id,
        address=user.email,
    )
    security_event("email_change_requested", user.id)


def find_valid(session: Session, token: str, now: datetime | None = None) -> EmailChange | None:
    """The unused, unexpired change of this token, or None."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    return session.scalar(
        select(EmailChange).where(
            EmailChange.token_hash == token_hash(token),
            EmailChange.used_at.is_(None),
            EmailChange.expires_at > now,
        )
    )


def void_open_changes(session: Session, user_id: int) -> list[int]:
    """Every unused link of the account stops working; returns the ids it used up (one UPDATE)."""
    return list(
        session.scalars(
            update(EmailChange)
            .where(EmailChange.user_id == user_id, EmailChange.used_at.is_(None))
            .values(used_at=utcnow())
            .returning(EmailChange.id)
            .execution_options(synchronize_session=False)
        )
    )


def confirm_change(session: Session, user: User, token: str) -> Refused | None:
    """Make the link's address the account's; None when done, else why not.

    The link is used up together with every other open link of the account in one conditional
    UPDATE: of two confirmations at once (two tabs, or two links) exactly one finds its row still
    unused. On refusal for a taken address the caller commits too: that link is spent.
    """
    change = find_valid(session, token)
    if change is None:
        return Refused(str(LINK_INVALID), 410)
    if change.user_id != user.id:
        security_event("email_change_refused", user.id, reason="foreign_link")
        return Refused(str(FOREIGN_LINK), 403)
    if change.id not in void_open_changes(session, user.id):
        return Refused(str(LINK_INVALID), 410)  # another confirmation was a moment earlier
    other = service.find_user_by_email(session, change.new_email)
    if other is not None and other.id != user.id:
        security_event("email_change_refused", user.id, reason="address_taken")
        return Refused(str(ADDRESS_TAKEN), 409)
    user.email = change.new_email
    # The new address has not bounced (yet): mail to it starts again.
    user.email_undeliverable_at = None
    user.email_undeliverable_reason = None
    service.void_open_resets(session, user)  # a reset link in the old inbox must not work
    try:
        session.flush()
    except IntegrityError:
        # Someone registered the address between our read and this write (unique email).
        return Refused(str(ADDRESS_TAKEN), 409, rollback=True)
    security_event("email_changed", user.id)
    return None
