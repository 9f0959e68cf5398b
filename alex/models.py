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
from alex.exports.models import FinalReflection, ReportSelection
from alex.meetings.models import Meeting

__all__ = [
    "Base",
    "Card",
    "CardMove",
    "CheckIn",
    "ChecklistItem",
    "Expedition",
    "FinalReflection",
    "Invite",
    "LoginSession",
    "Meeting",
    "ReportSelection",
    "Membership",
    "SprintReflection",
    "User",
    "Vorhaben",
    "VorhabenVersion",
]
