"""The retention command: delete expeditions whose deletion date has passed, and say what went."""

from __future__ import annotations

from datetime import date, timedelta

import click

from alex import outbox
from alex.auth.instance import record_retention_run
from alex.auth.recovery import purge_spent
from alex.db import utcnow
from alex.exports.data_rights import purge_expired
from alex.exports.hooks import hooks
from alex.extensions import db

# Keys that ran out (expired API tokens, used or expired reset links) and finished outbox
# messages stay this long, so the token list can still say "expired" and a mail's fate can be
# looked up; then nothing needs them and they go.
SPENT_KEPT = timedelta(days=30)


def purge_expired_cli(today: date | None = None, sessions_deleted: int = 0) -> None:
    """Run the purge in one transaction and print one line per removed expedition.

    Spent keys go too: reset links, finished outbox messages and, from the areas that register
    a purge, expired API tokens. The run is recorded (when, how many expeditions and login sessions: counts, never
    titles) in the same transaction, for the operator's console.
    """
    cutoff = utcnow() - SPENT_KEPT
    spent = {
        "used or expired password reset link(s)": purge_spent(db.session, cutoff),
        "sent or failed outbox message(s)": outbox.purge_finished(db.session, cutoff),
    }
    spent.update({name: purge(db.session, cutoff) for name, purge in hooks().purges.items()})
    purged = purge_expired(db.session, today or date.today())
    record_retention_run(db.session, expeditions=len(purged), sessions=sessions_deleted)
    db.session.commit()
    for name, count in spent.items():
        click.echo(f"{count} {name} deleted.")
    if not purged:
        click.echo("No expedition is due for deletion.")
        return
    for item in purged:
        click.echo(
            f"Deleted expedition #{item.id} “{item.title}” "
            f"(due {item.deletion_date.isoformat()}, {item.members} member(s))."
        )
    click.echo(f"{len(purged)} expedition(s) deleted with all their data.")
