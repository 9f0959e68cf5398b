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
from functools import cache
from itertools import chain

from sqlalchemy import bindparam, event, exists, select, update
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
    connection = session.connection()
    if boards:
        rows = [{"b_expedition": e, "b_owner": o} for e, o in sorted(boards)]
        connection.execute(_raise_for_board(), rows)
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
    """For writes that bypass the ORM's flush (bulk inserts of the demo seed)."""
    session.connection().execute(
        _raise_for_board(), {"b_expedition": expedition_id, "b_owner": owner_id}
    )


class RevisionCache:
    """The newest loaded revision of each key, least recently used first out.

    Keyed by what was loaded (a board: expedition, owner, membership, shared-only) with its
    revision beside: a newer revision replaces the older one, so a key that changes often holds
    one entry. Bounded by the entries' total size (cards, for boards).
    """

    def __init__(self, max_cards: int = CACHED_CARDS_MAX):
        self.max_cards = max_cards
        self._entries: OrderedDict[tuple, tuple[int, object, int]] = OrderedDict()
        self._cards = 0
        self._lock = threading.Lock()  # gunicorn's threads share a worker's cache

    def get_or_load(
        self, board: tuple, revision: int, load: Callable[[], object], size: Callable
    ) -> object:
        with self._lock:
            found = self._entries.get(board)
            if found is not None and found[0] == revision:
                self._entries.move_to_end(board)
                return found[1]
        value = load()
        cards = size(value)
        with self._lock:
            found = self._entries.get(board)
            if found is None or found[0] < revision:  # never replace a newer one
                if found is not None:
                    self._cards -= found[2]
                self._entries[board] = (revision, value, cards)
                self._entries.move_to_end(board)
                self._cards += cards
            while self._cards > self.max_cards and len(self._entries) > 1:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._cards -= dropped
        return value
