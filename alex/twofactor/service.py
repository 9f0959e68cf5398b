"""Two-factor domain functions: set-up, codes, recovery codes, the expedition requirement."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.db import utcnow
from alex.expeditions.models import Membership
from alex.twofactor.models import RecoveryCode, TwoFactor, TwoFactorRequirement

ISSUER = "ALEx"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


class TwoFactorError(Exception):
    """A two-factor step that cannot go ahead; the message is shown to the user."""


def normalise_code(code: str) -> str:
    """Codes are typed with spaces or dashes, in any case."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _hash(code: str) -> str:
    # Recovery codes carry ~50 random bits: a plain hash cannot be reversed by guessing.
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def second_factor(session: Session, user_id: int) -> TwoFactor | None:
    """The account's second factor (enabled or pending), if any."""
    return session.get(TwoFactor, user_id)


def is_enabled(session: Session, user_id: int) -> bool:
    """Whether logging in to this account needs a code."""
    return bool(
        session.scalar(
            select(TwoFactor.enabled_at).where(
                TwoFactor.user_id == user_id, TwoFactor.enabled_at.is_not(None)
            )
        )
    )


def start_setup(session: Session, user: User) -> TwoFactor:
    """A fresh secret waiting for its first code; replaces an unconfirmed earlier one."""
    current = second_factor(session, user.id)
    if current and current.enabled_at:
        raise TwoFactorError(_l("Two-factor login is already on."))
    if current is None:
        current = TwoFactor(user_id=user.id, secret=pyotp.random_base32())
        session.add(current)
    else:
        current.secret = pyotp.random_base32()
    session.flush()
    return current


def provisioning_uri(factor: TwoFactor, email: str) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(factor.secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> Markup:
    """The link as an inline SVG QR code (no style attribute: the CSP forbids inline styles)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title=title, svgclass="qr-code", lineclass=None, omitsize=True
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 – segno's own output


def _accept_totp(session: Session, factor: TwoFactor, code: str, now: float) -> bool:
    """Accept a code of the current step or a neighbour, each step only once (even in a race)."""
    totp = pyotp.TOTP(factor.secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            taken = session.execute(
                update(TwoFactor)
                .where(
                    TwoFactor.user_id == factor.user_id,
                    (TwoFactor.last_used_step.is_(None)) | (TwoFactor.last_used_step < step),
                )
                .values(last_used_step=step)
            ).rowcount
            return taken == 1
    return False


def enable(session: Session, user: User, code: str, now: float | None = None) -> list[str]:
    """Confirm the set-up with a first code; returns the recovery codes to show once."""
    factor = second_factor(session, user.id)
    if factor is None or factor.enabled_at:
        raise TwoFactorError(_l("Start the set-up again, please."))
    if not _accept_totp(session, factor, normalise_code(code), now or time.time()):
        raise TwoFactorError(
            _l("This code does not fit. Check the time on your phone and try the newest code.")
        )
    factor.enabled_at = utcnow()
    return new_recovery_codes(session, user.id)


def new_recovery_codes(session: Session, user_id: int) -> list[str]:
    """Replace every recovery code of the account with fresh ones; returns them in clear once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user_id, code_hash=_hash(raw)))
    session.flush()
    return codes


def unused_recovery_codes(session: Session, user_id: int) -> int:
    """How many recovery codes are left."""
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class Verified:
    """How the second step was passed."""

    with_recovery_code: bool


def verify(session: Session, user_id: int, code: str, now: float | None = None) -> Verified | None:
    """Check an app code or a recovery code; a recovery code is used up at once."""
    factor = session.get(TwoFactor, user_id)
    if factor is None or factor.enabled_at is None:
        return None
    code = normalise_code(code)
    if len(code) == 6 and code.isdigit():
        return Verified(False) if _accept_totp(session, factor, code, now or time.time()) else None
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ).rowcount
    return Verified(True) if used == 1 else None


def disable(session: Session, user_id: int) -> None:
    """Turn two-factor login off and forget the secret and the recovery codes."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))


def is_required(session: Session, expedition_id: int) -> bool:
    """Whether the expedition requires two-factor login of its members."""
    return session.get(TwoFactorRequirement, expedition_id) is not None


def set_required(session: Session, expedition_id: int, required: bool, by: User) -> None:
    """Switch the requirement; the facilitator must use two-factor login first."""
    if required and not is_enabled(session, by.id):
        raise TwoFactorError(
            _l("Turn on two-factor login for your own account first, then require it.")
        )
    current = session.get(TwoFactorRequirement, expedition_id)
    if required and current is None:
        session.add(TwoFactorRequirement(expedition_id=expedition_id, required_by_id=by.id))
    elif not required and current is not None:
        session.delete(current)
    session.flush()


def requirement_column():
    """Whether the member's expedition requires a second factor, beside the membership."""
    return exists().where(TwoFactorRequirement.expedition_id == Membership.expedition_id)


def holds_back(user, required: bool) -> bool:
    """The requirement holds back a login session that did not pass the second factor.

    The session decides, not the account's setting: a browser logged in with the password only
    stays held back even after two-factor login was turned on elsewhere.
    """
    return bool(required) and not user.passed_second_factor


def enabled_column():
    """Whether the account has a confirmed second factor (the operator's accounts list)."""
    return (
        exists()
        .where(TwoFactor.user_id == User.id, TwoFactor.enabled_at.is_not(None))
        .correlate(User)
    )
