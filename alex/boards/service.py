"""Board domain functions. Take a session and plain values; never touch the request."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alex.boards.models import CARD_KINDS, COLUMNS, TITLE_MAX, VISIBILITIES, Card, CardMove


class BoardError(Exception):
    """A board change that cannot go ahead; the message is shown to the user."""


def create_card(
    session: Session,
    expedition_id: int,
    owner_id: int,
    title: str,
    *,
    column: str = "ideas",
    kind: str = "task",
    sprint_number: int | None = None,
    visibility: str = "zirkel",
    notes: str = "",
    hypothesis: str = "",
) -> Card:
    """Add a card at the end of a column of the owner's board and record its creation as a move."""
    if column not in COLUMNS or kind not in CARD_KINDS or visibility not in VISIBILITIES:
        raise ValueError("unknown column, kind or visibility")
    title = title.strip()[:TITLE_MAX]
    next_position = session.scalar(
        select(func.coalesce(func.max(Card.position) + 1, 0)).where(
            Card.expedition_id == expedition_id, Card.owner_id == owner_id, Card.column == column
        )
    )
    card = Card(
        expedition_id=expedition_id,
        owner_id=owner_id,
        title=title,
        column=column,
        position=next_position,
        kind=kind,
        sprint_number=sprint_number,
        visibility=visibility,
        notes=notes,
        hypothesis=hypothesis,
    )
    session.add(card)
    session.flush()
    session.add(
        CardMove(card_id=card.id, from_column=None, to_column=column, sprint_number=sprint_number)
    )
    return card
