"""Imports every area's models, so Base.metadata is complete for Alembic and the tests."""

from alex.auth.models import LoginSession, User
from alex.db import Base
from alex.expeditions.models import Expedition, Invite, Membership

__all__ = ["Base", "Expedition", "Invite", "LoginSession", "Membership", "User"]
