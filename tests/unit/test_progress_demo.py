"""The progress demo seeder: Rückenwind, a support answer and a calendar link on the demo expedition."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from alex.boards.models import CheckIn
from alex.boards.service import create_card
from alex.demo import seed_demo
from alex.progress import demo
from alex.progress.models import CalendarToken, Kudos, SupportResponse


def test_demo_seeds_a_calendar_link_even_without_boards(session):
    seeded = seed_demo(session, date.today())
    session.commit()
    token = session.scalar(select(CalendarToken))
    assert token.user_id == seeded.participants[0].id and token.revoked_at is None


def test_demo_sends_rueckenwind_and_answers_support(session):
    seeded = seed_demo(session, date.today())
    exp_id = seeded.expedition.id
    for person in seeded.participants:
        card = create_card(
            session, exp_id, person.id, "Gelernt", column="learning", sprint_number=1
        )
        card.learning = "Etwas gelernt"
    session.add(
        CheckIn(
            expedition_id=exp_id, user_id=seeded.participants[1].id, needs_support=True, stuck="IT"
        )
    )
    session.flush()
    demo.seed(session, seeded)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Kudos)) == 3
    assert session.scalar(select(func.count()).select_from(SupportResponse)) == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(CalendarToken)
            .where(CalendarToken.revoked_at.is_(None))
        )
        == 1
    )  # renewing revoked the first seeder run's link
