"""Cards made straight through the boards service, and read back outside any session."""

from __future__ import annotations

from alex.boards import service
from alex.boards.models import Card
from alex.extensions import db


def make_card(app, expedition, user, title, **kwargs):
    """A card straight through the service; returns its id."""
    with app.app_context():
        card = service.create_card(db.session, expedition.id, user.id, title, **kwargs)
        db.session.commit()
        return card.id


def fresh(app, card_id):
    """The card as stored now (detached), or None when it is gone."""
    with app.app_context():
        card = db.session.get(Card, card_id)
        if card is None:
            return None
        db.session.expunge(card)
        return card
