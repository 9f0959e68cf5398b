"""Expedition domain functions: create, configure, invite, manage members."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, func, literal, select, update
from sqlalchemy.orm import Session, contains_eager

from alex.auth.models import User
from alex.auth.names import name_key
from alex.db import utcnow
from alex.expeditions import calendar
from alex.expeditions.models import Expedition, Invite, Membership


class ExpeditionError(Exception):
    """A change that cannot go ahead; the message is shown to the user."""


def name_shared_with_member(
    session: Session, user_id: int, name: str, expedition_id: int | None = None
) -> bool:
    """Whether another member of one of the person's expeditions (or of this one) has the name.

    Compared as people read names: ignoring case, invisible characters and compatibility forms.
    """
    expeditions = select(Membership.expedition_id).where(Membership.user_id == user_id)
    if expedition_id is not None:
        expeditions = expeditions.union(select(literal(expedition_id)))
    names = session.scalars(
        select(User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.expedition_id.in_(expeditions), User.id != user_id)
        .distinct()
    )
    wanted = name_key(name)
    return any(name_key(other) == wanted for other in names)


@dataclass(frozen=True)
class ExpeditionSettings:
    """What a facilitator chooses for an expedition (also what a template copies)."""

    title: str
    description: str
    start_date: date
    sprint_weeks: int = 4
    sprint_count: int = 6
    timezone: str = "Europe/Berlin"
    pit_stops: bool = False
    retention_months: int | None = None


def create_expedition(
    session: Session, creator: User, settings: ExpeditionSettings, creator_participates: bool = True
) -> Expedition:
    """Create an expedition; its creator becomes its facilitator (Moderation)."""
    expedition = Expedition(created_by_id=creator.id, **_fields(settings))
    session.add(expedition)
    session.flush()
    session.add(
        Membership(
            expedition=expedition,
            user_id=creator.id,
            is_facilitator=True,
            is_participant=creator_participates,
        )
    )
    session.flush()
    return expedition


def _fields(settings: ExpeditionSettings) -> dict:
    return {
        "title": settings.title.strip(),
        "description": settings.description.strip(),
        "start_date": settings.start_date,
        "sprint_weeks": settings.sprint_weeks,
        "sprint_count": settings.sprint_count,
        "timezone": settings.timezone,
        "pit_stops": settings.pit_stops,
        "retention_months": settings.retention_months,
    }


def settings_of(expedition: Expedition) -> ExpeditionSettings:
    """An expedition's settings, e.g. to start a new one from it (Expeditions-Vorlage)."""
    return ExpeditionSettings(
        title=expedition.title,
        description=expedition.description,
        start_date=expedition.start_date,
        sprint_weeks=expedition.sprint_weeks,
        sprint_count=expedition.sprint_count,
        timezone=expedition.timezone,
        pit_stops=expedition.pit_stops,
        retention_months=expedition.retention_months,
    )


def shifts_sprints(expedition: Expedition, settings: ExpeditionSettings) -> bool:
    """Whether new settings move sprint boundaries (worth a warning before saving)."""
    return (expedition.start_date, expedition.sprint_weeks, expedition.sprint_count) != (
        settings.start_date,
        settings.sprint_weeks,
        settings.sprint_count,
    )


def update_expedition(
    session: Session, expedition: Expedition, settings: ExpeditionSettings
) -> None:
    """Apply new settings."""
    for key, value in _fields(settings).items():
        setattr(expedition, key, value)


def sprint_calendar(expedition: Expedition) -> list[calendar.Sprint]:
    """The expedition's sprints."""
    return calendar.sprints(expedition.start_date, expedition.sprint_weeks, expedition.sprint_count)


def expedition_end(expedition: Expedition) -> date:
    """The Abschluss date."""
    return calendar.end_date(
        expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
    )


def expedition_standing(
    expedition: Expedition, today: date, scheduled: tuple[calendar.NextMeeting, ...] = ()
) -> calendar.Standing:
    """Where the expedition stands today (given the meetings scheduled from today on)."""
    return calendar.standing(
        expedition.start_date, expedition.sprint_weeks, expedition.sprint_count, today, scheduled
    )


# The meetings area tells the calendar what is scheduled (registered in create_app, because
# expeditions sit below meetings): (session, expedition ids, from when) -> id -> [(start, kind)].
UpcomingMeetings = Callable[[Session, list[int], datetime], dict[int, list[tuple[datetime, str]]]]
_UPCOMING_KEY = "alex.expeditions.upcoming_meetings"


def register_upcoming_meetings(app: Flask, source: UpcomingMeetings) -> None:
    """Have `source` name the meetings still to come (the meetings area calls this)."""
    app.extensions[_UPCOMING_KEY] = source


def standings(session: Session, expeditions: list[Expedition]) -> dict[int, calendar.Standing]:
    """Where each expedition stands today, counting to its next scheduled meeting (one query).

    The one answer to "when is the next meeting" that home, the expedition page and the board
    show; the Expeditionskarte and the meetings page read the same rows.
    """
    source = current_app.extensions.get(_UPCOMING_KEY)
    since = utcnow() - timedelta(days=1)  # today's meeting, in any time zone, is still to come
    upcoming = source(session, [e.id for e in expeditions], since) if source and expeditions else {}
    answer = {}
    for expedition in expeditions:
        zone = ZoneInfo(expedition.timezone)
        scheduled = tuple(
            calendar.NextMeeting(starts_at.astimezone(zone).date(), kind)
            for starts_at, kind in upcoming.get(expedition.id, ())
        )
        answer[expedition.id] = expedition_standing(expedition, today_in(expedition), scheduled)
    return answer


def standing_of(session: Session, expedition: Expedition) -> calendar.Standing:
    """Where this expedition stands today, with its next scheduled meeting."""
    return standings(session, [expedition])[expedition.id]


def deletion_date(expedition: Expedition) -> date | None:
    """When the retention setting deletes the expedition, if set."""
    if not expedition.retention_months:
        return None
    end = expedition_end(expedition)
    month = end.month - 1 + expedition.retention_months
    year, month = end.year + month // 12, month % 12 + 1
    day = min(
        end.day,
        [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][month - 1],
    )
    return date(year, month, day)


def memberships_of_user(session: Session, user: User) -> list[Membership]:
    """The user's memberships with their expeditions, newest expedition first."""
    return list(
        session.scalars(
            select(Membership)
            .join(Membership.expedition)
            .options(contains_eager(Membership.expedition))  # in the same query, not one each
            .where(Membership.user_id == user.id)
            .order_by(Expedition.start_date.desc(), Expedition.id.desc())
        )
    )


def members(session: Session, expedition: Expedition) -> list[Membership]:
    """Everyone in the expedition with their accounts, by name."""
    return list(
        session.scalars(
            select(Membership)
            .join(Membership.user)
            .options(contains_eager(Membership.user))  # the accounts in the same query
            .where(Membership.expedition_id == expedition.id)
            .order_by(func.lower(User.name))
        )
    )


@cache
def _participants_query():
    """Built once: board and Zirkel pages name the participants (and label cached figures)."""
    return (
        select(
            Membership.user_id,
            User.name,
            Membership.id.label("membership_id"),
            Membership.joined_at,
            Membership.board_revision,
        )
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.expedition_id == bindparam("expedition_id"),
            Membership.user_id != bindparam("except_user_id"),
            Membership.is_participant.is_(True),
        )
        .order_by(func.lower(User.name))
    )


def participants(session: Session, expedition_id: int, except_user_id: int = 0) -> list[Row]:
    """The participants as rows (user_id, name, membership_id, joined_at, board_revision), by
    name; all of them unless one is excepted.

    (0 is no one's id: ids start at 1.)
    """
    values = {"expedition_id": expedition_id, "except_user_id": except_user_id}
    return list(session.connection().execute(_participants_query(), values))


def peers(session: Session, expedition_id: int, viewer_id: int) -> list[Row]:
    """The other participants: the links to their boards."""
    return participants(session, expedition_id, except_user_id=viewer_id)


INVITE_LIFETIMES_DAYS = (1, 7, 14, 30)


def create_invite(
    session: Session,
    expedition: Expedition,
    creator: User,
    days_valid: int = 14,
    single_use: bool = False,
    as_facilitator: bool = False,
) -> Invite:
    """A new invite link; the token is unguessable."""
    invite = Invite(
        expedition=expedition,
        token=secrets.token_urlsafe(24),
        created_by_id=creator.id,
        expires_at=utcnow() + timedelta(days=days_valid),
        single_use=single_use,
        as_facilitator=as_facilitator,
    )
    session.add(invite)
    session.flush()
    return invite


def active_invites(session: Session, expedition: Expedition) -> list[Invite]:
    """Invites that still work, newest first."""
    now = utcnow()
    invites = session.scalars(
        select(Invite)
        .where(
            Invite.expedition_id == expedition.id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.created_at.desc())
    )
    return [i for i in invites if not (i.single_use and i.use_count > 0)]


def revoke_invite(session: Session, invite: Invite) -> None:
    """The link stops working at once."""
    invite.revoked_at = invite.revoked_at or utcnow()


_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def find_usable_invite(session: Session, token: str) -> Invite | None:
    """The invite for this token if it still works, else None."""
    if not _TOKEN.fullmatch(token or ""):
        return None  # not one of ours; keeps odd bytes away from the database
    invite = session.scalar(select(Invite).where(Invite.token == token))
    if invite is None or invite.revoked_at or invite.expires_at <= utcnow():
        return None
    if invite.single_use and invite.use_count > 0:
        return None
    return invite


def accept_invite(session: Session, invite: Invite, user: User) -> Membership:
    """Join the expedition through an invite; joining twice changes nothing.

    A single-use invite is claimed with a conditional UPDATE, so two people racing for it cannot
    both get in.
    """
    existing = session.scalar(
        select(Membership).where(
            Membership.expedition_id == invite.expedition_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    if name_shared_with_member(session, user.id, user.name, invite.expedition_id):
        # Two members with one name could pass for each other (a "Moderation" among them).
        raise ExpeditionError(
            _l(
                "Someone in this expedition is already called „%(name)s“. Please change your "
                "name in your account (for example, add your surname) and open the link again.",
                name=user.name,
            )
        )
    claim = update(Invite).where(Invite.id == invite.id).values(use_count=Invite.use_count + 1)
    if invite.single_use:
        claim = claim.where(Invite.use_count == 0)
    if session.execute(claim).rowcount != 1:
        raise ExpeditionError(_l("This invite link has already been used."))
    membership = Membership(
        expedition_id=invite.expedition_id,
        user_id=user.id,
        is_facilitator=invite.as_facilitator,
        is_participant=True,
    )
    session.add(membership)
    session.flush()
    membership.joined_now = True
    return membership


def _lock_memberships(session: Session, expedition_id: int) -> None:
    """Serialise role changes per expedition, so two facilitators demoting each other at the
    same moment cannot leave it without one (SQLite already serialises writers)."""
    session.execute(
        select(Expedition.id).where(Expedition.id == expedition_id).with_for_update()
    ).all()


def facilitator_count(session: Session, expedition: Expedition) -> int:
    """How many members hold the facilitator role (after locking the expedition's members)."""
    _lock_memberships(session, expedition.id)
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.expedition_id == expedition.id, Membership.is_facilitator.is_(True))
        )
        or 0
    )


def set_roles(
    session: Session, membership: Membership, is_facilitator: bool, is_participant: bool
) -> None:
    """Change a member's roles; an expedition always keeps a facilitator and each member a role."""
    if not (is_facilitator or is_participant):
        raise ExpeditionError(_l("Everyone needs at least one role."))
    if (
        membership.is_facilitator
        and not is_facilitator
        and facilitator_count(session, membership.expedition) <= 1
    ):
        raise ExpeditionError(
            _l(
                "The expedition needs at least one facilitator. Make someone else facilitator first."
            )
        )
    membership.is_facilitator = is_facilitator
    membership.is_participant = is_participant


def remove_member(session: Session, membership: Membership) -> None:
    """Take someone out of the expedition (or let them leave); the last facilitator cannot go."""
    if membership.is_facilitator and facilitator_count(session, membership.expedition) <= 1:
        raise ExpeditionError(
            _l(
                "The expedition needs at least one facilitator. Make someone else facilitator first."
            )
        )
    session.delete(membership)


def today_in(expedition: Expedition) -> date:
    """Today's date where the expedition takes place."""
    return datetime.now(ZoneInfo(expedition.timezone)).date()


# --- Instance areas (Börse, Anschluss, libraries) plug in here: adding a member without an
# invite link, and Vorlagen shared across the instance (filled in create_app by an optional area).


def add_member(session: Session, expedition_id: int, user: User) -> Membership:
    """Make a person a participant (accepted on the Börse, or joining a follow-up run).

    The same checks as joining by invite: already a member changes nothing; a name another
    member has is refused. Two requests at once: the unique constraint lets one in.
    """
    existing = session.scalar(
        select(Membership).where(
            Membership.expedition_id == expedition_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    if name_shared_with_member(session, user.id, user.name, expedition_id):
        raise ExpeditionError(
            _l(
                "Someone in this expedition is already called „%(name)s“. They need to change "
                "their name in their account (for example, add a surname) first.",
                name=user.name,
            )
        )
    membership = Membership(expedition_id=expedition_id, user_id=user.id, is_participant=True)
    session.add(membership)
    session.flush()
    membership.joined_now = True
    return membership


@dataclass(frozen=True)
class SharedVorlage:
    """A Vorlage from the instance's library: its name and the settings it carries."""

    id: int
    name: str
    settings: ExpeditionSettings


# (session) -> the library's Vorlagen; (session, id) -> one of them or None.
SharedVorlagenSource = tuple[
    Callable[[Session], list[SharedVorlage]], Callable[[Session, int], SharedVorlage | None]
]
_VORLAGEN_KEY = "alex.expeditions.shared_vorlagen"


def register_shared_vorlagen(app: Flask, source: SharedVorlagenSource) -> None:
    """Offer the instance library's Vorlagen on the new-expedition page (an optional area)."""
    app.extensions[_VORLAGEN_KEY] = source


def shared_vorlagen(session: Session) -> list[SharedVorlage]:
    """The library's Vorlagen, or none when no library is installed."""
    source = current_app.extensions.get(_VORLAGEN_KEY)
    return source[0](session) if source else []


def shared_vorlage(session: Session, vorlage_id: int) -> SharedVorlage | None:
    """One of the library's Vorlagen, or None."""
    source = current_app.extensions.get(_VORLAGEN_KEY)
    return source[1](session, vorlage_id) if source else None
