"""A small circle for the reach tests (digest, nudges, mails, meeting series): Mona facilitates
without taking part, the others take part."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from alex.extensions import db
from alex.notifications import set_preference

MONA = "Mona Moderation"
PEOPLE = ("Ada Lorenz", "Ben Okafor")


def make_circle(
    app,
    world,
    *,
    start: date = date(2026, 10, 5),
    people: Iterable[str] = PEOPLE,
    english: Iterable[str] = (),
    in_app: Mapping[str, Iterable[str]] | None = None,
) -> tuple:
    """(expedition, mona, *people) in an expedition of six two-week sprints from `start`.

    `english`: the names whose accounts read English; `in_app`: name → the kinds that person
    sends to the app only (everything else keeps the defaults).
    """
    mona = world.user(MONA)
    members = [world.user(name) for name in people]
    expedition = world.expedition(
        mona, start=start, participates=False, sprint_weeks=2, sprint_count=6
    )
    for person in members:
        world.join(expedition, person)
    by_name = {MONA: mona} | {person.name: person for person in members}
    with app.app_context():
        for name in english:
            db.session.merge(by_name[name]).locale = "en"
        for name, kinds in (in_app or {}).items():
            for kind in kinds:
                set_preference(db.session, by_name[name].id, kind, "app")
        db.session.commit()
    return (expedition, mona, *members)
