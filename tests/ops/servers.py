"""Helpers for tests that run the app as deployed: fresh databases and gunicorn processes."""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alex import create_app
from alex.extensions import db
from alex.migrate import upgrade

PG_SERVER = os.environ.get("ALEX_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def need_postgres_and_redis() -> None:
    """Skip when the services of a multi-server set-up are not running here."""
    if not reachable("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    if not reachable("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")


@contextmanager
def fresh_postgres(server: str = PG_SERVER) -> Iterator[str]:
    """A new, migrated database on the server; dropped afterwards."""
    server = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", server)
    name = f"alex_ops_{uuid.uuid4().hex[:10]}"
    # Pre-ping: the fault tests stop the server in between; the drop needs a live connection.
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_user(database_url: str, email: str, password: str) -> None:
    """An account, created through the service layer."""
    from alex.auth.service import register_user

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        register_user(db.session, "Ada Lorenz", email, password)
        db.session.commit()
        db.engine.dispose()
