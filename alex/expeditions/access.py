"""The one way views reach an expedition: through the current user's membership.

A non-member gets 404, exactly like a missing expedition, so ids reveal nothing.
"""

from __future__ import annotations

from functools import cache

from flask import abort, g
from flask_login import current_user
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import contains_eager

from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from alex.twofactor.models import TwoFactor, TwoFactorRequirement


@cache
def _membership_query():
    """Built once (every expedition page runs it): membership, expedition, two-factor hold."""
    needs_second_factor = exists().where(
        TwoFactorRequirement.expedition_id == Membership.expedition_id
    ) & ~exists().where(TwoFactor.user_id == Membership.user_id, TwoFactor.enabled_at.is_not(None))
    return (
        select(Membership, needs_second_factor)
        .join(Membership.expedition)
        .options(contains_eager(Membership.expedition))
        .where(
            Membership.expedition_id == bindparam("expedition_id"),
            Membership.user_id == bindparam("user_id"),
        )
    )


def _load_membership(expedition_id: int) -> Membership | None:
    """The membership with its expedition, and whether a two-factor requirement holds it back.

    One query serves both the requirement check before the view and the view's own loader.
    """
    row = db.session.execute(
        _membership_query(), {"expedition_id": expedition_id, "user_id": current_user.id}
    ).first()
    if row is None:
        return None
    membership, blocked = row
    membership.needs_second_factor = bool(blocked)
    return membership


def prefetch_membership(expedition_id: int) -> Membership | None:
    """Load the membership before the view (the two-factor hook); the view's loader reuses it."""
    membership = _load_membership(expedition_id)
    g._prefetched_membership = (expedition_id, membership)
    return membership


def get_membership_or_404(expedition_id: int) -> Membership:
    """The current user's membership in this expedition (with the expedition loaded), or 404."""
    prefetched = g.pop("_prefetched_membership", None)
    if prefetched is not None and prefetched[0] == expedition_id:
        membership = prefetched[1]
    else:
        membership = _load_membership(expedition_id)
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


def get_in_expedition_or_404(
    model, object_id: int, membership: Membership, own: bool = False, *, options=()
):
    """A row of `model` (a card, a check-in…) in the member's expedition, or 404.

    Someone else's row (its owner_id or user_id) counts only when shared with the Zirkel (its
    visibility, where it has one). With own=True it must be the member's own: someone else's
    shared row is 403 (they may look, not change), anything else 404 like a missing row, so
    ids reveal nothing. `options` are loader options (e.g. selectinload of a list it shows).
    """
    row = db.session.scalar(
        select(model)
        .where(model.id == object_id, model.expedition_id == membership.expedition_id)
        .options(*options)
    )
    if row is None:
        abort(404)
    owner_id = row.owner_id if hasattr(row, "owner_id") else row.user_id
    if owner_id != membership.user_id:
        shared = getattr(row, "visibility", "zirkel") == "zirkel"
        if not shared:
            abort(404)
        if own:
            abort(403)
    return row
