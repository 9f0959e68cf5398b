"""What the operator's console does: accounts, their roles and state, instance settings, audit.

Every change here writes one audit entry in the same transaction (`audit`), so an action that
is rolled back leaves no entry and an entry never lacks its action. Nothing here reads
expedition content: the operator sees accounts, not what people wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from alex.auth import instance, recovery
from alex.auth.audit import security_event
from alex.auth.hooks import AccountFact
from alex.auth.models import LoginSession, User
from alex.auth.service import end_all_login_sessions, void_open_resets
from alex.db import utcnow
from alex.exports.data_rights import delete_account
from alex.operator.models import OperatorAuditEntry

PER_PAGE = 50
ROLES = ("is_operator", "is_training_office", "may_create_expeditions")


class ConsoleError(Exception):
    """An action the console refuses; the message is shown to the operator."""


LAST_OPERATOR = _l(
    "There must always be at least one active operator. Make someone else an operator first."
)
NOT_YOURSELF = _l(
    "You cannot do this to your own account here. Ask another operator, or use your account page."
)
DEACTIVATED = _l("This account is deactivated. Reactivate it first.")
STALE_ROLES = _l(
    "Another operator has just changed this account's roles. Nothing was saved: here are the "
    "current roles, please check them and save again."
)


class StaleRoles(ConsoleError):
    """The roles changed since the operator's form showed them; nothing was saved."""


def audit(
    session: Session, actor_id: int | None, action: str, target: int | None, detail: str = ""
) -> None:
    """Append one entry to the audit log (committed with the action it records)."""
    session.add(
        OperatorAuditEntry(
            created_at=utcnow(),
            actor_id=actor_id,
            action=action,
            target_user_id=target,
            detail=detail,
        )
    )
    security_event("operator_action", actor_id, action=action, target=target)


@dataclass(frozen=True)
class AccountRow:
    """One account as the console lists it."""

    id: int
    name: str
    email: str
    created_at: datetime
    last_seen: datetime | None
    locked_until: datetime | None
    deactivated_at: datetime | None
    is_operator: bool
    is_training_office: bool
    may_create_expeditions: bool
    facts: dict[str, object]  # from other areas: "second_factor", "sso" (None: not known)


@dataclass(frozen=True)
class AccountPage:
    """One page of the accounts list."""

    rows: list[AccountRow]
    total: int
    page: int
    pages: int
    query: str


def _search(query: str):
    """Name or e-mail address contains the words typed (case-insensitive, wildcards literal)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped.lower()}%"
    return or_(
        func.lower(User.name).like(pattern, escape="\\"),
        User.email.like(pattern, escape="\\"),
    )


def locked_until(user: User, now: datetime | None = None) -> datetime | None:
    """Until when the account's password or code tries wait, or None."""
    now = now or utcnow()
    waits = [t for t in (user.next_login_at, user.next_code_at) if t is not None and t > now]
    return max(waits) if waits else None


def list_accounts(
    session: Session, facts: dict[str, AccountFact], query: str = "", page: int = 1
) -> AccountPage:
    """A page of accounts in name order: two statements whatever the number of accounts."""
    query = query.strip()[:100]
    condition = _search(query) if query else None
    count = select(func.count()).select_from(User)
    if condition is not None:
        count = count.where(condition)
    total = session.scalar(count) or 0
    pages = max(1, ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    last_seen = (
        select(func.max(LoginSession.last_seen))
        .where(LoginSession.user_id == User.id)
        .scalar_subquery()
    )
    names = list(facts)
    statement = (
        select(User, last_seen.label("last_seen"), *(facts[n]().label(n) for n in names))
        .order_by(func.lower(User.name), User.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    if condition is not None:
        statement = statement.where(condition)
    now = utcnow()
    rows = [
        _row(user, seen, dict(zip(names, values, strict=True)), now)
        for user, seen, *values in session.execute(statement)
    ]
    return AccountPage(rows, total, page, pages, query)


def _row(user: User, last_seen: datetime | None, facts: dict, now: datetime) -> AccountRow:
    return AccountRow(
        id=user.id,
        name=user.name,
        email=user.email,
        created_at=user.created_at,
        last_seen=last_seen,
        locked_until=locked_until(user, now),
        deactivated_at=user.deactivated_at,
        is_operator=user.is_operator,
        is_training_office=user.is_training_office,
        may_create_expeditions=user.may_create_expeditions,
        facts=facts,
    )


def account(session: Session, facts: dict[str, AccountFact], user_id: int) -> AccountRow | None:
    """One account with the same facts as the list (None: there is none)."""
    last_seen = (
        select(func.max(LoginSession.last_seen))
        .where(LoginSession.user_id == User.id)
        .scalar_subquery()
    )
    names = list(facts)
    found = session.execute(
        select(User, last_seen, *(facts[n]().label(n) for n in names)).where(User.id == user_id)
    ).first()
    if found is None:
        return None
    user, seen, *values = found
    return _row(user, seen, dict(zip(names, values, strict=True)), utcnow())


def _active_operator_ids(session: Session) -> set[int]:
    """The active operators, locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite
    writes one transaction at a time anyway): two operators revoking each other at once cannot
    both succeed."""
    return set(
        session.scalars(
            select(User.id)
            .where(User.is_operator.is_(True), User.deactivated_at.is_(None))
            .with_for_update()
        )
    )


def _keep_an_operator(session: Session, leaving: int) -> None:
    """Refuse when `leaving` is the last active operator."""
    operators = _active_operator_ids(session)
    if leaving in operators and not operators - {leaving}:
        raise ConsoleError(str(LAST_OPERATOR))


def last_operator_problem(session: Session, user_id: int) -> str | None:
    """For the account's own deletion (a registered deletion check): the last operator stays."""
    try:
        _keep_an_operator(session, user_id)
    except ConsoleError as error:
        return str(error)
    return None


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    return user


def unlock(session: Session, actor: User, user_id: int) -> None:
    """Lift the wait after failed passwords and codes."""
    user = _target(session, user_id)
    user.failed_logins, user.next_login_at = 0, None
    user.failed_codes, user.next_code_at = 0, None
    audit(session, actor.id, "unlock", user.id)


def send_reset_link(
    session: Session,
    actor: User,
    user_id: int,
    link_for: Callable[[str], str],
    address_limit: str,
    key_prefix: str,
) -> bool:
    """Mail the account a password-reset link, as "Passwort vergessen?" does, and within the
    same limit per address (`address_limit`, counted together with that form's mails).

    False: the account signs in only through the organisation; it was mailed how to log in."""
    user = _target(session, user_id)
    if user.deactivated_at is not None:
        raise ConsoleError(str(DEACTIVATED))
    next_allowed = recovery.spend_reset_mail(user.email, address_limit, key_prefix)
    if next_allowed is not None:
        raise ConsoleError(
            str(
                _l(
                    "This address has already been sent %(limit)d reset links recently (from "
                    "the console and through “Forgot your password?” together). So that no "
                    "inbox gets flooded, the next one can go at %(time)s.",
                    limit=parse(address_limit).amount,
                    time=format_time(next_allowed, "short"),
                )
            )
        )
    link_sent = recovery.request_reset(session, user.email, link_for)
    audit(session, actor.id, "reset_link", user.id)
    return link_sent


def deactivate(session: Session, actor: User, user_id: int) -> int:
    """The account can no longer log in; every session of it ends now. Returns how many."""
    if user_id == actor.id:
        raise ConsoleError(str(NOT_YOURSELF))
    _keep_an_operator(session, user_id)
    user = _target(session, user_id)
    if user.deactivated_at is not None:
        return 0
    user.deactivated_at = utcnow()
    ended = end_all_login_sessions(session, user)
    void_open_resets(session, user)
    audit(session, actor.id, "deactivate", user.id)
    return ended


def reactivate(session: Session, actor: User, user_id: int) -> None:
    """The account may log in again."""
    user = _target(session, user_id)
    if user.deactivated_at is None:
        return
    user.deactivated_at = None
    audit(session, actor.id, "reactivate", user.id)


def roles_shown(user: User | AccountRow) -> str:
    """The roles a form shows as held, as its `seen` field carries them ("is_operator,…")."""
    return ",".join(role for role in ROLES if getattr(user, role))


def parse_seen(text: str | None) -> set[str] | None:
    """The roles a form showed as held (None: the client sent no seen state)."""
    if text is None:
        return None
    return {name for name in text.split(",") if name in ROLES}


def set_roles(
    session: Session,
    actor: User,
    user_id: int,
    wanted: dict[str, bool],
    seen: set[str] | None = None,
) -> list[str]:
    """Grant and revoke instance roles; returns the changes ("+is_operator", "-…").

    `seen` holds the roles the operator's form showed as held. A role already as wanted is no
    change (a double click, two operators agreeing); a role to change that no longer is as the
    form showed was changed by another operator in between: StaleRoles, and nothing is saved,
    so two operators editing one account cannot silently overwrite each other. `seen` None (a
    client that sends none): the wanted state wins.
    """
    user = _target(session, user_id)
    if user.is_operator and not wanted.get("is_operator", True):
        _keep_an_operator(session, user.id)  # locks the operators' rows, this one's among them
    # Read the roles afresh and lock the row until commit: a second save at the same moment
    # waits here and then decides on the first one's result (after the operators' lock above,
    # so two operators revoking each other take their locks in the same order).
    session.refresh(user, with_for_update=True)
    to_change = [r for r in ROLES if r in wanted and bool(getattr(user, r)) != wanted[r]]
    if seen is not None and any(bool(getattr(user, r)) != (r in seen) for r in to_change):
        raise StaleRoles(str(STALE_ROLES))
    changes = []
    for role in to_change:
        setattr(user, role, wanted[role])
        changes.append(("+" if wanted[role] else "-") + role)
        audit(session, actor.id, "grant" if wanted[role] else "revoke", user.id, role)
    return changes


def remove_account(session: Session, actor: User, user_id: int) -> None:
    """Delete the account as its owner would (alex.exports.data_rights.delete_account)."""
    if user_id == actor.id:
        raise ConsoleError(str(NOT_YOURSELF))
    _keep_an_operator(session, user_id)
    user = _target(session, user_id)
    end_all_login_sessions(session, user)
    delete_account(session, user)
    audit(session, actor.id, "delete_account", user_id)


def set_creation_policy(session: Session, actor: User, policy: str) -> None:
    """Who may start expeditions: everyone, or the listed people."""
    instance.set_creation_policy(session, policy)
    audit(session, actor.id, "creation_policy", None, policy)


def set_announcement(
    session: Session, actor: User, text: str | None, until: datetime | None
) -> None:
    """Show a banner to everyone (empty text removes it)."""
    revision = instance.set_announcement(session, text, until)
    shown = bool((text or "").strip())
    audit(session, actor.id, "announcement", None, f"set #{revision}" if shown else "removed")


@dataclass(frozen=True)
class AuditLine:
    """One audit entry with the names of the people it names (None: account deleted since)."""

    entry: OperatorAuditEntry
    actor_name: str | None
    target_name: str | None


@dataclass(frozen=True)
class AuditPage:
    lines: list[AuditLine]
    page: int
    pages: int


def audit_log(session: Session, page: int = 1, target: int | None = None) -> AuditPage:
    """Newest first, a page at a time; optionally only the entries about one account."""
    count = select(func.count()).select_from(OperatorAuditEntry)
    actor, subject = aliased(User), aliased(User)
    statement = (
        select(OperatorAuditEntry, actor.name, subject.name)
        .outerjoin(actor, actor.id == OperatorAuditEntry.actor_id)
        .outerjoin(subject, subject.id == OperatorAuditEntry.target_user_id)
        .order_by(OperatorAuditEntry.created_at.desc(), OperatorAuditEntry.id.desc())
    )
    if target is not None:
        count = count.where(OperatorAuditEntry.target_user_id == target)
        statement = statement.where(OperatorAuditEntry.target_user_id == target)
    pages = max(1, ceil((session.scalar(count) or 0) / PER_PAGE))
    page = min(max(1, page), pages)
    rows = session.execute(statement.offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    return AuditPage([AuditLine(e, a, t) for e, a, t in rows], page, pages)


def make_operator(session: Session, email: str, grant: bool = True) -> User:
    """The command line's way to name (or remove) an operator; audited without an actor."""
    from alex.auth.service import find_user_by_email

    user = find_user_by_email(session, email)
    if user is None:
        raise LookupError(email)
    if user.is_operator == grant:
        return user
    if not grant:
        _keep_an_operator(session, user.id)
    user.is_operator = grant
    audit(session, None, "grant" if grant else "revoke", user.id, "is_operator")
    return user
