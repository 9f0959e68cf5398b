"""Boards: a participant's Vorhaben, kanban cards, sprint notes and Logbuch."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Board revisions are raised on every flush that changes cards (alex.boards.revision)."""
    from alex.boards import revision

    revision.init_app(app)
