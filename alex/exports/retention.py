"""The retention command: delete expeditions whose deletion date has passed, and say what went."""

from __future__ import annotations

from datetime import date

import click

from alex.auth.instance import record_retention_run
from alex.exports.data_rights import purge_expired
from alex.extensions import db


def purge_expired_cli(today: date | None = None, sessions_deleted: int = 0) -> None:
    """Run the purge in one transaction and print one line per removed expedition.

    The run is recorded (when, how many expeditions and login sessions: counts, never titles)
    in the same transaction, for the operator's console.
    """
    purged = purge_expired(db.session, today or date.today())
    record_retention_run(db.session, expeditions=len(purged), sessions=sessions_deleted)
    db.session.commit()
    if not purged:
        click.echo("No expedition is due for deletion.")
        return
    for item in purged:
        click.echo(
            f"Deleted expedition #{item.id} “{item.title}” "
            f"(due {item.deletion_date.isoformat()}, {item.members} member(s))."
        )
    click.echo(f"{len(purged)} expedition(s) deleted with all their data.")
