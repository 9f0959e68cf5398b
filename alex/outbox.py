"""The outbox: messages written in the caller's transaction, delivered by the consumer.

    from alex import outbox
    outbox.enqueue(session, channel="email", kind="password_reset", template="password_reset",
                   context={"link": url}, user_id=user.id)
    # … the caller commits as usual. A rollback sends nothing.

After the commit the new rows' ids go to the task queue (`alex.tasks`); the consumer claims each
row, hands it to its channel's deliverer and records the outcome. A periodic sweep (every minute)
picks up whatever is due: rows whose queue task was lost, retries after a temporary failure
(exponential backoff), and rows a killed consumer had claimed. So nothing committed is forgotten.

States: ``pending`` → ``sending`` (claimed, committed before anything leaves) → ``sent`` or
``failed`` (permanent). A deliverer raises `RetryLater` (temporary: back to pending with a later
``next_attempt_at``) or `Undeliverable` (permanent: failed).

No double send: a deliverer calls ``message.commit_point()`` at the last moment before the
message becomes irrevocably delivered (the e-mail channel: after the whole message went to the
SMTP server, before the final ".", see `alex.mail`). That commits ``sent``. A consumer killed
before that point left a ``sending`` row the server never accepted, which the sweep retries once
its claim is older than ``ALEX_OUTBOX_LEASE_SECONDS``; killed after it, the row is ``sent`` and
nothing repeats it. (The price: a kill in the microseconds between that commit and the final
"." loses that one message instead of sending it twice.) A deliverer that never calls
``commit_point`` is marked sent after it returns.

Every row has a ``message_id`` (the e-mail's Message-ID header, the push message's topic).
"""

from __future__ import annotations

import base64
import functools
import logging
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from alex.db import Base, UTCDateTime, utcnow
from alex.tasks import app_periodic_task, app_task, beat, crontab

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATES = (PENDING, SENDING, SENT, FAILED)
MAX_ATTEMPTS = 8  # then failed: 1, 2, 4 … 64 minutes apart, about two hours in all
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
SWEEP_LIMIT = 500  # rows one sweep claims at most; the next minute takes the rest
ERROR_MAX = 500
SCRUB_KEY = "_scrub"


class RetryLater(Exception):
    """A temporary failure (server down, 4xx): the message is tried again later."""


class Undeliverable(Exception):
    """A permanent failure (5xx, no address): the message is marked failed and never retried."""


class OutboxMessage(Base):
    """One message to one recipient on one channel; rendered at delivery in their language."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(80))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(5))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # [[filename, mimetype, "text"|"base64", content]]: JSON holds no bytes.
    attachments: Mapped[list | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(ERROR_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Set by the engine while a deliverer runs (see the module docstring); not a column.
    commit_point: Callable[[], None] = staticmethod(lambda: None)

    def attachment_files(self) -> list[tuple[str, str, bytes | str]]:
        """The attachments as (filename, mimetype, content)."""
        files: list[tuple[str, str, bytes | str]] = []
        for filename, mimetype, encoding, content in self.attachments or []:
            files.append(
                (filename, mimetype, base64.b64decode(content) if encoding == "base64" else content)
            )
        return files


Deliverer = Callable[[OutboxMessage], None]
_channels: dict[str, Deliverer] = {}


_batch_ends: dict[str, Callable[[], None]] = {}


def register_channel(
    name: str, deliver: Deliverer, batch_end: Callable[[], None] | None = None
) -> None:
    """Let `deliver(message)` send the messages of a channel ("email", "push", …).

    `batch_end()`, if given, runs after each batch in the same thread (e.g. to close a
    connection the deliverer kept open between the batch's messages).
    """
    _channels[name] = deliver
    if batch_end is not None:
        _batch_ends[name] = batch_end


def _message_id(domain: str | None = None) -> str:
    # 128 random bits, as hex (what uuid4().hex gave, at a fraction of the cost).
    return f"<{secrets.token_hex(16)}@{domain or _domain()}>"


def _domain() -> str:
    config = current_app.config
    return _domain_of(config.get("ALEX_MAIL_DOMAIN"), config.get("ALEX_BASE_URL") or "")


@functools.lru_cache(maxsize=8)
def _domain_of(mail_domain: str | None, base_url: str) -> str:
    from urllib.parse import urlsplit

    return mail_domain or urlsplit(base_url).hostname or socket.getfqdn() or "alex.invalid"


def _stored_attachments(files: Iterable[tuple[str, str, bytes | str]]) -> list | None:
    stored = []
    for filename, mimetype, content in files:
        if isinstance(content, bytes):
            stored.append([filename, mimetype, "base64", base64.b64encode(content).decode()])
        else:
            stored.append([filename, mimetype, "text", content])
    return stored or None


def enqueue(
    session: Session,
    *,
    channel: str,
    kind: str,
    template: str,
    context: dict[str, Any],
    user_id: int | None = None,
    address: str | None = None,
    locale: str | None = None,
    dedupe_key: str | None = None,
    attachments: Iterable[tuple[str, str, bytes | str]] = (),
    scrub: Iterable[str] = (),
) -> OutboxMessage | None:
    """Add a message to the caller's transaction; None when `dedupe_key` was used before.

    `scrub` names context keys holding secrets (a reset link): they are blanked in the row as
    soon as the message is sent or given up.

    `context` holds JSON values only (ids, names, URLs); the template renders them at delivery
    in the recipient's language (`locale`, else the user's, else the default). Either `user_id`
    or `address` names the recipient.
    """
    if user_id is None and not address:
        raise ValueError("an outbox message needs user_id or address")
    message = OutboxMessage(
        message_id=_message_id(),
        channel=channel,
        kind=kind,
        template=template,
        context={**context, **({SCRUB_KEY: sorted(scrub)} if scrub else {})},
        user_id=user_id,
        address=address,
        locale=locale,
        dedupe_key=dedupe_key,
        attachments=_stored_attachments(attachments),
        state=PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )
    if dedupe_key is None:
        session.add(message)
        return message
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    try:
        with (
            session.begin_nested()
        ):  # two writers at once: the second one's row goes, not its request
            session.add(message)
    except IntegrityError:
        return None
    return message


def enqueue_many(
    session: Session,
    *,
    channel: str,
    kind: str,
    template: str,
    contexts: dict[int, dict[str, Any]],
    attachments: Iterable[tuple[str, str, bytes | str]] = (),
    dedupe_keys: dict[int, str] | None = None,
) -> list[int]:
    """One message each for several users (user id → context) in one INSERT; the new ids.

    What `enqueue` does for one recipient: rows in the caller's transaction, handed to the
    queue after its commit. No ORM objects: a notification to a whole Zirkel costs one
    statement. With `dedupe_keys` (user id → key) a key used before writes nothing (INSERT …
    ON CONFLICT DO NOTHING: also when another writer used it a moment ago).
    """
    if not contexts:
        return []
    domain = _domain()
    now = utcnow()
    stored = _stored_attachments(attachments)
    rows = [
        {
            "message_id": _message_id(domain),
            "channel": channel,
            "kind": kind,
            "template": template,
            "context": context,
            "user_id": user_id,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
        }  # the columns left out stay NULL: no address, locale, dedupe key or claim yet
        for user_id, context in contexts.items()
    ]
    if stored is not None:  # none: the column stays NULL (not JSON "null", one dump less a row)
        for row in rows:
            row["attachments"] = stored
    if dedupe_keys is not None:
        for row in rows:
            row["dedupe_key"] = dedupe_keys[row["user_id"]]
        statement = _insert_new_returning_id(session.get_bind().dialect.name)
    else:
        statement = _insert_returning_id()
    # One statement, compiled once: SQLAlchemy's "insertmanyvalues" sends the rows as one
    # INSERT … VALUES (…), (…) RETURNING id (in batches within the database's limits).
    ids = list(session.execute(statement, rows).scalars())
    session.info.setdefault(_NEW_IDS, []).extend(ids)
    return ids


@functools.cache
def _insert_returning_id():
    table = OutboxMessage.__table__
    return insert(table).returning(table.c.id)


@functools.cache
def _insert_new_returning_id(dialect: str):
    from sqlalchemy.dialects import postgresql, sqlite

    table = OutboxMessage.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)


# --- after the commit: hand the new ids to the queue ------------------------------------------

_NEW_IDS = "alex_outbox_new_ids"


@event.listens_for(Session, "after_flush")
def _collect_new_ids(session: Session, _flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault(_NEW_IDS, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _hand_to_queue(session: Session) -> None:
    # SQLAlchemy calls this for a released savepoint too (enqueue's dedupe uses one): its rows
    # are not committed yet, so their ids wait for the outermost commit.
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_NEW_IDS, None)
    if not ids:
        return
    try:
        deliver_task(ids)
    except Exception:  # the queue is down: the sweep finds the rows; the request must not fail
        log.exception("outbox: could not queue %d message(s); the sweep will send them", len(ids))


@event.listens_for(Session, "after_soft_rollback")
def _forget_new_ids(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps the ids: one that names no row is skipped at delivery.
    if not previous_transaction.nested:
        session.info.pop(_NEW_IDS, None)


# --- delivery ----------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed ones (1, 2, 4 … minutes, capped)."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config.get("ALEX_OUTBOX_LEASE_SECONDS", 300))


def _claim(session: Session, message_id: int, now: datetime) -> str | None:
    """Take the row for this worker (the caller commits); None when it is not due or someone
    has it."""
    token = secrets.token_hex(16)
    claimed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                (OutboxMessage.state == PENDING) & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.state == SENDING) & (OutboxMessage.claimed_at < now - _lease()),
            ),
        )
        .values(state=SENDING, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return token if claimed else None


def _finish(session: Session, message_id: int, token: str, **values: Any) -> bool:
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(done)


def _scrubbed(context: dict) -> dict[str, Any]:
    """The column values that blank the secrets of a finished message (none: no change)."""
    keys = context.get(SCRUB_KEY) or []
    if not keys:
        return {}
    return {"context": {k: ("" if k in keys else v) for k, v in context.items()}}


@dataclass
class Outcome:
    """What one delivery run did."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0


def deliver_one(session: Session, message_id: int, outcome: Outcome | None = None) -> str:
    """Claim, deliver and record one message; returns the state it ended in ("skipped" if not ours)."""
    outcome = outcome if outcome is not None else Outcome()
    now = utcnow()
    token = _claim(session, message_id, now)
    if token is None:
        session.commit()
        outcome.skipped += 1
        return "skipped"
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    # The claim and the read in one transaction, committed before anything leaves; and no
    # transaction (on SQLite: no write lock) held while the deliverer works.
    session.commit()
    attempts = message.attempts + 1
    committed = {"done": False}

    def commit_point() -> None:
        committed["done"] = _finish(
            session, message_id, token, state=SENT, sent_at=utcnow(), attempts=attempts, **scrubbed
        )
        if not committed["done"]:
            raise RetryLater("the claim on this message was lost")

    message.commit_point = commit_point  # type: ignore[method-assign]
    scrubbed = _scrubbed(message.context)
    deliver = _channels.get(message.channel)
    try:
        if deliver is None:
            raise Undeliverable(f"no channel {message.channel!r}")
        deliver(message)
    except Undeliverable as error:
        _finish(
            session,
            message_id,
            token,
            state=FAILED,
            attempts=attempts,
            last_error=str(error)[:ERROR_MAX],
            claim_token=None,
            **scrubbed,
        )
        outcome.failed += 1
        return FAILED
    except Exception as error:  # RetryLater, and any bug in a deliverer: try again later
        if not isinstance(error, RetryLater):
            log.exception("outbox: delivering message %s failed", message_id)
        state = FAILED if attempts >= MAX_ATTEMPTS else PENDING
        _finish(
            session,
            message_id,
            token,
            **(scrubbed if state == FAILED else {}),
            state=state,
            attempts=attempts,
            next_attempt_at=utcnow() + backoff(attempts),
            last_error=(str(error) or type(error).__name__)[:ERROR_MAX],
            claim_token=None,
        )
        if state == FAILED:
            outcome.failed += 1
        else:
            outcome.retry += 1
        return state
    if not committed["done"]:
        _finish(
            session, message_id, token, state=SENT, sent_at=utcnow(), attempts=attempts, **scrubbed
        )
    outcome.sent += 1
    return SENT


def deliver_ids(ids: Iterable[int]) -> Outcome:
    """Deliver these messages one by one, each in its own short transactions."""
    from alex.extensions import db

    outcome = Outcome()
    try:
        with Session(db.engine, expire_on_commit=False) as session:
            for message_id in ids:
                deliver_one(session, message_id, outcome)
    finally:
        for batch_end in _batch_ends.values():
            batch_end()
    return outcome


def due_ids(session: Session, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Rows that should be tried now: pending and due, or claimed by a consumer that died."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    (OutboxMessage.state == PENDING) & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.state == SENDING) & (OutboxMessage.claimed_at < now - _lease()),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def deliver_due() -> Outcome:
    """One sweep: deliver whatever is due (what the periodic task and the tests run)."""
    from alex.extensions import db

    with Session(db.engine) as session:
        ids = due_ids(session)
    return deliver_ids(ids)


def queue_figures(session: Session) -> dict[str, Any]:
    """For /healthz/queue: how many wait and how old the oldest due one is (seconds)."""
    now = utcnow()
    pending, oldest = session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.state.in_((PENDING, SENDING))
        )
    ).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite's MIN returns the raw value
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    failed = session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.state == FAILED)
    )
    return {
        "waiting": pending or 0,
        "oldest_due_seconds": max(0, int((now - oldest).total_seconds())) if oldest else 0,
        "failed": failed or 0,
    }


def purge_finished(session: Session, cutoff: datetime) -> int:
    """Delete messages sent or given up before `cutoff`; returns how many.

    A finished row is only a record, yet it keeps an address and the context (names, titles)
    of a mail long gone. Dedupe keys name a week at most, so nothing is sent twice for it.
    """
    return session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.state.in_((SENT, FAILED)), OutboxMessage.created_at < cutoff
        )
    ).rowcount


@app_task()
def deliver_task(ids: list[int]) -> None:
    """Queue task: deliver the messages one commit wrote."""
    deliver_ids(ids)


@app_periodic_task(crontab(minute="*"))
def sweep_task() -> None:
    """Every minute: say the consumer lives, then deliver what is due (retries, lost tasks)."""
    beat()
    deliver_due()


def init_app(app: Flask) -> None:
    """Nothing to wire per app: the channels register themselves from their areas' init_app."""
    app.extensions["alex.outbox"] = _channels
