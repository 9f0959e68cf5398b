"""The one way views reach an expedition: through the current user's membership.

A non-member gets 404, exactly like a missing expedition, so ids reveal nothing.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from alex.expeditions.models import Expedition, Membership
from alex.extensions import db


def get_membership_or_404(expedition_id: int) -> Membership:
    """The current user's membership in this expedition (with the expedition loaded), or 404."""
    membership = db.session.scalar(
        select(Membership)
        .join(Membership.expedition)
        .options(contains_eager(Membership.expedition))
        .where(Membership.expedition_id == expedition_id, Membership.user_id == current_user.id)
    )
    if membership is None:
        abort(404)
    return membership


def get_facilitation_or_403(expedition_id: int) -> Membership:
    """The membership, which must carry the facilitator role: 404 for outsiders, 403 for others."""
    membership = get_membership_or_404(expedition_id)
    if not membership.is_facilitator:
        abort(403)
    return membership


def get_expedition_member_or_404(expedition: Expedition, user_id: int) -> Membership:
    """Another member of the same expedition, or 404."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.expedition_id == expedition.id, Membership.user_id == user_id
        )
    )
    if membership is None:
        abort(404)
    return membership
