"""The progress demo seeder: Rückenwind, a support answer and a calendar link on the demo expedition."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from alex.boards.models import CheckIn
from alex.demo import seed_demo
from alex.progress.models import CalendarToken, Kudos, SupportResponse


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_builds_on_the_boards_seed(session):
    seeded = seed_demo(session, date.today())
    session.commit()
    exp_id = seeded.expedition.id
    assert _count(session, Kudos, Kudos.expedition_id == exp_id) == 3
    receivers = set(session.scalars(select(Kudos.receiver_id)))
    assert receivers == {p.id for p in seeded.participants}
    open_requests = _count(
        session,
        CheckIn,
        CheckIn.expedition_id == exp_id,
        CheckIn.visibility == "zirkel",
        CheckIn.needs_support.is_(True),
        CheckIn.support_cleared_at.is_(None),
    )
    assert _count(session, SupportResponse) == (1 if open_requests else 0)
    token = session.scalar(select(CalendarToken))
    assert token.user_id == seeded.participants[0].id and token.revoked_at is None
