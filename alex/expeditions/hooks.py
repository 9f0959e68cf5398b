"""What expeditions plug into accounts: invites at sign-in, unique names, the access guards."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from alex.auth import hooks
from alex.auth.service import register_loader_companion
from alex.expeditions.access import MEMBERSHIP_COMPANION, enforce_access_guards
from alex.expeditions.service import (
    expedition_standing,
    find_usable_invite,
    memberships_of_user,
    name_shared_with_member,
    today_in,
)
from alex.extensions import db

INVITE_KEY = "invite_token"  # cookie-session key: the invite a visitor opened before logging in


def init_app(app: Flask) -> None:
    """Register with accounts (called from create_app, after accounts' own init_app)."""
    hooks.keep_session_key(app, INVITE_KEY)
    hooks.register_landing(app, _land_in_invited_expedition)
    hooks.register_landing(app, _land_in_the_running_expedition)
    hooks.register_registration_opener(app, _pending_invite_works)
    hooks.register_name_check(app, _name_unique_among_co_members)
    app.before_request(enforce_access_guards)
    register_loader_companion(MEMBERSHIP_COMPANION)


def _land_in_invited_expedition():
    """After sign-in with a pending invite: join and land in that expedition."""
    if token := session.pop(INVITE_KEY, None):
        from alex.expeditions.views import join_through_invite

        return join_through_invite(token)
    return None


def _land_in_the_running_expedition():
    """With one running expedition and nowhere else to go: straight onto it, the board first.

    The list of expeditions is for people with several; a facilitator without a Vorhaben of
    their own lands on the expedition page, since they have no board.
    """
    if request.args.get("next") or request.form.get("next"):
        return None
    running = [
        m
        for m in memberships_of_user(db.session, current_user)
        if expedition_standing(m.expedition, today_in(m.expedition)).phase == "running"
    ]
    if len(running) != 1:
        return None
    membership = running[0]
    endpoint = "boards.board" if membership.is_participant else "expeditions.show"
    return redirect(url_for(endpoint, expedition_id=membership.expedition_id))


def _pending_invite_works() -> bool:
    """A pending invite link that still works allows a new account."""
    token = session.get(INVITE_KEY)
    return bool(token) and find_usable_invite(db.session, token) is not None


def _name_unique_among_co_members(session_: Session, user_id: int, name: str) -> str | None:
    """Refuse a name another member of a shared expedition already uses."""
    if name_shared_with_member(session_, user_id, name):
        return str(
            _l(
                "Someone in one of your expeditions is already called „%(name)s“. Please choose "
                "a name the others can tell apart, for example with your surname.",
                name=name,
            )
        )
    return None


# Evidence that participants completed an expedition, beyond what the lower layers know (a
# Teilnahmebescheinigung issued): optional areas register a source, the training department's
# figures ask all of them, and neither imports the other.
# (session, expedition ids) -> {(expedition id, user id), …}
CompletionSource = Callable[[Session, list[int]], set[tuple[int, int]]]
_COMPLETION_KEY = "alex.expeditions.completion_sources"


def register_completion_source(app: Flask, source: CompletionSource) -> None:
    """Have `source` name participants who completed (called from an area's init_app)."""
    app.extensions.setdefault(_COMPLETION_KEY, []).append(source)


def completed_by_sources(session_: Session, expedition_ids: list[int]) -> set[tuple[int, int]]:
    """(expedition id, user id) of everyone some registered source counts as completed."""
    found: set[tuple[int, int]] = set()
    for source in current_app.extensions.get(_COMPLETION_KEY, []):
        found |= source(session_, expedition_ids)
    return found
