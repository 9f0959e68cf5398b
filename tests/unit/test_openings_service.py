"""Service rules of the Börse and follow-up runs, without HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alex.auth.models import User
from alex.expeditions.models import Expedition
from alex.extensions import db
from alex.follow_up import service as follow_up
from alex.openings import service


@pytest.fixture
def request_session(app):
    """A writing request's session (SQLite takes its lock at the first statement)."""

    def enter():
        context = app.test_request_context(method="POST")
        context.push()
        opened.append(context)
        return db.session

    opened: list = []
    yield enter
    for context in opened:
        context.pop()


def test_listing_keeps_places_already_given(request_session, world):
    mona, cem = world.user("Mona Moderation"), world.user("Cem")
    created = world.expedition(mona)
    ctx = request_session()
    expedition = ctx.get(Expedition, created.id)
    by = ctx.get(User, mona.id)
    deadline = date.today() + timedelta(days=7)
    opening = service.list_expedition(
        ctx, expedition, by, seats=3, deadline=deadline, description="Offen"
    )
    opening.seats_taken = 2
    with pytest.raises(service.OpeningError):
        service.list_expedition(ctx, expedition, by, seats=1, deadline=deadline, description="x")
    with pytest.raises(service.OpeningError):
        service.list_expedition(ctx, expedition, by, seats=31, deadline=deadline, description="x")
    service.list_expedition(ctx, expedition, by, seats=2, deadline=deadline, description="Voll")
    listing = service.listing_for(ctx, expedition.id, ctx.get(User, cem.id))
    assert listing.seats_left == 0 and not listing.open_for_requests


def test_members_and_unlisted_expeditions_are_not_open(request_session, world):
    mona, ada, olga = world.user("Mona Moderation"), world.user("Ada Lorenz"), world.user("Olga")
    created = world.expedition(mona)
    world.join(created, ada)
    ctx = request_session()
    expedition = ctx.get(Expedition, created.id)
    opening = service.list_expedition(
        ctx,
        expedition,
        ctx.get(User, mona.id),
        seats=2,
        deadline=date.today() + timedelta(days=7),
        description="Offen",
    )
    assert service.listing_for(ctx, expedition.id, ctx.get(User, ada.id)) is None
    assert service.open_listings(ctx, ctx.get(User, ada.id)) == []
    outsider = ctx.get(User, olga.id)
    assert [item.expedition.id for item in service.open_listings(ctx, outsider)] == [expedition.id]
    service.unlist_expedition(ctx, opening)
    ctx.flush()
    assert service.open_listings(ctx, outsider) == []


@pytest.mark.parametrize(
    ("weeks_ago", "count", "expected"),
    [(1, 6, False), (21, 6, True), (30, 6, True), (0, 1, True)],
    ids=["first sprint", "last sprint", "after the end", "one-sprint expedition"],
)
def test_follow_up_at_the_closing(request_session, world, weeks_ago, count, expected):
    mona = world.user("Mona Moderation")
    start = date.today() - timedelta(weeks=weeks_ago)
    created = world.expedition(mona, start=start, sprint_count=count)
    expedition = request_session().get(Expedition, created.id)
    assert follow_up.at_closing(expedition) is expected
