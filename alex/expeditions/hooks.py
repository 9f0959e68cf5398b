"""What expeditions plug into accounts: invites at sign-in, unique names, the access guards."""

from __future__ import annotations

from flask import Flask, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from alex.auth import hooks
from alex.expeditions.access import enforce_access_guards
from alex.expeditions.service import find_usable_invite, name_shared_with_member
from alex.extensions import db

INVITE_KEY = "invite_token"  # cookie-session key: the invite a visitor opened before logging in


def init_app(app: Flask) -> None:
    """Register with accounts (called from create_app, after accounts' own init_app)."""
    hooks.keep_session_key(app, INVITE_KEY)
    hooks.register_landing(app, _land_in_invited_expedition)
    hooks.register_registration_opener(app, _pending_invite_works)
    hooks.register_name_check(app, _name_unique_among_co_members)
    app.before_request(enforce_access_guards)


def _land_in_invited_expedition():
    """After sign-in with a pending invite: join and land in that expedition."""
    if token := session.pop(INVITE_KEY, None):
        from alex.expeditions.views import join_through_invite

        return join_through_invite(token)
    return None


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
