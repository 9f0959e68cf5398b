"""Counting the SQL statements a request sends (the "constant number of queries" tests)."""

from __future__ import annotations

from sqlalchemy import event

from alex.extensions import db


def statements_for_get(app, client, url: str) -> int:
    """How many statements a GET of `url` sends; the page must answer 200."""
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)
