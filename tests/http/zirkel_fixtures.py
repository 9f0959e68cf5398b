"""Fixtures of the Zirkel tests (imported by each test module): a busy expedition whose members can log in."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import pytest

from alex.auth.service import hash_password
from alex.extensions import db
from tests.conftest import TEST_PASSWORD, _detached
from tests.zirkel_data import build_zirkel


@cache
def _password_hash() -> str:
    return hash_password(TEST_PASSWORD)  # argon2 is slow on purpose: once per run


@pytest.fixture(name="zirkel")
def zirkel_fixture(app, world):
    """An expedition in sprint 3 with Ada (asks for support), Ben and Cem, moderated by Mona."""
    with app.app_context():
        data = build_zirkel(db.session, password_hash=_password_hash())
        db.session.commit()
        expedition_id = data.expedition.id
        users = [_detached(u) for u in (data.facilitator, *data.members)]
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
