"""Shared fixtures: the app from the factory on a fresh database, clients, users, expeditions.

SQLite by default (one file per test session); PostgreSQL when ALEX_TEST_DATABASE_URL is set,
on a database created for this run and dropped afterwards. The schema comes from the Alembic
migrations, not from create_all, so the tests run against what production runs.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from alex import create_app
from alex.db import Base
from alex.extensions import db
from alex.i18n import compile_catalogs
from alex.migrate import upgrade
from tests.support.accounts import TEST_PASSWORD, Actor, World, csrf_token, login
from tests.support.smtp import SmtpServer, smtp_server_running

# Test modules of other folders import these from here too.
__all__ = ["TEST_PASSWORD", "csrf_token", "login"]

# Fuzzing: a quick pass in make test; make soak runs pytest --hypothesis-profile=soak.
_FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile(
    "alex", max_examples=12, deadline=None, suppress_health_check=_FUZZ_HEALTH
)
settings.register_profile(
    "soak", max_examples=300, deadline=None, suppress_health_check=_FUZZ_HEALTH
)
settings.load_profile("alex")


def _create_postgres_database(server_url: str) -> tuple[str, str]:
    """A fresh database on the given server; returns (url, name)."""
    name = f"alex_test_{uuid.uuid4().hex[:10]}"
    url = make_url(server_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _share_url_builders() -> None:
    """Let every app in this process share the URL-building functions Werkzeug generates.

    Each test builds its own app, and each app compiles two small Python functions per route
    (through ast and compile): four fifths of create_app's time. The function depends only on the
    rule's parts, defaults and converters, never on the app, so one per distinct rule is enough.
    Test-only, and a no-op if Werkzeug ever renames the method.
    """
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    builders: dict[tuple, object] = {}

    def shared_builder(self: Rule, append_unknown: bool = True):
        key = (
            self.rule,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple((name, type(converter)) for name, converter in self._converters.items()),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared_builder  # type: ignore[method-assign]


_share_url_builders()


def pytest_collection_modifyitems(items):
    """On PostgreSQL, skip what does not depend on the database backend (the SQLite pass runs it)."""
    if not os.environ.get("ALEX_TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(
        reason="backend_independent: runs in the SQLite pass (ALEX_TEST_DATABASE_URL is set)"
    )
    for item in items:
        if item.get_closest_marker("backend_independent"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """One migrated database for the whole run."""
    compile_catalogs()
    server = os.environ.get("ALEX_TEST_DATABASE_URL")
    if server:
        server = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", server)
        url, name = _create_postgres_database(server)
        upgrade(url)
        yield url
        _drop_postgres_database(server, name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'alex-test.sqlite3'}"
        upgrade(url)
        yield url


def _empty_all_tables(app: Flask) -> None:
    """Remove every row, so each test starts from an empty, migrated database."""
    with app.app_context():
        engine = db.engine
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{t}"' for t in tables)
                connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app_config(database_url: str) -> dict:
    """Override to change settings for a module or test."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "ENV": "testing",
        # argon2id with the cheapest parameters: the same code path, a fraction of the time.
        "CHEAP_PASSWORD_HASHING": True,
    }


@pytest.fixture
def app(app_config: dict) -> Iterator[Flask]:
    """The app from the factory, on an emptied database."""
    application = create_app(app_config)
    _empty_all_tables(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(app, app_config: dict):
    """Another app instance on the same (emptied) database — a second worker, other settings.

    Its engine is disposed afterwards: PostgreSQL connections left open fail the run.
    """
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        application = create_app({**app_config, **overrides})
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask):
    """A database session inside an app context, for service tests and set-up."""
    with app.app_context():
        yield db.session


@pytest.fixture
def world(app: Flask) -> World:
    """Factories for users, expeditions and memberships."""
    return World(app)


@pytest.fixture
def actor(app: Flask, world: World):
    """Make a logged-in actor: actor(user) or actor() for a new user."""

    def make(user=None) -> Actor:
        user = user or world.user()
        client = app.test_client()
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return Actor(client, user)

    return make


@pytest.fixture
def sample(app: Flask):
    """A finished six-sprint expedition with Sabine's full record (alex/demo/finished.toml)."""
    from tests.support.sample import build_sample

    return build_sample(app)


@pytest.fixture(scope="session")
def smtp_folder(tmp_path_factory):
    """Where the test SMTP server keeps its self-signed certificate (made once per run)."""
    return tmp_path_factory.mktemp("smtp")


@pytest.fixture
def smtp_server(smtp_folder) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback with STARTTLS and AUTH (tests/support/smtp.py)."""
    with smtp_server_running(smtp_folder) as server:
        yield server


def mail_settings(server: SmtpServer) -> dict:
    """The app settings that send mail to a test SMTP server."""
    return {
        "SMTP_URL": server.url,
        "BASE_URL": "https://alex.example.org",
        "MAIL_FROM": "ALEx <alex@example.org>",
    }
