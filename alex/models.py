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

__all__ = [
    "Attendance",
    "Base",
    "Card",
    "CardMove",
    "CheckIn",
    "ChecklistItem",
    "Expedition",
    "Invite",
    "LoginSession",
    "Meeting",
    "Membership",
    "Retro",
    "RetroAction",
    "RetroGroup",
    "RetroItem",
    "RetroTemplate",
    "RetroVote",
    "SprintReflection",
    "User",
    "Vorhaben",
    "VorhabenVersion",
]
