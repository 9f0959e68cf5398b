"""The reach area's periodic work on the task queue (Huey): reminders and the weekly digest.

Both run every 15 minutes; what is due is decided from the database and the clock (see
`alex.reach.nudges` and `alex.reach.digest`), so a missed run loses nothing and a second run
gives nothing twice.
"""

from __future__ import annotations

from alex.db import utcnow
from alex.extensions import db
from alex.reach.digest import send_digests
from alex.reach.nudges import give_nudges
from alex.tasks import app_periodic_task, crontab


@app_periodic_task(crontab(minute="*/15"))
def nudge_people() -> int:
    """Give the reminders due now."""
    given = give_nudges(db.session, utcnow())
    db.session.commit()
    return given


@app_periodic_task(crontab(minute="7,37"))
def send_weekly_digests() -> int:
    """Hand the digests due now to the outbox."""
    sent = send_digests(db.session, utcnow())
    db.session.commit()
    return sent
