"""Declarative base, naming convention and the per-backend engine set-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

from flask import current_app, g, has_request_context, request
from sqlalchemy import Connection, DateTime, Engine, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

# Every constraint gets a predictable name, so Alembic can alter and drop it on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; its metadata is what Alembic compares against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upsert(
    session: Session,
    model: type[Base],
    keys: Mapping[str, object],
    values: Mapping[str, object],
    *,
    on_insert: Mapping[str, object] | None = None,
) -> None:
    """INSERT the row or, when a row with these unique `keys` exists, UPDATE it with `values`.

    One statement (INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL): two requests at
    once cannot both insert, so no IntegrityError. `on_insert` are values only a new row gets.
    A copy of the row already in the session is refreshed.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values({**keys, **(on_insert or {}), **values})
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=dict(values))
    session.execute(statement.execution_options(synchronize_session=False))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and all(getattr(obj, k) == v for k, v in keys.items()):
            session.expire(obj)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


_READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def request_may_write() -> bool:
    """Whether this request (or CLI command) is one that may write in its own transaction."""
    return _write_expected()


# Execution option of a connection that writes apart from its request (see `separate_write`).
_SEPARATE_WRITE = "alex_separate_write"


def _write_expected(connection: Connection | None = None) -> bool:
    """A request that may write takes the write lock up front; reads stay concurrent."""
    if connection is not None and connection.get_execution_options().get(_SEPARATE_WRITE):
        return True
    if has_request_context():
        if request.method not in _READ_ONLY_METHODS:
            return not g.get(_WRITTEN, False)
        view = current_app.view_functions.get(request.endpoint or "")
        return bool(getattr(view, WRITES_ON_GET, False))
    return True  # CLI commands and scripts


# Marks the rare view that must write although it answers a GET because a protocol makes it one
# (the single sign-on callback: the identity provider sends the browser back with a GET).
WRITES_ON_GET = "alex_writes_on_get"
F = TypeVar("F", bound=Callable)


def writes_on_get(view: F) -> F:
    """Let this GET view write in a transaction of its own, like a POST (use it sparingly)."""
    setattr(view, WRITES_ON_GET, True)
    return view


_WRITTEN = "_alex_request_written"


def reads_only_from_here() -> None:
    """The request's change is committed: what it still does (the answer) only reads.

    Its next transaction then starts like a GET's: on SQLite a plain BEGIN (a snapshot, no
    write lock that would hold up other writers while the answer renders), on PostgreSQL no
    transaction at all, and a write would be refused there.
    """
    g.setdefault(_WRITTEN, True)


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, busy timeout, and BEGIN IMMEDIATE for writing transactions.

    Without BEGIN IMMEDIATE, two transactions that both read and then write deadlock on SQLite's
    lock upgrade and one fails at once with "database is locked", whatever the busy timeout.
    """
    if engine.dialect.name == "postgresql":
        _reads_without_transaction(engine)
        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_expected(connection) else "BEGIN")


class WriteInReadOnlyRequest(RuntimeError):
    """A GET (or HEAD, OPTIONS) request tried to change the database."""


def _reads_without_transaction(engine: Engine) -> None:
    """PostgreSQL: a request that only reads runs its statements without BEGIN and ROLLBACK.

    Each of those is a round trip to the server, and a page runs only a handful of statements:
    the poll and /healthz run one. Under READ COMMITTED every statement takes its own snapshot
    anyway, so the reads see exactly what they saw inside a transaction. A read-only request
    that writes would now commit statement by statement, so it is refused instead.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if has_request_context() and not _write_expected(connection):
            connection.connection.dbapi_connection.autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_writes(connection, _cursor, statement: str, _params, _context, _many) -> None:
        if connection.connection.dbapi_connection.autocommit and not _is_read(statement):
            raise WriteInReadOnlyRequest(f"{request.method} {request.path}: {statement[:60]}")

    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_connection, _record, _state) -> None:
        # Back in the pool as every other connection: the next request may write.
        dbapi_connection.autocommit = False


@contextmanager
def separate_write(engine: Engine) -> Iterator[Connection]:
    """A short transaction on a connection of its own, allowed inside a read-only request.

    Only for bookkeeping a GET has to do (a login session's last-seen time), never for the
    request's own data: it commits at once, whatever the request does afterwards.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_SEPARATE_WRITE: True})
        with connection.begin():
            yield connection


def _is_read(statement: str) -> bool:
    return statement.lstrip()[:6].upper() in {"SELECT", "WITH", "SHOW"}


def close_request_sessions(_error: BaseException | None) -> None:
    """Close the request's sessions; a connection that died meanwhile is discarded, not raised.

    Replaces Flask-SQLAlchemy-Lite's teardown, whose ``session.close()`` rolls back the
    connection: when the database goes away between a request's last statement and its end,
    that rollback raised in the teardown and turned the finished answer into a 500.
    """
    sessions = g.pop("_sqlalchemy_sessions", None) or {}
    for session in sessions.values():
        try:
            session.close()
        except SQLAlchemyError:
            session.invalidate()  # the pool drops the connection; the next checkout reconnects
