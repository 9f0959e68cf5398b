"""Imports every area's models, so Base.metadata is complete for Alembic and the tests."""

from alex.auth.models import LoginSession, PasswordReset, User
from alex.boards.models import (
    Card,
    CardMove,
    CheckIn,
    ChecklistItem,
    SprintReflection,
    Vorhaben,
    VorhabenVersion,
)
from alex.certificates.models import Certificate
from alex.db import Base
from alex.expeditions.models import Expedition, Invite, Membership
from alex.exports.models import FinalReflection, ReportSelection
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
from alex.notifications import (
    DigestSetting,
    ExpeditionNotificationDefault,
    Notification,
    NotificationPreference,
)
from alex.outbox import OutboxMessage
from alex.progress.models import CalendarToken, Kudos, SupportResponse
from alex.push.models import PushSubscription
from alex.reach.models import NudgeSent
from alex.twofactor.models import RecoveryCode, TwoFactor, TwoFactorRequirement

__all__ = [
    "FinalReflection",
    "ReportSelection",
    "Attendance",
    "Base",
    "CalendarToken",
    "Certificate",
    "Card",
    "CardMove",
    "CheckIn",
    "ChecklistItem",
    "Expedition",
    "FinalReflection",
    "Invite",
    "Kudos",
    "LoginSession",
    "Meeting",
    "ReportSelection",
    "Membership",
    "PushSubscription",
    "Retro",
    "RetroAction",
    "RetroGroup",
    "RetroItem",
    "RetroTemplate",
    "RetroVote",
    "Notification",
    "NotificationPreference",
    "ExpeditionNotificationDefault",
    "DigestSetting",
    "NudgeSent",
    "PasswordReset",
    "OutboxMessage",
    "RecoveryCode",
    "SprintReflection",
    "SupportResponse",
    "TwoFactor",
    "TwoFactorRequirement",
    "User",
    "Vorhaben",
    "VorhabenVersion",
]
