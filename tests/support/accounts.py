"""Accounts, logged-in clients and the factories most tests start from."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask import Flask
from flask.testing import FlaskClient

from alex.extensions import db

TEST_PASSWORD = "correct horse battery staple"


@cache
def password_hash() -> str:
    """TEST_PASSWORD hashed once per run (argon2 is slow on purpose)."""
    from alex.auth.service import hash_password

    return hash_password(TEST_PASSWORD)


def detached(obj):
    """Load the row's columns, then hand it out independent of any session."""
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@dataclass
class World:
    """Factories for the things tests need, written straight through the service layer."""

    app: Flask

    def user(
        self,
        name: str = "Ada Lorenz",
        email: str | None = None,
        password: str = TEST_PASSWORD,
        **flags,
    ):
        """A registered account; `flags` set instance roles, e.g. is_operator=True."""
        from alex.auth.service import register_user

        with self.app.app_context():
            user = register_user(
                db.session,
                name,
                email or f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.org",
                password,
            )
            for flag, value in flags.items():
                setattr(user, flag, value)
            db.session.commit()
            return detached(user)

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
            return detached(expedition)

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
            return detached(membership)


@dataclass
class Cast:
    """The people most tests need around one expedition."""

    expedition: object
    facilitator: object  # Mona, who facilitates without taking part
    ada: object
    ben: object
    outsider: object  # Olga, in no expedition of theirs
    ben_membership: object


def make_cast(world: World) -> Cast:
    """Mona facilitates an expedition in which Ada and Ben take part; Olga is outside it."""
    mona = world.user("Mona Moderation")
    ada = world.user("Ada Lorenz")
    ben = world.user("Ben Okafor")
    olga = world.user("Olga Außen")
    expedition = world.expedition(mona, participates=False)
    world.join(expedition, ada)
    return Cast(expedition, mona, ada, ben, olga, world.join(expedition, ben))


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
