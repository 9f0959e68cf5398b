"""Fixtures the HTTP tests share: a small cast around one expedition and a busy Zirkel."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from alex.extensions import db
from tests.support.accounts import detached, make_cast, password_hash
from tests.support.zirkel import build_zirkel


@pytest.fixture
def zirkel(world):
    """An expedition with a facilitator, the owner Ada, her peer Ben and an outsider."""
    cast = make_cast(world)
    return {
        "expedition": cast.expedition,
        "facilitator": cast.facilitator,
        "owner": cast.ada,
        "peer": cast.ben,
        "outsider": cast.outsider,
    }


@pytest.fixture
def busy_zirkel(app, world):
    """An expedition in sprint 3 with Ada (asks for support), Ben and Cem, moderated by Mona."""
    with app.app_context():
        data = build_zirkel(db.session, password_hash=password_hash())
        db.session.commit()
        expedition_id = data.expedition.id
        users = [detached(u) for u in (data.facilitator, *data.members)]
        db.session.commit()
    return SimpleNamespace(
        expedition_id=expedition_id,
        facilitator=users[0],
        ada=users[1],
        ben=users[2],
        cem=users[3],
        outsider=world.user("Olga Außen"),
        shared_cards=data.shared_card_ids,
        private_cards=data.private_card_ids,
        shared_check_ins=data.shared_check_in_ids,
        private_check_ins=data.private_check_in_ids,
        support_check_in=data.support_check_in_id,
    )
