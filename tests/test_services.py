"""Domain functions called directly, without HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from alex.auth import service as auth
from alex.expeditions import service
from alex.expeditions.models import Membership
from tests.support.accounts import TEST_PASSWORD


@pytest.fixture
def people(world):
    """Accounts made before the test's own session opens (SQLite has one writer at a time)."""
    return [world.user(name) for name in ("Mona Moderation", "Ada Lorenz", "Cem Yıldız")]


def _setup(session, people):
    mona, ada = session.merge(people[0]), session.merge(people[1])
    expedition = service.create_expedition(
        session, mona, service.ExpeditionSettings("Runde", "", date(2026, 1, 5))
    )
    return mona, ada, expedition


def test_create_expedition_makes_facilitator(session, people):
    mona, _ada, expedition = _setup(session, people)
    (membership,) = service.members(session, expedition)
    assert membership.user_id == mona.id and membership.is_facilitator
    assert service.expedition_end(expedition) == date(2026, 6, 21)


def test_single_use_invite_admits_one(session, people):
    mona, ada, expedition = _setup(session, people)
    cem = session.merge(people[2])
    invite = service.create_invite(session, expedition, mona, single_use=True)
    service.accept_invite(session, invite, ada)
    assert service.accept_invite(session, invite, ada).user_id == ada.id  # again: no change
    with pytest.raises(service.ExpeditionError):
        service.accept_invite(session, invite, cem)
    assert service.find_usable_invite(session, invite.token) is None
    assert service.find_usable_invite(session, "'; DROP TABLE invite; --") is None


def test_roles_keep_a_facilitator(session, people):
    mona, ada, expedition = _setup(session, people)
    session.add(Membership(expedition=expedition, user_id=ada.id))
    session.flush()
    own = next(m for m in service.members(session, expedition) if m.user_id == mona.id)
    with pytest.raises(service.ExpeditionError):
        service.set_roles(session, own, is_facilitator=False, is_participant=True)
    with pytest.raises(service.ExpeditionError):
        service.remove_member(session, own)
    with pytest.raises(service.ExpeditionError):
        service.set_roles(session, own, is_facilitator=False, is_participant=False)
    other = next(m for m in service.members(session, expedition) if m.user_id == ada.id)
    service.set_roles(session, other, is_facilitator=True, is_participant=True)
    service.set_roles(session, own, is_facilitator=False, is_participant=True)
    assert service.facilitator_count(session, expedition) == 1


def test_shift_detection(session, people):
    _mona, _ada, expedition = _setup(session, people)
    same = service.settings_of(expedition)
    assert not service.shifts_sprints(expedition, same)
    moved = service.ExpeditionSettings("Runde", "", date(2026, 1, 12))
    assert service.shifts_sprints(expedition, moved)
    # A new title or description leaves the sprints where they are; their length moves them.
    renamed = replace(same, title="Neue Runde", description="Mit Beschreibung")
    assert not service.shifts_sprints(expedition, renamed)
    assert service.shifts_sprints(expedition, replace(same, sprint_weeks=same.sprint_weeks + 1))
    assert service.shifts_sprints(expedition, replace(same, sprint_count=same.sprint_count - 1))


@pytest.fixture
def ada(world):
    return world.user("Ada Lorenz", "ada@example.org")


def test_authenticate_counts_failures_and_makes_strangers_wait(ada, session):
    from alex.auth.attempts import Check, DelayPolicy, seconds_to_wait

    user = ada
    policy = DelayPolicy(threshold=2, unit_seconds=60, max_seconds=600)
    for _ in range(2):
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(session, "ada@example.org", "wrong", policy)
    stored = session.get(type(user), user.id)
    assert 0 < seconds_to_wait(stored, Check.PASSWORD) <= 60
    with pytest.raises(auth.AuthError) as refused:
        auth.authenticate(session, "ada@example.org", TEST_PASSWORD, policy)
    assert not isinstance(refused.value, auth.LoginFailed)  # waiting: not checked, not counted
    # A browser that logged in to this account before is not kept waiting.
    assert auth.authenticate(session, "ada@example.org", TEST_PASSWORD, policy, {user.id})


@pytest.mark.parametrize(
    ("failures", "wait"), [(0, 0), (2, 0), (3, 1), (4, 2), (6, 8), (13, 900), (10**6, 900)]
)
def test_the_wait_doubles_up_to_its_cap(failures, wait):
    from alex.auth.attempts import DelayPolicy

    assert DelayPolicy(threshold=3, unit_seconds=1, max_seconds=900).wait_after(failures) == wait


def test_password_problem_is_offline_and_specific():
    assert auth.password_problem("kurz", []) is not None
    assert auth.password_problem("Ada Lorenz1", ["Ada Lorenz"]) is not None
    assert auth.password_problem("Ada Lorenz1", []) is None  # only weak for Ada herself
    assert auth.password_problem("purple kites over hamburg", []) is None
