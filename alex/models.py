"""Imports every area's models, so Base.metadata is complete for Alembic and the tests."""

from alex.auth.models import LoginSession, User
from alex.boards.models import (
    Card,
    CardMove,
    CheckIn,
    ChecklistItem,
    SprintReflection,
    Vorhaben,
    VorhabenVersion,
)
from alex.db import Base
from alex.expeditions.models import Expedition, Invite, Membership
from alex.meetings.models import Meeting
from alex.progress.models import CalendarToken, Kudos, Notification, SupportResponse

__all__ = [
    "Base",
    "CalendarToken",
    "Card",
    "CardMove",
    "CheckIn",
    "ChecklistItem",
    "Expedition",
    "Invite",
    "Kudos",
    "LoginSession",
    "Meeting",
    "Membership",
    "Notification",
    "SprintReflection",
    "SupportResponse",
    "User",
    "Vorhaben",
    "VorhabenVersion",
]
