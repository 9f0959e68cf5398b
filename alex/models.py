"""Imports every area's models, so Base.metadata is complete for Alembic and the tests."""

from alex.api.models import ApiToken
from alex.auth.instance import InstanceSettings, RetentionRun
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
from alex.follow_up.models import FollowUp, FollowUpInvitation
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
from alex.openings.models import JoinRequest, LibraryItem, Opening
from alex.operator.models import OperatorAuditEntry
from alex.outbox import OutboxMessage
from alex.progress.models import CalendarToken, Kudos, SupportResponse
from alex.push.models import PushSubscription
from alex.reach.models import NudgeSent
from alex.sso.models import SsoIdentity, SsoLogin
from alex.twofactor.models import RecoveryCode, TwoFactor, TwoFactorRequirement
from alex.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "ApiToken",
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
    "SsoIdentity",
    "SsoLogin",
    "SupportResponse",
    "TwoFactor",
    "TwoFactorRequirement",
    "User",
    "Vorhaben",
    "VorhabenVersion",
    "Webhook",
    "WebhookDelivery",
    "FollowUp",
    "FollowUpInvitation",
    "JoinRequest",
    "LibraryItem",
    "Opening",
    "InstanceSettings",
    "RetentionRun",
    "OperatorAuditEntry",
]
