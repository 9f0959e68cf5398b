"""The demo expedition: four people with their own story, built by the one builder from demo.toml."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from alex.boards.models import Card, CheckIn, SprintReflection, Vorhaben
from alex.demo import DEMO, FACILITATOR, PARTICIPANTS, seed_demo
from alex.demo.build import GENERIC_TITLES
from alex.demo.story import PersonSpec, Story, from_dict
from alex.meetings.models import RetroAction
from alex.progress.models import CalendarToken, Kudos, SupportResponse


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_logins_the_readme_names():
    assert FACILITATOR == ("moderation@example.org", "Mona Moderation")
    assert [email for email, _ in PARTICIPANTS] == [
        "ada@example.org",
        "ben@example.org",
        "cem@example.org",
    ]


def test_each_participant_has_an_own_vorhaben_and_board(session):
    seeded = seed_demo(session, date.today())
    session.commit()
    people = seeded.participants
    vorhaben = session.scalars(select(Vorhaben.what).order_by(Vorhaben.user_id)).all()
    assert len(set(vorhaben)) == len(people) == 3
    titles = session.scalars(select(Card.title)).all()
    assert len(titles) == len(set(titles)), "every card has its own title"
    assert not [t for t in titles if t.startswith("Karte ")]
    for user in people:
        experiments = session.scalars(
            select(Card).where(
                Card.owner_id == user.id,
                Card.kind == "experiment",
                Card.column == "done",
                Card.hypothesis != "",
                Card.result != "",
                Card.learning != "",
            )
        ).all()
        assert experiments, f"{user.name} has a finished experiment: hypothesis → result → learning"
        assessed = session.scalars(
            select(SprintReflection.sprint_number).where(
                SprintReflection.user_id == user.id, SprintReflection.confidence.is_not(None)
            )
        ).all()
        assert sorted(assessed) == [1, 2]  # sprint 3 is running


def test_rueckenwind_and_support_between_real_people(session):
    seeded = seed_demo(session, date.today())
    session.commit()
    exp_id = seeded.expedition.id
    kudos = session.scalars(select(Kudos).where(Kudos.expedition_id == exp_id)).all()
    assert len(kudos) == 3
    assert {k.receiver_id for k in kudos} == {p.id for p in seeded.participants}
    for k in kudos:
        card = session.get(Card, k.card_id)
        assert card.owner_id == k.receiver_id != k.sender_id and card.visibility == "zirkel"
    (request,) = session.scalars(
        select(CheckIn).where(
            CheckIn.expedition_id == exp_id,
            CheckIn.visibility == "zirkel",
            CheckIn.needs_support.is_(True),
        )
    ).all()
    (answer,) = session.scalars(select(SupportResponse)).all()
    assert answer.check_in_id == request.id and answer.responder_id != request.user_id
    token = session.scalar(select(CalendarToken))
    assert token.user_id == seeded.participants[0].id and token.revoked_at is None


def test_bigger_boards_are_filled_with_plausible_cards(session):
    seeded = seed_demo(session, date.today(), cards_per_board=40)
    session.commit()
    ada = seeded.participants[0]
    story = {c.title for c in DEMO.person("ada").cards}
    from_retro = select(RetroAction.card_id).where(RetroAction.card_id.is_not(None))
    titles = session.scalars(
        select(Card.title).where(Card.owner_id == ada.id, Card.id.not_in(from_retro))
    ).all()
    generated = [t for t in titles if t not in story]
    assert len(generated) == 40 - len(story)
    assert all(t.split(" (")[0] in GENERIC_TITLES for t in generated)


def test_a_story_with_a_mistyped_key_is_refused():
    with pytest.raises(ValueError, match="titel"):
        from_dict(
            Story,
            {"title": "x", "people": [{"key": "a", "name": "A", "email": "a@x", "titel": "?"}]},
        )
    assert from_dict(
        Story, {"title": "x", "people": [{"key": "a", "name": "A", "email": "a@x"}]}
    ).people == [PersonSpec("a", "A", "a@x")]
