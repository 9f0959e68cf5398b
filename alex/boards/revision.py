"""Board revisions: every change of a person's cards raises their membership's counter in the
same transaction, so a board loaded at one revision can be reused until the counter moves
(alex.caching.RevisionCache; docs/PERFORMANCE.md).

The counter is raised by a flush hook rather than by each writing function, so a new way of
changing cards through the ORM cannot forget it; writes that bypass the flush (the move's Core
statements, bulk inserts) call `raise_board_revision` themselves. A writer raises it first:
the UPDATE locks the membership row, so two writers to one board take turns.
"""

from __future__ import annotations

from functools import cache
from itertools import chain

from sqlalchemy import bindparam, event, exists, select, update
from sqlalchemy.orm import Session

from alex.boards.models import Card, ChecklistItem
from alex.expeditions.models import Membership

_RAISED = "alex_raised_boards"  # session.info: (transaction, boards raised in it)


def init_app(app) -> None:
    """Raise board revisions on every flush of every session (once per process)."""
    if not event.contains(Session, "after_flush", _raise_board_revisions):
        event.listen(Session, "after_flush", _raise_board_revisions)


def _raised_in_this_transaction(session: Session) -> set[tuple[int, int]]:
    """The boards whose revision this transaction raised already (once is enough)."""
    transaction = session.get_transaction()
    found = session.info.get(_RAISED)
    if found is None or found[0] is not transaction:
        found = session.info[_RAISED] = (transaction, set())
    return found[1]


def _raise_board_revisions(session: Session, _context) -> None:
    """Raise the revision of every board whose cards or checklists this flush changed."""
    boards: set[tuple[int, int]] = set()
    checklist_cards: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Card):
            boards.add((obj.expedition_id, obj.owner_id))
        elif isinstance(obj, ChecklistItem):
            if obj.card is not None and obj.card.expedition_id is not None:
                boards.add((obj.card.expedition_id, obj.card.owner_id))
            elif obj.card_id is not None:
                checklist_cards.add(obj.card_id)
    if not boards and not checklist_cards:
        return
    raised = _raised_in_this_transaction(session)
    boards -= raised
    connection = session.connection()
    if boards:
        rows = [{"b_expedition": e, "b_owner": o} for e, o in sorted(boards)]
        connection.execute(_raise_for_board(), rows)
        raised.update(boards)
    if checklist_cards:
        connection.execute(_raise_for_card(), [{"b_card": c} for c in sorted(checklist_cards)])


# Built once: a flush runs them (parameters b_-prefixed, UPDATE reserves the column names).
@cache
def _raise_for_board():
    return (
        update(Membership)
        .where(
            Membership.expedition_id == bindparam("b_expedition"),
            Membership.user_id == bindparam("b_owner"),
        )
        .values(board_revision=Membership.board_revision + 1)
    )


@cache
def _raise_for_card():
    """The board of the card a checklist line belongs to."""
    on_that_board = exists(
        select(Card.id).where(
            Card.id == bindparam("b_card"),
            Card.expedition_id == Membership.expedition_id,
            Card.owner_id == Membership.user_id,
        )
    )
    return (
        update(Membership).where(on_that_board).values(board_revision=Membership.board_revision + 1)
    )


def raise_board_revision(session: Session, expedition_id: int, owner_id: int) -> None:
    """Raise one board's revision now, taking its lock until the transaction ends.

    Writers call it before they read positions; the flush hook then skips this board.
    """
    raised = _raised_in_this_transaction(session)
    session.connection().execute(
        _raise_for_board(), {"b_expedition": expedition_id, "b_owner": owner_id}
    )
    raised.add((expedition_id, owner_id))
