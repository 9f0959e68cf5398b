"""The Zirkel page costs a constant number of SQL statements, whatever the Zirkel's size."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from alex.boards.models import Card, CheckIn
from alex.extensions import db
from alex.progress import service
from tests.support.accounts import login, password_hash
from tests.support.zirkel import build_zirkel


@contextmanager
def count_statements(app):
    """Count every statement sent to the database inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _zirkel(app, members: int, sprints_elapsed: int):
    with app.app_context():
        data = build_zirkel(
            db.session,
            members=members,
            sprints_elapsed=sprints_elapsed,
            cards_per_member=12,
            password_hash=password_hash(),
            today=date.today(),
        )
        _encourage(db.session, data)
        db.session.commit()
        return data.expedition.id, data.members[0].email, data.facilitator.email


def _encourage(session, data) -> None:
    """Rückenwind and support answers from everyone else for the first member (it grows with N)."""
    receiver = data.members[0]
    cards = data.shared_card_ids[receiver.id]
    request = session.get(CheckIn, data.support_check_in_id)
    for i, other in enumerate(data.members[1:]):
        card = session.get(
            Card, cards[i % len(cards)]
        )  # a different card each: no shared lazy load
        service.send_kudos(session, other.id, card, "keep_going", "Weiter so!")
        service.respond_to_support(session, other.id, request, "talk")


@pytest.mark.parametrize("role", ["participant", "facilitator"])
def test_page_statements_do_not_grow_with_members_or_sprints(app, role):
    counts = {}
    for members, sprints_elapsed in ((2, 1), (8, 6)):
        expedition_id, member_email, facilitator_email = _zirkel(app, members, sprints_elapsed)
        client = app.test_client()
        login(client, member_email if role == "participant" else facilitator_email)
        client.get(f"/expeditions/{expedition_id}/zirkel")  # warm caches (e.g. statics)
        with count_statements(app) as statements:
            response = client.get(f"/expeditions/{expedition_id}/zirkel")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert page.count('<article class="member-tile') == members
        counts[(members, sprints_elapsed)] = len(statements)
    print(f"statements per Zirkel page ({role}): {counts}")
    assert counts[(2, 1)] == counts[(8, 6)], counts
    assert counts[(2, 1)] <= 25, counts
