"""Meetings: the Zirkeltreffen, Boxenstopps, Auftakt and Abschluss, and their retros."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Tell the expedition calendar which meetings are scheduled (its "next meeting")."""
    from alex.expeditions.service import register_upcoming_meetings
    from alex.meetings.service import upcoming_meetings

    register_upcoming_meetings(app, upcoming_meetings)
