"""Personal access tokens: make, list, revoke, and find the person behind a presented token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from alex.api.models import NAME_MAX, ApiToken
from alex.auth.models import User
from alex.db import utcnow
from alex.exports.hooks import iso

# A recognisable prefix lets secret scanners (and people) tell an ALEx token in a leaked file.
PREFIX = "alex_pat_"
SCOPES = ("read",)  # only reading for now; the column is there for more
EXPIRY_DAYS = (30, 90, 365)  # what the form offers; never longer than a year
# last_used_at is written at most this often per token: polling every few seconds costs no write.
TOUCH_EVERY = timedelta(minutes=1)


class TokenError(Exception):
    """A token that cannot be made; the message is shown to the person."""


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and its secret, shown once and never stored."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form: the secret has 256 random bits, so a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def live_count(session: Session, user_id: int, now: datetime | None = None) -> int:
    """How many of the person's tokens still work."""
    return (
        session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.expires_at > (now or utcnow()))
        )
        or 0
    )


def create_token(
    session: Session,
    user_id: int,
    name: str,
    days: int,
    *,
    limit: int,
    with_second_factor: bool = False,
    scope: str = "read",
) -> NewToken:
    """Make a token for the person; refused beyond `limit` live tokens or a year's validity.

    The person's row is locked first (PostgreSQL; SQLite's writing requests take the database
    lock up front), so two tabs creating at once cannot both slip past the limit.
    """
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise TokenError(
            _l("Please give the token a name of at most %(max)d characters.", max=NAME_MAX)
        )
    if days not in EXPIRY_DAYS:
        raise TokenError(_l("Please choose how long the token works."))
    if scope not in SCOPES:
        raise TokenError(_l("This token scope does not exist."))
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    now = utcnow()
    if live_count(session, user_id, now) >= limit:
        raise TokenError(
            _l(
                "You have %(limit)d working tokens, the most there may be. Revoke one you no "
                "longer use, then make a new one.",
                limit=limit,
            )
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=hash_secret(secret),
        scope=scope,
        with_second_factor=with_second_factor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return NewToken(token, secret)


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """The person's tokens, the working ones first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(
                ApiToken.expires_at <= utcnow(), ApiToken.created_at.desc(), ApiToken.id.desc()
            )
        )
    )


def revoke_token(session: Session, user_id: int, token_id: int) -> bool:
    """Delete one of the person's own tokens at once; False when there is none (or not theirs)."""
    statement = delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    return bool(session.execute(statement).rowcount)


def revoke_all(session: Session, user_id: int) -> None:
    """Every token of the account ends (log out everywhere, a new password, a reset)."""
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


@dataclass(frozen=True)
class Bearer:
    """The person a working token stands for, and the token's bookkeeping."""

    user: User
    token_id: int
    with_second_factor: bool
    last_used_at: datetime | None


def find_bearer(session: Session, secret: str, now: datetime | None = None) -> Bearer | None:
    """The account behind a presented secret: unknown, expired and deactivated give None.

    Looked up by the hash (a unique index), so the comparison takes no time that depends on
    how much of a guess was right.
    """
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.execute(
        select(User, ApiToken.id, ApiToken.with_second_factor, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_secret(secret),
            ApiToken.expires_at > (now or utcnow()),
            User.deactivated_at.is_(None),
        )
    ).first()
    if row is None:
        return None
    return Bearer(*row)


def touch(connection: Connection, token_id: int, now: datetime) -> None:
    """Note the token's use, unless another request just did (see TOUCH_EVERY)."""
    connection.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )


def export_rows(session: Session, user_id: int) -> list[dict]:
    """The person's tokens for their data export: never the secret, nor its hash."""
    return [
        {
            "name": t.name,
            "scope": t.scope,
            "created_at": iso(t.created_at),
            "expires_at": iso(t.expires_at),
            "last_used_at": iso(t.last_used_at),
        }
        for t in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
        )
    ]


def purge_expired_tokens(session: Session, cutoff: datetime) -> int:
    """Delete tokens that expired before `cutoff` (the list shows them as expired until then)."""
    return session.execute(delete(ApiToken).where(ApiToken.expires_at < cutoff)).rowcount
