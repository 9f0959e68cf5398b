"""Test data for the exports area: a finished six-sprint expedition with a full record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from alex.extensions import db
from tests.conftest import TEST_PASSWORD


@dataclass
class Sample:
    """Ids and accounts of the sample expedition (plain values, usable outside the session)."""

    expedition_id: int
    participant: SimpleNamespace  # the one with the full record
    facilitator: SimpleNamespace
    peers: list[SimpleNamespace]


def _person(user) -> SimpleNamespace:
    return SimpleNamespace(id=user.id, email=user.email, name=user.name)


@pytest.fixture(name="sample")
def sample_fixture(app) -> Sample:
    """Build the sample expedition on the emptied test database."""
    from alex.expeditions.models import Membership
    from alex.exports.sample import build_finished_expedition

    with app.app_context():
        built = build_finished_expedition(db.session, date.today(), password=TEST_PASSWORD)
        db.session.commit()
        facilitator = (
            db.session.scalars(
                select(Membership).where(
                    Membership.expedition_id == built.expedition.id,
                    Membership.is_facilitator.is_(True),
                )
            )
            .one()
            .user
        )
        return Sample(
            expedition_id=built.expedition.id,
            participant=_person(built.participant),
            facilitator=_person(facilitator),
            peers=[_person(u) for u in built.others],
        )
