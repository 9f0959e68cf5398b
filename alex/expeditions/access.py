"""The one way views reach an expedition: through the current user's membership.

A non-member gets 404, exactly like a missing expedition, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import Response, abort, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import contains_eager

from alex.auth.models import User
from alex.auth.service import LoaderCompanion, register_loader_companion
from alex.errors import FACILITATOR_ONLY, OWN_ENTRY_ONLY, refuse
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db


@dataclass(frozen=True)
class AccessGuard:
    """A rule an optional area adds to every membership load (two-factor: "this expedition
    requires a second factor"), registered from create_app.

    `column` builds, once, a value correlated with `Membership` (read in the loader's own
    statement); `holds_back(user, value)` decides from it and the user; `refuse()` is the answer
    instead of the page; `exempt` names endpoints a held-back member still reaches.
    """

    name: str
    column: Callable[[], ColumnElement]
    holds_back: Callable[[Any, Any], bool]
    refuse: Callable[[], Response]
    exempt: Callable[[str], bool] = lambda _endpoint: False


ACCESS_GUARDS: dict[str, AccessGuard] = {}


def register_access_guard(guard: AccessGuard) -> None:
    """Add a guard to the membership predicate (idempotent: apps built again replace it)."""
    ACCESS_GUARDS[guard.name] = guard
    _membership_query.cache_clear()
    register_loader_companion(MEMBERSHIP_COMPANION)  # the loader's statement is built again


@dataclass(frozen=True)
class MembershipAccess:
    """A member's way into an expedition: the membership and the guard holding it back, if any."""

    membership: Membership
    held_back_by: AccessGuard | None

    @property
    def allowed(self) -> bool:
        """Whether the member may see the expedition's pages."""
        return self.held_back_by is None


def _guard_columns() -> list:
    """Each guard's value, labelled with its name, beside the membership it is correlated with."""
    return [guard.column().label(name) for name, guard in ACCESS_GUARDS.items()]


@cache
def _membership_query():
    """Built once (every expedition page runs it): membership, expedition, each guard's value."""
    return (
        select(Membership, *_guard_columns())
        .join(Membership.expedition)
        .options(contains_eager(Membership.expedition))
        .where(
            Membership.expedition_id == bindparam("expedition_id"),
            Membership.user_id == bindparam("user_id"),
        )
    )


def membership_access(user, expedition_id: int) -> MembershipAccess | None:
    """The one place that decides who gets into an expedition: None for non-members.

    One statement reads the membership, its expedition and every guard's value; the guards then
    decide with the user as loaded for this request (e.g. whether this login session passed the
    second factor). Views go through `get_membership_or_404`; the meeting poll may call this.
    """
    row = db.session.execute(
        _membership_query(), {"expedition_id": expedition_id, "user_id": user.id}
    ).first()
    return _decide(user, row[0], row[1:]) if row is not None else None


def _decide(user, membership: Membership | None, values) -> MembershipAccess | None:
    """The membership and the guard that holds it back, from a membership load's values."""
    if membership is None:
        return None
    held_back = next(
        (
            guard
            for guard, value in zip(ACCESS_GUARDS.values(), values, strict=True)
            if guard.holds_back(user, value)
        ),
        None,
    )
    return MembershipAccess(membership, held_back)


# The membership of the expedition in the URL, read in the user loader's statement (see
# auth.service.LoaderCompanion): the guard hook and the view take it from `g`.
_PREFETCHED = "_membership_access"


def _url_expedition_id() -> int | None:
    args = request.view_args if has_request_context() else None
    expedition_id = (args or {}).get("expedition_id")
    return expedition_id if isinstance(expedition_id, int) else None


def _companion_wanted() -> dict[str, Any] | None:
    expedition_id = _url_expedition_id()
    return None if expedition_id is None else {"companion_expedition_id": expedition_id}


def _companion_columns() -> list:
    return [Membership, *_guard_columns()]


def _companion_join(query):
    return (
        query.outerjoin(
            Membership,
            (Membership.user_id == User.id)
            & (Membership.expedition_id == bindparam("companion_expedition_id")),
        )
        .outerjoin(Membership.expedition)
        .options(contains_eager(Membership.expedition))
    )


def _companion_keep(user, values: list) -> None:
    g.setdefault(_PREFETCHED, {})[user.id, _url_expedition_id()] = _decide(
        user, values[0], values[1:]
    )


MEMBERSHIP_COMPANION = LoaderCompanion(
    name="membership",
    wanted=_companion_wanted,
    columns=_companion_columns,
    join=_companion_join,
    keep=_companion_keep,
)


def access_in_request(expedition_id: int) -> MembershipAccess | None:
    """The current user's access to this expedition: as the user loader read it for this request
    (taken once, so a view that changed memberships reads them again), else loaded now."""
    key = (current_user.id, expedition_id)
    prefetched = g.get(_PREFETCHED)
    if prefetched is not None and key in prefetched:
        return prefetched.pop(key)
    return membership_access(current_user, expedition_id)


def enforce_access_guards() -> Response | None:
    """Before any expedition page: a member a guard holds back gets the guard's answer instead."""
    args = request.view_args or {}
    endpoint = request.endpoint or ""
    # Exempt endpoints cost nothing here (the meeting poll authorises itself, every 2 s).
    if "expedition_id" not in args or all(
        guard.exempt(endpoint) for guard in ACCESS_GUARDS.values()
    ):
        return None
    if not current_user.is_authenticated:
        return None
    access = access_in_request(args["expedition_id"])
    g.setdefault(_PREFETCHED, {})[current_user.id, args["expedition_id"]] = access  # for the view
    if access is None or access.allowed or access.held_back_by.exempt(endpoint):
        return None  # outsiders get the view's 404
    return access.held_back_by.refuse()


def get_membership_or_404(expedition_id: int) -> Membership:
    """The current user's membership in this expedition (with the expedition loaded), or 404."""
    access = access_in_request(expedition_id)
    if access is None:
        abort(404)
    return access.membership


def get_facilitation_or_403(expedition_id: int) -> Membership:
    """The membership, which must carry the facilitator role: 404 for outsiders, 403 for others."""
    membership = get_membership_or_404(expedition_id)
    if not membership.is_facilitator:
        refuse(FACILITATOR_ONLY)
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
    model,
    object_id: int,
    membership: Membership,
    own: bool = False,
    *,
    options=(),
    refusal=OWN_ENTRY_ONLY,
):
    """A row of `model` (a card, a check-in…) in the member's expedition, or 404.

    Someone else's row (its owner_id or user_id) counts only when shared with the Zirkel (its
    visibility, where it has one). With own=True it must be the member's own: someone else's
    shared row is 403 with `refusal` as the reason (they may look, not change), anything else 404
    like a missing row, so ids reveal nothing. `options` are loader options (e.g. selectinload of a list it shows).
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
            refuse(refusal)
    return row
