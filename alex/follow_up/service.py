"""Anschluss-Expedition: a follow-up run started from a finished (or finishing) expedition.

The facilitator starts it from the Abschluss (the last sprint or after the end): the same
settings (the Vorlage mechanism, `settings_of`), a new start date, themselves as facilitator.
Everyone else of the old circle gets an invitation and a notification; nobody is added without
saying yes. Who says yes joins as a participant and finds, clearly marked, their old Vorhaben as
the new one's starting point (a version in its history says where it came from) and their
unfinished cards — those in "Diesen Sprint", "In Arbeit" and "Lernen", and the cards of their
open retro actions — as new cards in "Ideen". Finished cards and the Logbuch stay where they were.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.boards import service as boards
from alex.boards.models import Card, Vorhaben, VorhabenVersion
from alex.db import utcnow
from alex.expeditions import service as expeditions
from alex.expeditions.models import Expedition, Membership
from alex.exports.hooks import iso
from alex.follow_up.models import FollowUp, FollowUpInvitation
from alex.meetings.models import Meeting, RetroAction
from alex.notifications import notify_all

TITLE_MAX = 120


class FollowUpError(Exception):
    """A change that cannot go ahead; the message is shown to the user."""


@dataclass(frozen=True)
class Links:
    """Where an expedition came from and where it goes on (either may be None)."""

    continues: Expedition | None
    continued_in: Expedition | None
    asked_along: bool = False  # the viewer's invitation to the follow-up waits for an answer


def links_of(session: Session, expedition_id: int, viewer_id: int) -> Links:
    """The follow-up links of an expedition, both ways, and whether the viewer is asked along."""
    rows = session.scalars(
        select(FollowUp).where(
            (FollowUp.previous_id == expedition_id) | (FollowUp.following_id == expedition_id)
        )
    ).all()
    continues = next((r.previous for r in rows if r.following_id == expedition_id), None)
    onward = next((r for r in rows if r.previous_id == expedition_id), None)
    asked = onward is not None and (
        session.scalar(
            select(FollowUpInvitation.id).where(
                FollowUpInvitation.follow_up_id == onward.id,
                FollowUpInvitation.user_id == viewer_id,
                FollowUpInvitation.status == "pending",
            )
        )
        is not None
    )
    return Links(continues, onward.following if onward else None, asked)


def at_closing(expedition: Expedition) -> bool:
    """In its last sprint or over: the time to start a follow-up run."""
    standing = expeditions.expedition_standing(expedition, expeditions.today_in(expedition))
    if standing.phase == "finished":
        return True
    sprint = standing.current_sprint
    return (
        standing.phase == "running"
        and sprint is not None
        and sprint.number == expedition.sprint_count
    )


def follow_up_of(session: Session, expedition_id: int) -> FollowUp | None:
    """The follow-up run started from this expedition, if any."""
    return session.scalar(select(FollowUp).where(FollowUp.previous_id == expedition_id))


def start_follow_up(
    session: Session, expedition: Expedition, by: User, *, title: str, start_date: date, link
) -> FollowUp:
    """Create the follow-up expedition and invite the rest of the circle.

    `link(following_id)` is the local path the invitations point to. Twice at once: the unique
    constraint on the previous expedition lets one through.
    """
    if not at_closing(expedition):
        raise FollowUpError(
            _l("A follow-up expedition can be started in the last sprint or after the Abschluss.")
        )
    if follow_up_of(session, expedition.id) is not None:
        raise FollowUpError(_l("This expedition has a follow-up already."))
    title = " ".join(title.split())[:TITLE_MAX]
    if not title:
        raise FollowUpError(_l("Please give the expedition a title."))
    settings = replace(expeditions.settings_of(expedition), title=title, start_date=start_date)
    try:
        with session.begin_nested():
            following = expeditions.create_expedition(
                session, by, settings, creator_participates=_participates(session, expedition, by)
            )
            follow_up = FollowUp(
                previous_id=expedition.id, following_id=following.id, created_by_id=by.id
            )
            session.add(follow_up)
            session.flush()
    except IntegrityError as error:
        raise FollowUpError(_l("This expedition has a follow-up already.")) from error
    others = [m.user_id for m in expeditions.members(session, expedition) if m.user_id != by.id]
    session.add_all(FollowUpInvitation(follow_up_id=follow_up.id, user_id=uid) for uid in others)
    session.flush()
    if _participates(session, expedition, by):
        carry_over_person(session, expedition, following, by.id)
    notify_all(
        session,
        others,
        "follow_up_invited",
        expedition_id=expedition.id,
        actor_id=by.id,
        subject=title,
        link=link(expedition.id),
    )
    return follow_up


def _participates(session: Session, expedition: Expedition, user: User) -> bool:
    return bool(
        session.scalar(
            select(Membership.is_participant).where(
                Membership.expedition_id == expedition.id, Membership.user_id == user.id
            )
        )
    )


def invitation_of(session: Session, follow_up: FollowUp, user_id: int) -> FollowUpInvitation | None:
    """The person's invitation to the follow-up run, if they were asked."""
    return session.scalar(
        select(FollowUpInvitation).where(
            FollowUpInvitation.follow_up_id == follow_up.id, FollowUpInvitation.user_id == user_id
        )
    )


def invitations_of(session: Session, follow_up: FollowUp) -> list[tuple[FollowUpInvitation, User]]:
    """Everyone asked along, with their answer, by name."""
    return [
        (invitation, user)
        for invitation, user in session.execute(
            select(FollowUpInvitation, User)
            .join(User, User.id == FollowUpInvitation.user_id)
            .where(FollowUpInvitation.follow_up_id == follow_up.id)
            .order_by(User.name)
        ).all()
    ]


def _answer(session: Session, invitation: FollowUpInvitation, status: str) -> None:
    """Settle the invitation once (a double click joins once)."""
    changed = session.execute(
        update(FollowUpInvitation)
        .where(FollowUpInvitation.id == invitation.id, FollowUpInvitation.status == "pending")
        .values(status=status, answered_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise FollowUpError(_l("You have answered this invitation already."))


def join_follow_up(session: Session, follow_up: FollowUp, user: User) -> Membership:
    """Say yes: become a participant and take the Vorhaben and unfinished cards along."""
    invitation = invitation_of(session, follow_up, user.id)
    if invitation is None:
        raise FollowUpError(_l("You are not invited to this follow-up expedition."))
    _answer(session, invitation, "joined")
    try:
        membership = expeditions.add_member(session, follow_up.following_id, user)
    except expeditions.ExpeditionError as error:
        raise FollowUpError(str(error)) from error
    carry_over_person(session, follow_up.previous, follow_up.following, user.id)
    return membership


def decline_follow_up(session: Session, follow_up: FollowUp, user: User) -> None:
    """Say no: nothing changes in the new expedition."""
    invitation = invitation_of(session, follow_up, user.id)
    if invitation is None:
        raise FollowUpError(_l("You are not invited to this follow-up expedition."))
    _answer(session, invitation, "declined")


def carry_over_person(
    session: Session, previous: Expedition, following: Expedition, user_id: int
) -> int:
    """Copy the person's Vorhaben (as a marked starting point) and unfinished cards; returns
    how many cards were carried."""
    old = boards.get_vorhaben(session, previous.id, user_id)
    if old is not None and boards.get_vorhaben(session, following.id, user_id) is None:
        texts = {key: getattr(old, key) for key in boards.VORHABEN_FIELDS}
        vorhaben = Vorhaben(expedition_id=following.id, user_id=user_id, **texts)
        session.add(vorhaben)
        session.flush()
        # The history says where the text came from: a starting point to rework, not a result.
        vorhaben.versions.append(
            VorhabenVersion(
                reason=_(
                    "Starting point: taken over from „%(title)s“. Rework it for this expedition.",
                    title=previous.title,
                ),
                **texts,
            )
        )
    action_cards = (
        select(RetroAction.card_id)
        .join(Meeting, Meeting.id == RetroAction.meeting_id)
        .where(
            Meeting.expedition_id == previous.id,
            RetroAction.owner_id == user_id,
            RetroAction.outcome.is_(None),
            RetroAction.card_id.is_not(None),
        )
    )
    cards = session.scalars(
        select(Card)
        .where(
            Card.expedition_id == previous.id,
            Card.owner_id == user_id,
            Card.column != "done",
            Card.column.in_(boards.UNFINISHED) | Card.id.in_(action_cards),
        )
        .order_by(Card.column, Card.position)
    ).all()
    for card in cards:
        boards.create_card(
            session,
            following.id,
            user_id,
            card.title,
            column="ideas",
            kind=card.kind,
            visibility=card.visibility,
            notes=card.notes,
            hypothesis=card.hypothesis,
        )
    return len(cards)


def export_rows(session: Session, user_id: int) -> list[dict]:
    """The person's invitations to follow-up runs and their answers, for their data export."""
    rows = session.execute(
        select(FollowUpInvitation, FollowUp)
        .join(FollowUp, FollowUp.id == FollowUpInvitation.follow_up_id)
        .where(FollowUpInvitation.user_id == user_id)
        .order_by(FollowUp.created_at, FollowUpInvitation.id)
    )
    return [
        {
            "previous_expedition_id": f.previous_id,
            "following_expedition_id": f.following_id,
            "status": i.status,
            "invited_at": iso(f.created_at),
            "answered_at": iso(i.answered_at),
        }
        for i, f in rows
    ]
