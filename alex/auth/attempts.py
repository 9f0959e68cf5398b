"""Failed password and code checks: counted per account, each further try waits longer.

A growing wait instead of a lock: a wrong guess beyond the threshold doubles the time until the
next guess is even checked, up to a cap. Passwords and second-factor codes count apart, so a
right password never resets the count of wrong codes. Who is exempt from the password wait
(browsers that logged in to the account before) is decided by the caller; see SECURITY.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from math import ceil

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.db import utcnow


class Check(Enum):
    """What was checked: a password or a second-factor code."""

    PASSWORD = "password"
    CODE = "code"


# The counter and the time of the next allowed try, per kind of check.
_COLUMNS = {
    Check.PASSWORD: ("failed_logins", "next_login_at"),
    Check.CODE: ("failed_codes", "next_code_at"),
}


@dataclass(frozen=True)
class DelayPolicy:
    """After `threshold` failures each further one doubles the wait: unit, 2 units … up to max."""

    threshold: int
    unit_seconds: int
    max_seconds: int

    def wait_after(self, failures: int) -> int:
        """Seconds until the next try, after this many failures in a row."""
        if failures < self.threshold:
            return 0
        exponent = min(failures - self.threshold, 32)  # 2**32 units exceed any sensible cap
        return min(self.unit_seconds * 2**exponent, self.max_seconds)


def policy(app: Flask, check: Check) -> DelayPolicy:
    """The configured policy: passwords wait seconds, codes minutes (a code has 6 digits only)."""
    prefix = "ALEX_LOGIN_DELAY" if check is Check.PASSWORD else "ALEX_CODE_DELAY"
    return DelayPolicy(
        app.config["ALEX_LOCKOUT_THRESHOLD"],
        app.config[f"{prefix}_FIRST_SECONDS"],
        app.config[f"{prefix}_MAX_SECONDS"],
    )


def seconds_to_wait(user: User, check: Check, now: datetime | None = None) -> int:
    """How long this account must wait before the next check of this kind is made (0: now)."""
    next_at = getattr(user, _COLUMNS[check][1])
    if next_at is None:
        return 0
    return max(0, ceil((next_at - (now or utcnow())).total_seconds()))


def count_failure(session: Session, user_id: int, check: Check, rule: DelayPolicy) -> int:
    """Count a failed check and set the wait it causes; returns the failures in a row.

    The counter rises in one UPDATE … RETURNING, so failures from several workers at once are
    all counted. The caller commits even though the check failed: the count must stick.
    """
    counter, next_at = (getattr(User, name) for name in _COLUMNS[check])
    failures = session.execute(
        update(User)
        .where(User.id == user_id)
        .values({counter: counter + 1})
        .returning(counter)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if wait := rule.wait_after(failures):
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values({next_at: utcnow() + timedelta(seconds=wait)})
            .execution_options(synchronize_session=False)
        )
    return failures


def reset(user: User, check: Check) -> None:
    """The check passed: the count of this kind starts again (flushed with the caller's commit)."""
    counter, next_at = _COLUMNS[check]
    setattr(user, counter, 0)
    setattr(user, next_at, None)
