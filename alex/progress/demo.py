"""Demo data of the progress area: Rückenwind, an answer to a request for support, a calendar link.

Builds on what the boards seeder shared with the Zirkel; with no shared cards or check-ins it
adds only the calendar link.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alex.boards.models import Card, CheckIn
from alex.progress import calendar_feed, service

KUDOS_NOTES = (
    ("learned_too", "Das probiere ich in meinem Team auch aus!"),
    ("brave_experiment", "Mutig, das einfach mal zu testen."),
    ("keep_going", "Bleib dran – man sieht, wie es vorangeht."),
)


def seed(session: Session, demo) -> None:
    """Some Rückenwind between the participants, a support answer, Ada's calendar link."""
    expedition = demo.expedition
    people = demo.participants
    zirkel_link = f"/expeditions/{expedition.id}/zirkel"
    for giver, receiver, (kind, note) in zip(
        people[1:] + people[:1], people, KUDOS_NOTES, strict=False
    ):
        card = session.scalar(
            select(Card)
            .where(
                Card.expedition_id == expedition.id,
                Card.owner_id == receiver.id,
                Card.visibility == service.SHARED,
                Card.column.in_(("learning", "done")),
            )
            .order_by(Card.id)
            .limit(1)
        )
        if card is not None:
            service.send_kudos(session, giver.id, card, kind, note, f"{zirkel_link}#rueckenwind")
    request = session.scalar(
        select(CheckIn)
        .where(
            CheckIn.expedition_id == expedition.id,
            CheckIn.visibility == service.SHARED,
            CheckIn.needs_support.is_(True),
            CheckIn.support_cleared_at.is_(None),
        )
        .order_by(CheckIn.created_at.desc())
        .limit(1)
    )
    if request is not None:
        helper = next(p for p in people if p.id != request.user_id)
        service.respond_to_support(
            session,
            helper.id,
            request,
            "note",
            "Frag mal im IT-Referat nach Frau Demir – sie hat das schon einmal gemacht.",
            f"{zirkel_link}#member-{request.user_id}",
        )
    calendar_feed.renew_token(session, expedition.id, people[0].id)
    session.flush()
