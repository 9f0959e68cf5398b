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
from alex.meetings.models import (
    Attendance,
    Meeting,
    Retro,
    RetroAction,
    RetroGroup,
    RetroItem,
    RetroTemplate,
    RetroVote,
)
from alex.progress.models import CalendarToken, Kudos, Notification, SupportResponse

__all__ = [
    "Attendance",
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
    "Retro",
    "RetroAction",
    "RetroGroup",
    "RetroItem",
    "RetroTemplate",
    "RetroVote",
    "Notification",
    "SprintReflection",
    "SupportResponse",
    "User",
    "Vorhaben",
    "VorhabenVersion",
]
