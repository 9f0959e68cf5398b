"""The finished expedition of the report tests: Sabine's six sprints (alex/demo/finished.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask import Flask

from alex.demo.build import build_expedition
from alex.demo.story import load_story
from alex.extensions import db
from tests.support.accounts import password_hash


@dataclass
class Sample:
    """Ids and accounts of the sample expedition (plain values, usable outside the session)."""

    expedition_id: int
    participant: SimpleNamespace  # Sabine, with the full record
    facilitator: SimpleNamespace
    peers: list[SimpleNamespace]


def _person(user) -> SimpleNamespace:
    return SimpleNamespace(id=user.id, email=user.email, name=user.name)


def build_sample(app: Flask) -> Sample:
    """Build the sample expedition on the test database; its people log in with TEST_PASSWORD."""
    with app.app_context():
        built = build_expedition(db.session, load_story("finished"), date.today(), password_hash())
        db.session.commit()
        sabine, *peers = built.participants
        return Sample(
            expedition_id=built.expedition.id,
            participant=_person(sabine),
            facilitator=_person(built.facilitator),
            peers=[_person(u) for u in peers],
        )
