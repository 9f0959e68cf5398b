"""PostgreSQL: requests that only read run without a transaction; those that may write run in one.

BEGIN and ROLLBACK are two round trips of the four an unchanged meeting poll costs, so GET, HEAD
and OPTIONS run their statements in autocommit. A write in such a request is refused, never
committed statement by statement.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from alex.auth.models import User
from alex.db import WriteInReadOnlyRequest
from alex.extensions import db


@pytest.fixture
def probed(make_app, app_config):
    """An app with a route that reports the transaction state after a statement."""
    if not app_config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite keeps its read transactions (they cost no round trip)")
    application = make_app(WTF_CSRF_ENABLED=False)

    @application.route("/_transaction", methods=["GET", "POST"])
    def transaction_state():
        db.session.scalar(text("SELECT 1"))
        return db.session.connection().connection.dbapi_connection.info.transaction_status.name

    return application


def test_reads_run_without_a_transaction_and_writes_in_one(probed):
    client = probed.test_client()
    # Alternating, on the pool's connections: a connection a GET used goes back as it came.
    for _ in range(3):
        assert client.get("/_transaction").get_data(as_text=True) == "IDLE"
        assert client.post("/_transaction").get_data(as_text=True) == "INTRANS"


def test_a_read_only_request_that_writes_is_refused_and_nothing_is_stored(probed, world):
    ada = world.user("Ada Lorenz")

    @probed.get("/_rename")
    def rename():
        db.session.execute(update(User).where(User.id == ada.id).values(name="Geändert"))
        return "renamed"

    with pytest.raises(WriteInReadOnlyRequest):
        probed.test_client().get("/_rename")
    with probed.app_context():
        assert db.session.scalar(select(User.name).where(User.id == ada.id)) == "Ada Lorenz"
