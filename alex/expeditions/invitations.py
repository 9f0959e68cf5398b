"""Invitations by mail: pasted addresses, checked line by line, each sent its own invite link.

    addresses, problems = parse_addresses(text, limit=30, members={"ada@example.org"})
    if not problems:
        invite_by_mail(session, expedition, inviter, addresses, link_for=…)

Nothing is half-sent: with any problem in the list nobody is invited (the caller shows every
line's problem). Each address gets a single-use invite link (so the facilitator sees who has
joined, and the link stays copyable on the members page) and a mail in the expedition's
language saying who invites, to what, and when it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from limits import RateLimitItemPerDay
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alex import outbox
from alex.auth.models import User
from alex.db import utcnow
from alex.expeditions.models import Expedition, Invite, Membership
from alex.expeditions.service import create_invite, expedition_end
from alex.extensions import limiter
from alex.notifications import notify_all

INVITE_DAYS = 14


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one pasted line (1-based line number)."""

    number: int
    text: str
    message: str


def parse_addresses(
    text: str, limit: int, members: Iterable[str] = ()
) -> tuple[list[str], list[LineProblem]]:
    """The distinct addresses of the pasted text, and a problem per bad line."""
    member_set = {m.lower() for m in members}
    addresses: list[str] = []
    problems: list[LineProblem] = []
    seen: set[str] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip().strip(",;").strip()
        if not line:
            continue
        shown = line[:80]
        candidate = parseaddr(line)[1] if "<" in line else line
        if any(sep in candidate for sep in (",", ";", " ")):
            problems.append(
                LineProblem(number, shown, str(_l("Please put one address on each line.")))
            )
            continue
        try:
            address = validate_email(candidate, check_deliverability=False).normalized
        except EmailNotValidError:
            problems.append(LineProblem(number, shown, str(_l("This is not an e-mail address."))))
            continue
        key = address.lower()
        if key in member_set:
            problems.append(LineProblem(number, shown, str(_l("This person is already a member."))))
            continue
        if key not in seen:
            seen.add(key)
            addresses.append(address)
    if len(addresses) > limit:
        problems.insert(
            0,
            LineProblem(
                0,
                "",
                str(
                    _l(
                        "Please invite at most %(limit)d addresses at once (these are %(count)d).",
                        limit=limit,
                        count=len(addresses),
                    )
                ),
            ),
        )
    elif not addresses and not problems:
        problems.append(LineProblem(0, "", str(_l("Please enter at least one e-mail address."))))
    return addresses, problems


def member_emails(session: Session, expedition: Expedition) -> list[str]:
    return list(
        session.scalars(
            User.__table__.select()
            .with_only_columns(User.email)
            .join_from(User, Membership, Membership.user_id == User.id)
            .where(Membership.expedition_id == expedition.id)
        )
    )


def mail_allowance(user_id: int, count: int, daily_limit: int, key_prefix: str) -> int | None:
    """Spend `count` of the person's invitation mails of the day (Flask-Limiter's storage, so
    every worker counts alike); None when they fit, else how many are left today (none spent).

    Counted in one atomic increment, not checked first and counted after: two lists sent at
    the same moment could otherwise both pass the check. One that goes over gives its mails
    back (for that instant a third list may be refused that would have fitted: the safe side).
    """
    if not count:
        return None
    item = RateLimitItemPerDay(daily_limit)
    keys = (key_prefix, "invite-mail", str(user_id))
    if limiter.limiter.hit(item, *keys, cost=count):
        return None
    limiter.limiter.storage.incr(item.key_for(*keys), item.get_expiry(), amount=-count)
    return max(0, limiter.limiter.get_window_stats(item, *keys).remaining)


def already_invited(session: Session, expedition: Expedition, addresses: list[str]) -> set[str]:
    """Those of the addresses (lower case) that have an invite by mail still waiting to be used:
    they get no second mail (a reload, or the same list pasted again).

    Locks the expedition's row until commit (SQLite writes one at a time anyway): the same
    list sent twice at the same moment waits here and then finds the first one's invites.
    """
    if not addresses:
        return set()
    session.execute(
        select(Expedition.id).where(Expedition.id == expedition.id).with_for_update()
    ).all()
    found = session.scalars(
        select(func.lower(Invite.email)).where(
            Invite.expedition_id == expedition.id,
            func.lower(Invite.email).in_([a.lower() for a in addresses]),
            Invite.use_count == 0,
            Invite.revoked_at.is_(None),
            Invite.expires_at > utcnow(),
        )
    )
    return set(found)


def invite_by_mail(
    session: Session,
    expedition: Expedition,
    inviter: User,
    addresses: list[str],
    link_for: Callable[[str], str],
    as_facilitator: bool = False,
) -> list[Invite]:
    """One single-use invite and one mail per address, all in the caller's transaction."""
    end = expedition_end(expedition)
    invites = []
    for address in addresses:
        invite = create_invite(
            session,
            expedition,
            inviter,
            days_valid=INVITE_DAYS,
            single_use=True,
            as_facilitator=as_facilitator,
        )
        invite.email = address
        outbox.enqueue(
            session,
            channel="email",
            kind="invitation",
            template="invitation",
            context={
                "inviter": inviter.name,
                "title": expedition.title,
                "description": expedition.description[:600],
                "start": expedition.start_date.isoformat(),
                "end": end.isoformat(),
                "sprint_count": expedition.sprint_count,
                "sprint_weeks": expedition.sprint_weeks,
                "valid_until": invite.expires_at.date().isoformat(),
                "link": link_for(invite.token),
            },
            address=address,
            locale=expedition.locale,
        )
        invites.append(invite)
    return invites


def tell_facilitators_of_join(session: Session, membership: Membership, link: str) -> int:
    """The facilitators learn in the app that someone joined (not the one who joined)."""
    facilitators = session.scalars(
        Membership.__table__.select()
        .with_only_columns(Membership.user_id)
        .where(
            Membership.expedition_id == membership.expedition_id,
            Membership.is_facilitator.is_(True),
            Membership.user_id != membership.user_id,
        )
    )
    return notify_all(
        session,
        list(facilitators),
        "member_joined",
        expedition_id=membership.expedition_id,
        actor_id=membership.user_id,
        subject=membership.expedition.title,
        link=link,
    )
