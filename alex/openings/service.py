"""The Börse: list an expedition with places, ask to join, accept or decline.

Places are taken when a facilitator accepts, not when someone asks: asking costs nothing, the
facilitator still chooses who fits the circle, and a request nobody answers blocks no place.
The last place goes to one acceptance only — a conditional UPDATE (`seats_taken < seats`),
which PostgreSQL runs under the row's lock and SQLite under its single writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from alex.auth.models import User
from alex.db import utcnow
from alex.expeditions import service as expeditions
from alex.expeditions.models import Expedition, Membership
from alex.exports.hooks import iso
from alex.notifications import notify, notify_all
from alex.openings.models import JoinRequest, Opening

SEATS_MAX = 30


class OpeningError(Exception):
    """A change that cannot go ahead; the message is shown to the user."""


@dataclass(frozen=True)
class Listing:
    """What a person sees of an opening on the Börse."""

    opening: Opening
    expedition: Expedition
    end: date
    seats_left: int
    deadline_passed: bool
    request: JoinRequest | None

    @property
    def open_for_requests(self) -> bool:
        """New requests are taken: places left and the deadline not passed."""
        return self.seats_left > 0 and not self.deadline_passed


def opening_of(session: Session, expedition_id: int) -> Opening | None:
    """The expedition's listing, listed or not."""
    return session.get(Opening, expedition_id)


def list_expedition(
    session: Session,
    expedition: Expedition,
    by: User,
    *,
    seats: int,
    deadline: date,
    description: str,
) -> Opening:
    """List the expedition on the Börse (or change its listing); places already given stay."""
    if not 1 <= seats <= SEATS_MAX:
        raise OpeningError(_l("Offer between 1 and %(max)d places.", max=SEATS_MAX))
    if deadline < expeditions.today_in(expedition):
        raise OpeningError(_l("The sign-up deadline cannot be in the past."))
    opening = opening_of(session, expedition.id)
    if opening is None:
        opening = Opening(expedition_id=expedition.id, seats_taken=0, listed_by_id=by.id)
        session.add(opening)
    elif seats < opening.seats_taken:
        raise OpeningError(
            _l(
                "%(num)d places are given already: offer at least that many.",
                num=opening.seats_taken,
            )
        )
    opening.seats = seats
    opening.deadline = deadline
    opening.description = description.strip()
    opening.listed = True
    session.flush()
    return opening


def unlist_expedition(session: Session, opening: Opening) -> None:
    """Take the expedition off the Börse; requests stay for the facilitator to answer."""
    opening.listed = False


def _deadline_passed(opening: Opening, expedition: Expedition) -> bool:
    return expeditions.today_in(expedition) > opening.deadline


def open_listings(session: Session, viewer: User) -> list[Listing]:
    """Listed expeditions the viewer is not part of, soonest start first (two queries)."""
    member_of = select(Membership.expedition_id).where(Membership.user_id == viewer.id)
    rows = session.scalars(
        select(Opening)
        .join(Opening.expedition)
        .options(contains_eager(Opening.expedition))  # the expedition in the same query
        .where(Opening.listed.is_(True), Opening.expedition_id.not_in(member_of))
        .order_by(Expedition.start_date, Expedition.id)
    ).all()
    mine = {
        r.expedition_id: r
        for r in session.scalars(
            select(JoinRequest).where(
                JoinRequest.user_id == viewer.id,
                JoinRequest.expedition_id.in_([o.expedition_id for o in rows]),
            )
        )
    }
    return [_listing(o, mine.get(o.expedition_id)) for o in rows]


def _listing(opening: Opening, request: JoinRequest | None) -> Listing:
    expedition = opening.expedition
    return Listing(
        opening=opening,
        expedition=expedition,
        end=expeditions.expedition_end(expedition),
        seats_left=max(opening.seats - opening.seats_taken, 0),
        deadline_passed=_deadline_passed(opening, expedition),
        request=request,
    )


def listing_for(session: Session, expedition_id: int, viewer: User) -> Listing | None:
    """One listed expedition as the viewer sees it; None when not listed or they are a member."""
    opening = session.scalar(
        select(Opening)
        .join(Opening.expedition)
        .options(contains_eager(Opening.expedition))
        .where(Opening.expedition_id == expedition_id, Opening.listed.is_(True))
    )
    if opening is None or is_member(session, expedition_id, viewer.id):
        return None
    request = session.scalar(
        select(JoinRequest).where(
            JoinRequest.expedition_id == expedition_id, JoinRequest.user_id == viewer.id
        )
    )
    return _listing(opening, request)


def is_member(session: Session, expedition_id: int, user_id: int) -> bool:
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.expedition_id == expedition_id, Membership.user_id == user_id
            )
        )
        is not None
    )


def request_to_join(
    session: Session, listing: Listing, user: User, message: str, link: str
) -> JoinRequest:
    """Ask to join; refused when full, after the deadline, or asked already (the unique
    constraint holds even for two tabs at once). The facilitators are told."""
    if listing.request is not None:
        raise OpeningError(_l("You have asked to join this expedition already."))
    if listing.deadline_passed:
        raise OpeningError(_l("The sign-up deadline has passed: no new requests."))
    if listing.seats_left <= 0:
        raise OpeningError(_l("All places are taken: no new requests."))
    request = JoinRequest(
        expedition_id=listing.expedition.id, user_id=user.id, message=message.strip()
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError as error:
        raise OpeningError(_l("You have asked to join this expedition already.")) from error
    notify_all(
        session,
        _facilitator_ids(session, listing.expedition.id),
        "join_requested",
        expedition_id=listing.expedition.id,
        actor_id=user.id,
        subject=listing.expedition.title,
        link=link,
    )
    return request


def _facilitator_ids(session: Session, expedition_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Membership.user_id).where(
                Membership.expedition_id == expedition_id, Membership.is_facilitator.is_(True)
            )
        )
    )


def requests_of(session: Session, expedition_id: int) -> list[JoinRequest]:
    """The expedition's requests with who asked: open ones first, then by time."""
    return list(
        session.scalars(
            select(JoinRequest)
            .join(JoinRequest.user)
            .options(contains_eager(JoinRequest.user))  # the names in the same query
            .where(JoinRequest.expedition_id == expedition_id)
            .order_by((JoinRequest.status != "pending"), JoinRequest.created_at, JoinRequest.id)
        )
    )


def _claim_request(session: Session, request: JoinRequest, by: User, status: str) -> None:
    """Settle a pending request once: a double click or a second facilitator changes nothing."""
    claimed = session.execute(
        update(JoinRequest)
        .where(JoinRequest.id == request.id, JoinRequest.status == "pending")
        .values(status=status, decided_at=utcnow(), decided_by_id=by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise OpeningError(_l("This request has been answered already."))


def accept_request(session: Session, request: JoinRequest, by: User, link: str) -> Membership:
    """Take the person in: claims the request, then one place, then makes them a participant.

    Both claims are conditional UPDATEs in the caller's transaction; when the place is gone the
    caller rolls back and the request stays open.
    """
    _claim_request(session, request, by, "accepted")
    taken = session.execute(
        update(Opening)
        .where(
            Opening.expedition_id == request.expedition_id,
            Opening.seats_taken < Opening.seats,
        )
        .values(seats_taken=Opening.seats_taken + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise OpeningError(_l("All places are taken. Offer more places to accept this request."))
    try:
        membership = expeditions.add_member(session, request.expedition_id, request.user)
    except expeditions.ExpeditionError as error:
        raise OpeningError(str(error)) from error
    expedition = session.get(Expedition, request.expedition_id)
    notify(
        session,
        request.user_id,
        "join_accepted",
        expedition_id=request.expedition_id,
        actor_id=by.id,
        subject=expedition.title if expedition else "",
        link=link,
    )
    return membership


def decline_request(session: Session, request: JoinRequest, by: User, link: str) -> None:
    """Say no (kindly); the person is told and cannot ask again for this expedition."""
    _claim_request(session, request, by, "declined")
    expedition = session.get(Expedition, request.expedition_id)
    notify(
        session,
        request.user_id,
        "join_declined",
        expedition_id=request.expedition_id,
        actor_id=by.id,
        subject=expedition.title if expedition else "",
        link=link,
    )


def export_rows(session: Session, user_id: int) -> list[dict]:
    """The person's requests to join (Börse), for their data export."""
    rows = session.execute(
        select(JoinRequest, Expedition.title)
        .join(Expedition, Expedition.id == JoinRequest.expedition_id)
        .where(JoinRequest.user_id == user_id)
        .order_by(JoinRequest.created_at, JoinRequest.id)
    )
    return [
        {
            "expedition_id": r.expedition_id,
            "expedition_title": title,
            "message": r.message,
            "status": r.status,
            "created_at": iso(r.created_at),
            "decided_at": iso(r.decided_at),
        }
        for r, title in rows
    ]
