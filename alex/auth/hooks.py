"""What higher layers and optional areas plug into accounts, registered from create_app.

Accounts know nothing of expeditions or two-factor login: those areas call the functions below in
their own `init_app`, so `alex.auth` imports neither of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, Response, current_app
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from alex.auth.models import User

# After the right password: an answer that asks for more (the second factor), or None.
SecondStep = Callable[[User, bool], Response | None]
# After sign-in: where to land (a pending invite's expedition), or None.
Landing = Callable[[], Response | None]
# Whether registration is open for this visitor although it is closed in general.
RegistrationOpener = Callable[[], bool]
# Why another area refuses a display name for this account (None: fine).
NameCheck = Callable[[Session, int, str], str | None]
# After every login session of an account ended (password reset or change, "log out everywhere"):
# what else stands for a signed-in device goes too (push subscriptions).
SessionsEnded = Callable[[Session, int], None]
# At logout, before this browser's login session ends: where the browser goes next instead of the
# login page (the identity provider's logout, for a single sign-on session), or None.
LogoutExit = Callable[[], str | None]
# A fact about accounts another area knows (second factor on, signed in through SSO), for the
# operator's list of accounts: a scalar subquery (or EXISTS) correlated with User.id, so a page of accounts
# stays one statement however many areas add facts. Unregistered facts read as None.
AccountFact = Callable[[], ColumnElement]
# Why an account may not be deleted now (the last operator of the instance), or None.
DeletionCheck = Callable[[Session, int], str | None]


@dataclass
class AuthHooks:
    """The registrations of one app."""

    second_steps: list[SecondStep] = field(default_factory=list)
    landings: list[Landing] = field(default_factory=list)
    registration_openers: list[RegistrationOpener] = field(default_factory=list)
    name_checks: list[NameCheck] = field(default_factory=list)
    sessions_ended: list[SessionsEnded] = field(default_factory=list)
    logout_exits: list[LogoutExit] = field(default_factory=list)
    # Cookie-session keys that survive the fresh session of a sign-in (a pending invite).
    kept_session_keys: set[str] = field(default_factory=set)
    # name -> correlated scalar subquery (see register_account_fact, below).
    account_facts: dict[str, AccountFact] = field(default_factory=dict)
    deletion_checks: list[DeletionCheck] = field(default_factory=list)


_KEY = "alex.auth"


def init_hooks(app: Flask) -> None:
    """Give the app its empty registry (accounts' own init_app does this first)."""
    app.extensions[_KEY] = AuthHooks()


def hooks(app: Flask | None = None) -> AuthHooks:
    """The registry of this (or the current) app."""
    return (app or current_app).extensions[_KEY]


def register_second_step(app: Flask, step: SecondStep) -> None:
    """Run `step` after every right password; an answer it returns replaces the sign-in."""
    hooks(app).second_steps.append(step)


def register_landing(app: Flask, landing: Landing) -> None:
    """Ask `landing` where a fresh sign-in goes before the `next` URL and home."""
    hooks(app).landings.append(landing)


def register_registration_opener(app: Flask, opener: RegistrationOpener) -> None:
    """Let `opener` open sign-up for a visitor while registration is closed."""
    hooks(app).registration_openers.append(opener)


def register_name_check(app: Flask, check: NameCheck) -> None:
    """Have `check` vet every new display name of an existing account."""
    hooks(app).name_checks.append(check)


def keep_session_key(app: Flask, key: str) -> None:
    """Keep this cookie-session key across sign-in (everything else is cleared: no fixation)."""
    hooks(app).kept_session_keys.add(key)


def register_on_all_sessions_ended(app: Flask, ended: SessionsEnded) -> None:
    """Call `ended(session, user_id)` whenever every login session of an account ends."""
    hooks(app).sessions_ended.append(ended)


def register_logout_exit(app: Flask, exit_: LogoutExit) -> None:
    """Ask `exit_` at every logout where the browser goes next (the first answer wins)."""
    hooks(app).logout_exits.append(exit_)


def register_account_fact(app: Flask, name: str, build: AccountFact) -> None:
    """Have the accounts list read `name` per account, e.g. "second_factor" or "sso"."""
    hooks(app).account_facts[name] = build


def account_facts(app: Flask | None = None) -> dict[str, AccountFact]:
    """The facts registered with this (or the current) app."""
    return hooks(app).account_facts


def register_deletion_check(app: Flask, check: DeletionCheck) -> None:
    """Have `check(session, user_id)` vet every deletion of an account (its reason refuses it)."""
    hooks(app).deletion_checks.append(check)


def deletion_problem(session: Session, user_id: int) -> str | None:
    """Why this account may not be deleted now (see register_deletion_check), or None."""
    for check in hooks().deletion_checks:
        if problem := check(session, user_id):
            return problem
    return None
