"""Board revisions: every change of a person's cards raises their membership's counter, and a
board loaded at one revision is reused (per process) until the counter moves.

The counter is raised in the same transaction as the change, by a flush hook rather than by each
writing function, so a new way of changing cards cannot forget it. The Core statements that
shift positions always run together with the moved card's own (ORM) change.

Readers get data at least as new as the revision they read: the membership row comes first in
the request and the cards after it, so an entry is never older than its label. Only GET requests
use the cache; a request that writes reads its own changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from itertools import chain

from sqlalchemy import and_, event, exists, or_, select, update
from sqlalchemy.orm import Session

from alex.boards.models import Card, ChecklistItem
from alex.expeditions.models import Membership

# About 35 MB per worker at most: rows and HTML of the boards most recently looked at.
CACHED_CARDS_MAX = 20_000


@event.listens_for(Session, "after_flush")
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
    conditions = [
        and_(Membership.expedition_id == e, Membership.user_id == o) for e, o in sorted(boards)
    ]
    if checklist_cards:
        conditions.append(
            exists(
                select(Card.id).where(
                    Card.id.in_(sorted(checklist_cards)),
                    Card.expedition_id == Membership.expedition_id,
                    Card.owner_id == Membership.user_id,
                )
            )
        )
    session.connection().execute(
        update(Membership)
        .where(or_(*conditions))
        .values(board_revision=Membership.board_revision + 1)
    )


def raise_board_revision(session: Session, expedition_id: int, owner_id: int) -> None:
    """For writes that bypass the ORM's flush (bulk inserts of the demo seed)."""
    session.execute(
        update(Membership)
        .where(Membership.expedition_id == expedition_id, Membership.user_id == owner_id)
        .values(board_revision=Membership.board_revision + 1)
    )


class BoardCache:
    """Boards by (expedition, owner, shared-only, revision), least recently used first out."""

    def __init__(self, max_cards: int = CACHED_CARDS_MAX):
        self.max_cards = max_cards
        self._entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._cards = 0
        self._lock = threading.Lock()  # gunicorn's threads share a worker's cache

    def get_or_load(self, key: tuple, load: Callable[[], object], size: Callable) -> object:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        value = load()
        cards = size(value)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (value, cards)
                self._cards += cards
            while self._cards > self.max_cards and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._cards -= dropped
        return value
