"""Single sign-on domain functions: who the provider's claims are, accounts, links and roles.

    claims = read_claims(issuer, raw_claims, role_claim)   # plain values, nothing trusted yet
    result = resolve_login(session, claims, role_values)   # SignedIn(user) or NeedsLink(user_id)
    link_identity(session, user, claims, role_values)      # after the owner's password

Nothing here reads the request or the provider: the views hand over claims Authlib checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from alex.auth import service as auth
from alex.auth.audit import security_event
from alex.auth.models import User
from alex.auth.names import clean_display_name
from alex.db import utcnow
from alex.exports.hooks import iso
from alex.i18n import LOCALES
from alex.sso.models import SsoIdentity

UNVERIFIED_EMAIL = _l(
    "Your organisation's account has no confirmed e-mail address, so ALEx cannot set up your "
    "account. Ask your IT to confirm the address at the identity provider, then try again."
)
DEACTIVATED = _l("This account is deactivated. Ask the people who run ALEx if you need it again.")
NAME_MAX = 80
# RFC 8176 authentication methods: "mfa", or two methods at once (e.g. "pwd" and "otp").
_MFA = "mfa"


class SsoError(Exception):
    """An SSO login that cannot go ahead; the message is shown to the user."""


@dataclass(frozen=True)
class Claims:
    """What ALEx reads from the provider about the person, as plain values."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    locale: str | None  # "de", "en" or None (not one of ours)
    roles: frozenset[str]  # the role claim's values, without a leading "/" (Keycloak group paths)
    multi_factor: bool  # the provider says it checked more than a password (amr)


@dataclass(frozen=True)
class RoleValues:
    """Which role-claim value grants which instance role (empty: that role is not granted)."""

    operator: str = ""
    creator: str = ""
    training_office: str = ""

    def grants(self) -> list[tuple[str, str, str]]:
        """(claim value, User attribute, SsoIdentity marker) for each configured role."""
        rows = [
            (self.operator, "is_operator", "granted_operator"),
            (self.creator, "may_create_expeditions", "granted_creator"),
            (self.training_office, "is_training_office", "granted_training_office"),
        ]
        return [(value.lstrip("/"), attr, marker) for value, attr, marker in rows if value]


@dataclass(frozen=True)
class SignedIn:
    """The account to sign in."""

    user: User


@dataclass(frozen=True)
class NeedsLink:
    """A local account has this verified address: its owner must confirm with the password."""

    user_id: int


def _truthy(value: Any) -> bool:
    # Some providers send "true" as a string.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _language(locale: Any) -> str | None:
    if not isinstance(locale, str):
        return None
    language = re.split(r"[-_]", locale.strip().lower(), maxsplit=1)[0]
    return language if language in LOCALES else None


def _name(raw: Mapping[str, Any]) -> str | None:
    for candidate in (
        raw.get("name"),
        " ".join(str(raw[k]) for k in ("given_name", "family_name") if raw.get(k)),
        raw.get("preferred_username"),
    ):
        if isinstance(candidate, str) and (
            cleaned := clean_display_name(" ".join(candidate.split()))
        ):
            return cleaned[:NAME_MAX]
    return None


def _roles(value: Any) -> frozenset[str]:
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return frozenset(v.lstrip("/") for v in values if isinstance(v, str))


def read_claims(issuer: str, raw: Mapping[str, Any], role_claim: str = "") -> Claims:
    """The person as the (already verified) claims describe them."""
    amr = raw.get("amr")
    methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
    email = raw.get("email")
    return Claims(
        issuer=issuer,
        subject=str(raw["sub"]),
        email=auth.normalise_email(email) if isinstance(email, str) and email.strip() else None,
        email_verified=_truthy(raw.get("email_verified")),
        name=_name(raw),
        locale=_language(raw.get("locale")),
        roles=_roles(raw.get(role_claim)) if role_claim else frozenset(),
        multi_factor=_MFA in methods or len(methods) >= 2,
    )


def find_identity(session: Session, issuer: str, subject: str) -> SsoIdentity | None:
    """The link of this person at this provider, if any."""
    return session.scalar(
        select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )


def apply_roles(user: User, identity: SsoIdentity, claims: Claims, values: RoleValues) -> None:
    """Grant what the claim names now; take back only what the claim granted before.

    A role the account already had (set in the console) is not marked as the claim's, so the
    claim losing that value later does not take it away.
    """
    for value, attribute, marker in values.grants():
        if value in claims.roles:
            if not getattr(user, attribute):
                setattr(user, attribute, True)
                setattr(identity, marker, True)
        elif getattr(identity, marker):
            setattr(user, attribute, False)
            setattr(identity, marker, False)
            security_event("sso_role_removed", user.id, role=attribute)


def _refuse_deactivated(user: User) -> None:
    if user.deactivated_at is not None:
        security_event("login_refused", user.id, reason="deactivated", way="sso")
        raise SsoError(DEACTIVATED)


def _follow_email(session: Session, user: User, claims: Claims) -> None:
    """A verified new address at the provider becomes the account's, unless another has it."""
    if not claims.email_verified or not claims.email or claims.email == user.email:
        return
    if auth.find_user_by_email(session, claims.email) is not None:
        return
    user.email = claims.email
    auth.void_open_resets(session, user)  # a link mailed to the old inbox must not work
    security_event("sso_email_changed", user.id)


def _new_identity(session: Session, user: User, claims: Claims) -> SsoIdentity:
    identity = SsoIdentity(
        user_id=user.id, issuer=claims.issuer, subject=claims.subject, last_login_at=utcnow()
    )
    session.add(identity)
    return identity


def _known(session: Session, identity: SsoIdentity, claims: Claims, values: RoleValues) -> SignedIn:
    """A person linked before: refuse a deactivated account, follow the address, set the roles."""
    user = session.get(User, identity.user_id)
    assert user is not None
    _refuse_deactivated(user)
    _follow_email(session, user, claims)
    apply_roles(user, identity, claims, values)
    identity.last_login_at = utcnow()
    return SignedIn(user)


def resolve_login(session: Session, claims: Claims, values: RoleValues) -> SignedIn | NeedsLink:
    """The account these claims sign in to: linked before, made now, or one to link first.

    A new account needs a verified address; an existing local account with that address is
    only linked after its owner's password (NeedsLink), never by the address alone.
    """
    identity = find_identity(session, claims.issuer, claims.subject)
    if identity is not None:
        return _known(session, identity, claims, values)
    if not claims.email or not claims.email_verified:
        security_event("login_refused", None, reason="sso_email_unverified")
        raise SsoError(UNVERIFIED_EMAIL)
    existing = auth.find_user_by_email(session, claims.email)
    if existing is not None:
        # The person's other tab may have made account and link between our two reads: both were
        # committed together, so the link is visible now if it exists.
        if (identity := find_identity(session, claims.issuer, claims.subject)) is not None:
            return _known(session, identity, claims, values)
        _refuse_deactivated(existing)
        return NeedsLink(existing.id)
    user = User(
        name=claims.name or claims.email.split("@", 1)[0][:NAME_MAX],
        email=claims.email,
        password_hash=auth.unusable_password_hash(),
        locale=claims.locale,
    )
    session.add(user)
    session.flush()
    identity = _new_identity(session, user, claims)
    apply_roles(user, identity, claims, values)
    session.flush()
    security_event("sso_account_created", user.id)
    return SignedIn(user)


def link_identity(session: Session, user: User, claims: Claims, values: RoleValues) -> None:
    """Link the confirmed local account to the person at the provider (it keeps its password)."""
    _refuse_deactivated(user)
    identity = _new_identity(session, user, claims)
    apply_roles(user, identity, claims, values)
    session.flush()
    security_event("sso_linked", user.id)


def signs_in_through_sso_column():
    """Whether the account is linked to an identity provider (the operator's accounts list)."""
    return exists().where(SsoIdentity.user_id == User.id).correlate(User)


def export_rows(session: Session, user_id: int) -> list[dict]:
    """The person's links to an identity provider, for their data export."""
    return [
        {
            "issuer": i.issuer,
            "subject": i.subject,
            "created_at": iso(i.created_at),
            "last_login_at": iso(i.last_login_at),
        }
        for i in session.scalars(
            select(SsoIdentity).where(SsoIdentity.user_id == user_id).order_by(SsoIdentity.id)
        )
    ]
