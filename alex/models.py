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
from alex.twofactor.models import RecoveryCode, TwoFactor, TwoFactorRequirement

__all__ = [
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
    "RecoveryCode",
    "SprintReflection",
    "TwoFactor",
    "TwoFactorRequirement",
    "User",
    "Vorhaben",
    "VorhabenVersion",
]
