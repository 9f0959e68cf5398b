"""The console's commands: name the first operator from the shell; the purge records its run."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from alex.auth.instance import RetentionRun
from alex.auth.models import User
from alex.extensions import db
from alex.operator.models import OperatorAuditEntry
from tests.support.accounts import login


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["alex", *args])


def _is_operator(app, user_id) -> bool:
    with app.app_context():
        return db.session.get(User, user_id).is_operator


def test_make_operator_and_revoke(app, world):
    ada = world.user("Ada Lorenz", email="ada@example.org")
    ben = world.user("Ben Okafor", email="ben@example.org")
    result = _run(app, "make-operator", "ADA@example.org")
    assert result.exit_code == 0, result.output
    assert "ada@example.org is an operator" in result.output
    assert _is_operator(app, ada.id)
    # Ada now reaches the console.
    client = app.test_client()
    login(client, "ada@example.org")
    assert client.get("/betrieb").status_code == 200
    # The last operator cannot be revoked…
    refused = _run(app, "make-operator", "--revoke", "ada@example.org")
    assert refused.exit_code != 0 and "at least one" in refused.output
    assert _is_operator(app, ada.id)
    # …but once there is another, she can.
    assert _run(app, "make-operator", "ben@example.org").exit_code == 0
    assert _run(app, "make-operator", "--revoke", "ada@example.org").exit_code == 0
    assert not _is_operator(app, ada.id) and _is_operator(app, ben.id)
    with app.app_context():
        entries = db.session.scalars(select(OperatorAuditEntry).order_by(OperatorAuditEntry.id))
        assert [(e.actor_id, e.action, e.target_user_id) for e in entries] == [
            (None, "grant", ada.id),
            (None, "grant", ben.id),
            (None, "revoke", ada.id),
        ]


def test_make_operator_of_an_unknown_address(app):
    result = _run(app, "make-operator", "nobody@example.org")
    assert result.exit_code != 0 and "No such account" in result.output


def test_the_purge_records_its_run_with_counts_only(app, world):
    facilitator = world.user("Mona Moderation")
    old = world.expedition(
        facilitator,
        title="Längst vorbei",
        start=date.today() - timedelta(days=800),
        retention_months=1,
    )
    result = _run(app, "purge-expired")
    assert result.exit_code == 0, result.output
    assert f"#{old.id}" in result.output
    with app.app_context():
        run = db.session.scalar(select(RetentionRun))
        assert (run.expeditions_deleted, run.sessions_deleted) == (1, 0)
