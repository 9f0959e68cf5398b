"""Reaching people between visits: notification settings, reminders, the weekly digest.

An optional area above the others: it reads meetings, boards, progress and exports to decide
who is due which reminder, and gives them through `alex.notifications.notify`, which routes each
to the app, e-mail (the outbox) or push as the person chose. Its periodic jobs (`jobs.py`) run
on the task queue's consumer.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Declare the periodic jobs on the queue (the web app and the consumer both call this)."""
    from alex.reach import jobs  # noqa: F401  (declaring the tasks is the import's effect)
