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
from dataclasses import dataclass
from datetime import date, timedelta

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

TEST_PASSWORD = "correct horse battery staple"

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


def _detached(obj):
    """Load the row's columns, then hand it out independent of any session."""
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@dataclass
class World:
    """Factories for the things tests need, written straight through the service layer."""

    app: Flask

    def user(
        self, name: str = "Ada Lorenz", email: str | None = None, password: str = TEST_PASSWORD
    ):
        from alex.auth.service import register_user

        with self.app.app_context():
            user = register_user(
                db.session,
                name,
                email or f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.org",
                password,
            )
            db.session.commit()
            return _detached(user)

    def expedition(
        self,
        facilitator,
        title: str = "Lern-Expedition",
        start: date | None = None,
        participates: bool = True,
        **settings,
    ):
        from alex.expeditions.service import ExpeditionSettings, create_expedition

        with self.app.app_context():
            owner = db.session.merge(facilitator)
            expedition = create_expedition(
                db.session,
                owner,
                ExpeditionSettings(
                    title=title,
                    description="",
                    start_date=start or date.today() - timedelta(days=10),
                    **settings,
                ),
                creator_participates=participates,
            )
            db.session.commit()
            return _detached(expedition)

    def join(self, expedition, user, facilitator: bool = False, participant: bool = True):
        from alex.expeditions.models import Membership

        with self.app.app_context():
            membership = Membership(
                expedition_id=expedition.id,
                user_id=user.id,
                is_facilitator=facilitator,
                is_participant=participant,
            )
            db.session.add(membership)
            db.session.commit()
            return _detached(membership)


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD):
    """Log in through the real form (with CSRF) and return the response."""
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'"X-CSRFToken": "([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@dataclass
class Actor:
    """A logged-in test client with its user."""

    client: FlaskClient
    user: object

    def token(self, path: str = "/") -> str:
        return csrf_token(self.client, path)

    def post(self, path: str, data: dict | None = None, htmx: bool = False, **kwargs):
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.token())
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(path, data=payload, headers=headers, **kwargs)

    def get(self, path: str, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.get(path, headers=headers, **kwargs)


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
