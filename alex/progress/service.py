"""Peer progress: what the Zirkel page shows, Rückenwind and answers to support requests.

Everything on the Zirkel page comes from a fixed set of queries (one per kind of thing, grouped
by member in Python), so the page costs the same number of statements for 2 or 8 members and 1
or 6 sprints. Private cards and check-ins are filtered out in SQL, so they never reach a count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from alex.auth.models import User
from alex.boards.models import Card, CardMove, CheckIn, SprintReflection, Vorhaben
from alex.caching import RevisionCache
from alex.db import utcnow
from alex.expeditions import service as expeditions
from alex.expeditions.calendar import Standing
from alex.expeditions.models import Expedition, Membership
from alex.meetings.models import Meeting, RetroAction
from alex.notifications import notify
from alex.progress import charts
from alex.progress.models import KUDOS_KINDS, NOTE_MAX, SUPPORT_KINDS, Kudos, SupportResponse

SHARED = "zirkel"  # the only visibility this area ever reads
RECENT_LEARNINGS = 3  # cards with a learning shown per member
KUDOS_SHOWN = 20  # Rückenwind received, newest first
VORHABEN_SHORT = 160  # characters of the Vorhaben on a tile


class ProgressError(Exception):
    """A Rückenwind or support answer that cannot go ahead; the message is shown to the user."""


@dataclass(frozen=True)
class SprintTally:
    """One member's cards that reached "Lernen" and "Erledigt" during one sprint."""

    sprint_number: int
    learned: int
    done: int


@dataclass
class MemberProgress:
    """One member's tile: only what they shared with the Zirkel."""

    membership: Row  # the participant: user_id, name
    vorhaben: str
    focus: str
    tallies: list[SprintTally]
    experiments: int
    confidence: list[tuple[int, int | None]]
    latest_check_in: Row | None  # the CheckIn's columns
    support_request: CheckIn | None
    support_responses: list[SupportResponse]
    recent_learnings: list[Row]  # id, owner_id, kind, title, learning, visibility
    last_update: datetime | None

    @property
    def user(self) -> Row:
        """The participant's name (as `.name`), like a membership's user."""
        return self.membership


@dataclass(frozen=True)
class ReviewItem:
    """A retro action to review at the next Zirkeltreffen (provided by the meetings area)."""

    title: str
    owner_name: str
    link: str = ""


def unreviewed_retro_actions(session: Session, expedition: Expedition) -> list[ReviewItem]:
    """Retro actions of this expedition whose outcome nobody has recorded yet (one query)."""
    rows = session.execute(
        select(RetroAction.title, RetroAction.meeting_id, User.name)
        .join(Meeting, Meeting.id == RetroAction.meeting_id)
        .outerjoin(User, User.id == RetroAction.owner_id)
        .where(Meeting.expedition_id == expedition.id, RetroAction.outcome.is_(None))
        .order_by(Meeting.starts_at, RetroAction.id)
    )
    return [
        ReviewItem(
            title=title,
            owner_name=owner or "–",
            link=f"/expeditions/{expedition.id}/meetings/{meeting_id}",
        )
        for title, meeting_id, owner in rows
    ]


# Where the facilitator view finds actions to review: (session, expedition) -> list[ReviewItem].
ACTION_REVIEW_SOURCES: list[Callable[[Session, Expedition], list[ReviewItem]]] = [
    unreviewed_retro_actions
]


@dataclass
class Facilitation:
    """What the facilitator looks at to prepare the next Zirkeltreffen (to prepare, not to judge)."""

    since: datetime | None  # the last meeting's start; None before the first one
    quiet_members: list[MemberProgress]
    open_support: list[MemberProgress]
    actions_to_review: list[ReviewItem]


@dataclass
class ZirkelView:
    """Everything the Zirkel page renders."""

    expedition: Expedition
    today: date
    standing: Standing
    timeline: charts.Timeline
    members: list[MemberProgress]
    kudos_received: list[
        Row
    ]  # id, kind, note, created_at, sender_name, sender_is_facilitator, card_title
    kudos_sent: set[tuple[str, int]] = field(default_factory=set)  # ("card"|"check_in", id)
    facilitation: Facilitation | None = None


@dataclass(frozen=True)
class Change:
    """Something on the Zirkel page that is new since the viewer's last visit."""

    what: str  # "support", "check_in", "update", "kudos"
    name: str = ""  # the member's name (not for "kudos")
    user_id: int | None = None  # whose tile to open
    count: int = 0  # Rückenwind received


def changes_since(view: ZirkelView, viewer_id: int, since: datetime | None) -> list[Change]:
    """What changed on the page since `since` (the viewer's own doings left out), newest kinds
    first: a request for support, a check-in, another update, Rückenwind received."""
    if since is None:
        return []
    changes = []
    for tile in view.members:
        uid = tile.membership.user_id
        if uid == viewer_id:
            continue
        check_in = tile.latest_check_in
        if tile.support_request and tile.support_request.created_at > since:
            what = "support"
        elif check_in is not None and check_in.created_at > since:
            what = "check_in"
        elif tile.last_update is not None and tile.last_update > since:
            what = "update"
        else:
            continue
        changes.append(Change(what, tile.user.name, uid))
    new_kudos = sum(1 for k in view.kudos_received if k.created_at > since)
    if new_kudos:
        changes.append(Change("kudos", count=new_kudos))
    return changes


@cache
def _meetings_in_order():
    return (
        select(Meeting.id, Meeting.kind, Meeting.sprint_number, Meeting.starts_at)
        .where(Meeting.expedition_id == bindparam("expedition_id"))
        .order_by(Meeting.starts_at, Meeting.id)
    )


def expedition_meetings(session: Session, expedition: Expedition) -> list[Meeting]:
    """The expedition's meetings in time order."""
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.expedition_id == expedition.id)
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def zirkel_view(
    session: Session,
    expedition: Expedition,
    viewer: Membership,
    today: date | None = None,
    figures_cache: RevisionCache | None = None,
) -> ZirkelView:
    """The Zirkel page's data in a constant number of queries.

    With a `figures_cache` (GET requests only: a request that writes reads its own changes), the
    figures drawn from the members' cards are reused while no member's board revision moved
    (the three statements behind them were most of the page's database time).
    """
    today = today or expeditions.today_in(expedition)
    # Rows: the map and the facilitator's view only read the meetings' kind, sprint and time.
    meetings = list(
        session.connection().execute(_meetings_in_order(), {"expedition_id": expedition.id})
    )
    participants = expeditions.participants(session, expedition.id)
    tiles = _member_progress(session, expedition, participants, today, figures_cache)
    view = ZirkelView(
        expedition=expedition,
        today=today,
        standing=expeditions.expedition_standing(expedition, today),
        timeline=charts.build_timeline(expedition, meetings, today),
        members=tiles,
        kudos_received=_kudos_received(session, expedition, viewer.user_id),
        kudos_sent=_kudos_sent(session, expedition, viewer.user_id),
    )
    if viewer.is_facilitator:
        view.facilitation = _facilitation(session, expedition, tiles, meetings)
    return view


@dataclass(frozen=True)
class CardFigures:
    """What the tiles draw from the members' shared cards and their moves (read-only)."""

    tallies: dict[tuple[int, int, str], int]  # (owner, sprint, column reached) -> cards
    last_moves: dict[int, datetime]  # owner -> when they last moved a shared card
    experiments: dict[int, int]  # owner -> experiments under way or done
    learnings: dict[int, list[Row]]  # owner -> newest cards with a learning


def _load_card_figures(connection, on_expedition: dict) -> CardFigures:
    tallies: dict[tuple[int, int, str], int] = {}
    last_moves: dict[int, datetime] = {}
    for owner_id, sprint_number, column, count, last in connection.execute(
        _moves_per_sprint(), on_expedition
    ):
        if count:
            tallies[owner_id, sprint_number, column] = count
        last_moves[owner_id] = max(last, last_moves.get(owner_id, last))
    return CardFigures(
        tallies=tallies,
        last_moves=last_moves,
        experiments=dict(connection.execute(_experiments(), on_expedition).all()),
        learnings=dict(_grouped_rows(connection, _recent_learnings(), on_expedition, "owner_id")),
    )


def _member_progress(
    session: Session,
    expedition: Expedition,
    participants: list[Row],
    today: date,
    figures_cache: RevisionCache | None = None,
) -> list[MemberProgress]:
    """Per-member figures, each kind loaded once for the whole expedition and grouped here."""
    exp_id = expedition.id
    on_expedition = {"expedition_id": exp_id}
    # Plain rows on the connection wherever the page only reads values: building ORM objects
    # (and the ORM's execution layer) cost more than these queries.
    connection = session.connection()
    vorhaben = dict(connection.execute(_vorhaben_lines(), on_expedition).all())
    reflections: dict[int, list[Row]] = defaultdict(list)
    for reflection in connection.execute(_reflections(), on_expedition):
        reflections[reflection.user_id].append(reflection)
    if figures_cache is None:
        figures = _load_card_figures(connection, on_expedition)
    else:
        # Every change of a card or its moves raises its owner's board revision in the same
        # transaction, so for one set of participants (the membership's id and join time too:
        # someone who leaves and joins again starts at revision 0) the sum of their revisions
        # rises with every change of what the figures are drawn from. Read before the figures,
        # so an entry is never older than its label; the label is in the database, so several
        # workers agree.
        who = tuple((p.user_id, p.membership_id, p.joined_at) for p in participants)
        figures = figures_cache.get_or_load(
            ("zirkel figures", expedition.cache_epoch, exp_id, who),
            sum(p.board_revision for p in participants),
            lambda: _load_card_figures(connection, on_expedition),
            size=lambda figures: len(figures.tallies) + 1,
        )
    tallies, learnings = figures.tallies, figures.learnings
    latest_check_ins = _grouped_rows(connection, _latest_check_ins(), on_expedition, "user_id")
    support_requests, responses = _open_support(session, exp_id)

    standing = expeditions.expedition_standing(expedition, today)
    current = standing.current_sprint.number if standing.current_sprint else None
    last_sprint = current or (expedition.sprint_count if standing.phase == "finished" else 0)
    tiles = []
    for membership in participants:
        uid = membership.user_id
        own_reflections = reflections.get(uid, [])
        focus = next((r.focus for r in own_reflections if r.sprint_number == current), "")
        check_in = (latest_check_ins.get(uid) or [None])[0]
        request = support_requests.get(uid)
        tiles.append(
            MemberProgress(
                membership=membership,
                vorhaben=_shorten(vorhaben.get(uid, ""), VORHABEN_SHORT),
                focus=focus,
                tallies=[
                    SprintTally(
                        n, tallies.get((uid, n, "learning"), 0), tallies.get((uid, n, "done"), 0)
                    )
                    for n in range(1, last_sprint + 1)
                ],
                experiments=figures.experiments.get(uid, 0),
                confidence=_confidence_series(own_reflections, last_sprint),
                latest_check_in=check_in,
                support_request=request,
                support_responses=responses.get(request.id, []) if request else [],
                recent_learnings=learnings.get(uid, []),
                last_update=_latest(
                    figures.last_moves.get(uid),
                    check_in.created_at if check_in else None,
                    *(r.focus_set_at for r in own_reflections),
                    *(r.assessed_at for r in own_reflections),
                ),
            )
        )
    return tiles


def _newest_per(query, entity, partition, order, limit: int, *, rows: bool = False):
    """The newest `limit` rows of `query` per `partition` value, as one statement (a window).

    As `entity` objects, or with rows=True as plain rows of the query's columns.
    """
    ranked = query.add_columns(
        func.row_number().over(partition_by=partition, order_by=order).label("rank")
    ).subquery()
    shown = select(*ranked.c) if rows else select(aliased(entity, ranked))
    return shown.where(ranked.c.rank <= limit).order_by(ranked.c.rank)


def _grouped(session: Session, statement, params: dict, key: str) -> dict[int, list]:
    """Run a statement and group its objects by one attribute (a member's id)."""
    grouped: dict[int, list] = defaultdict(list)
    for row in session.scalars(statement, params):
        grouped[getattr(row, key)].append(row)
    return grouped


def _grouped_rows(connection, statement, params: dict, key: str) -> dict[int, list[Row]]:
    """Run a statement on the connection and group its rows by one column (a member's id)."""
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in connection.execute(statement, params):
        grouped[getattr(row, key)].append(row)
    return grouped


# The Zirkel page's statements are built once with a bound expedition id: building them (the
# aliased window subqueries above all) cost more than running them.
@cache
def _vorhaben_lines():
    """Each member's Vorhaben ("what"), by user id."""
    return select(Vorhaben.user_id, Vorhaben.what).where(
        Vorhaben.expedition_id == bindparam("expedition_id")
    )


@cache
def _reflections():
    """Every member's sprint focus and self-assessment, by sprint."""
    return (
        select(
            SprintReflection.user_id,
            SprintReflection.sprint_number,
            SprintReflection.focus,
            SprintReflection.confidence,
            SprintReflection.focus_set_at,
            SprintReflection.assessed_at,
        )
        .where(SprintReflection.expedition_id == bindparam("expedition_id"))
        .order_by(SprintReflection.sprint_number)
    )


@cache
def _moves_per_sprint():
    """One pass over the shared cards' moves, per member, sprint and column reached: how many
    cards reached it (a card counts once per sprint and column; only "learning" and "done" are
    tallied) and when the member last moved a shared card."""
    tallied = CardMove.to_column.in_(("learning", "done")) & CardMove.sprint_number.is_not(None)
    return (
        select(
            Card.owner_id,
            CardMove.sprint_number,
            CardMove.to_column,
            func.count(func.distinct(Card.id)).filter(tallied),
            func.max(CardMove.moved_at),
        )
        .join(CardMove, CardMove.card_id == Card.id)
        .where(Card.expedition_id == bindparam("expedition_id"), Card.visibility == SHARED)
        .group_by(Card.owner_id, CardMove.sprint_number, CardMove.to_column)
    )


@cache
def _experiments():
    """Experiments under way or done, per member."""
    return (
        select(Card.owner_id, func.count(Card.id))
        .where(
            Card.expedition_id == bindparam("expedition_id"),
            Card.visibility == SHARED,
            Card.kind == "experiment",
            Card.column.in_(("doing", "learning", "done")),
        )
        .group_by(Card.owner_id)
    )


def _newest_check_in_each(*conditions, rows: bool = False):
    """Each member's newest shared check-in that meets the conditions."""
    return _newest_per(
        select(CheckIn).where(
            CheckIn.expedition_id == bindparam("expedition_id"),
            CheckIn.visibility == SHARED,
            *conditions,
        ),
        CheckIn,
        CheckIn.user_id,
        (CheckIn.created_at.desc(), CheckIn.id.desc()),
        1,
        rows=rows,
    )


@cache
def _latest_check_ins():
    """Each member's newest shared check-in (rows: the tile only reads it)."""
    return _newest_check_in_each(rows=True)


@cache
def _recent_learnings():
    """Each member's newest shared cards with a learning (rows of what the tile shows)."""
    return _newest_per(
        select(Card.id, Card.owner_id, Card.kind, Card.title, Card.learning, Card.visibility).where(
            Card.expedition_id == bindparam("expedition_id"),
            Card.visibility == SHARED,
            Card.column.in_(("learning", "done")),
            Card.learning != "",
        ),
        Card,
        Card.owner_id,
        (Card.updated_at.desc(), Card.id.desc()),
        RECENT_LEARNINGS,
        rows=True,
    )


@cache
def _open_support_requests():
    """Each member's newest open support request."""
    return _newest_check_in_each(
        CheckIn.needs_support.is_(True), CheckIn.support_cleared_at.is_(None)
    )


def _open_support(
    session: Session, expedition_id: int
) -> tuple[dict[int, CheckIn], dict[int, list[SupportResponse]]]:
    """Each member's newest open support request, and the answers to open requests."""
    newest = _grouped(
        session, _open_support_requests(), {"expedition_id": expedition_id}, "user_id"
    )
    requests = {uid: rows[0] for uid, rows in newest.items()}
    responses: dict[int, list[SupportResponse]] = defaultdict(list)
    if requests:
        # The responder's name is shown with each answer: joined, not loaded one by one.
        for response in session.scalars(
            select(SupportResponse)
            .options(joinedload(SupportResponse.responder))
            .where(SupportResponse.check_in_id.in_([r.id for r in requests.values()]))
            .order_by(SupportResponse.created_at, SupportResponse.id)
        ):
            responses[response.check_in_id].append(response)
    return requests, responses


def _confidence_series(
    reflections: list[SprintReflection], last_sprint: int
) -> list[tuple[int, int | None]]:
    """(sprint, confidence or None) for every sprint so far; gaps stay gaps."""
    by_sprint = {r.sprint_number: r.confidence for r in reflections}
    return [(n, by_sprint.get(n)) for n in range(1, last_sprint + 1)]


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _shorten(text: str, limit: int) -> str:
    """The first `limit` characters, cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def _kudos_received(session: Session, expedition: Expedition, user_id: int) -> list[Row]:
    """The newest Rückenwind a member received here, with the sender's name and card's title."""
    values = {"expedition_id": expedition.id, "user_id": user_id}
    return list(session.connection().execute(_kudos_received_query(), values))


@cache
def _kudos_received_query():
    """Built once: each line names its sender and card, joined in (not loaded one by one)."""
    return (
        select(
            Kudos.id,
            Kudos.kind,
            Kudos.note,
            Kudos.created_at,
            User.name.label("sender_name"),
            Membership.is_facilitator.label("sender_is_facilitator"),  # shown beside the name
            Card.title.label("card_title"),
        )
        .outerjoin(User, User.id == Kudos.sender_id)
        .outerjoin(
            Membership,
            (Membership.user_id == Kudos.sender_id)
            & (Membership.expedition_id == Kudos.expedition_id),
        )
        .outerjoin(Card, Card.id == Kudos.card_id)
        .where(
            Kudos.expedition_id == bindparam("expedition_id"),
            Kudos.receiver_id == bindparam("user_id"),
        )
        .order_by(Kudos.created_at.desc(), Kudos.id.desc())
        .limit(KUDOS_SHOWN)
    )


def _kudos_sent(session: Session, expedition: Expedition, user_id: int) -> set[tuple[str, int]]:
    """Which cards and check-ins the member already sent Rückenwind to (to say so on the button)."""
    values = {"expedition_id": expedition.id, "user_id": user_id}
    rows = session.connection().execute(_kudos_sent_query(), values)
    return {("card", c) if c else ("check_in", ci) for c, ci in rows}


@cache
def _kudos_sent_query():
    return select(Kudos.card_id, Kudos.check_in_id).where(
        Kudos.expedition_id == bindparam("expedition_id"), Kudos.sender_id == bindparam("user_id")
    )


def _facilitation(
    session: Session,
    expedition: Expedition,
    tiles: list[MemberProgress],
    meetings: list[Meeting],
) -> Facilitation:
    """Who has been quiet since the last meeting, open requests, retro actions to review."""
    now = utcnow()
    past = [m.starts_at for m in meetings if m.starts_at <= now]
    since = max(past) if past else None
    quiet = [t for t in tiles if since and (t.last_update is None or t.last_update < since)]
    actions = [item for source in ACTION_REVIEW_SOURCES for item in source(session, expedition)]
    return Facilitation(
        since=since,
        quiet_members=quiet,
        open_support=[t for t in tiles if t.support_request],
        actions_to_review=actions,
    )


def shared_card(session: Session, expedition_id: int, card_id: int) -> Card | None:
    """A card of this expedition that its owner shared with the Zirkel, else None."""
    return session.scalar(
        select(Card).where(
            Card.id == card_id, Card.expedition_id == expedition_id, Card.visibility == SHARED
        )
    )


def shared_check_in(session: Session, expedition_id: int, check_in_id: int) -> CheckIn | None:
    """A check-in of this expedition shared with the Zirkel, else None."""
    return session.scalar(
        select(CheckIn).where(
            CheckIn.id == check_in_id,
            CheckIn.expedition_id == expedition_id,
            CheckIn.visibility == SHARED,
        )
    )


def _is_member(session: Session, expedition_id: int, user_id: int) -> bool:
    return bool(
        session.scalar(
            select(Membership.id).where(
                Membership.expedition_id == expedition_id, Membership.user_id == user_id
            )
        )
    )


def _clean_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ProgressError(_l("Please keep your note to %(max)d characters.", max=NOTE_MAX))
    return note


def send_kudos(
    session: Session,
    sender_id: int,
    target: Card | CheckIn,
    kind: str,
    note: str = "",
    link: str = "",
) -> Kudos:
    """Send Rückenwind on a shared card or check-in and tell the receiver.

    Sending the same kind to the same thing twice keeps the first one (a double tap on a weak
    network must not notify twice).
    """
    if kind not in KUDOS_KINDS:
        raise ProgressError(_l("Please choose one of the kinds of Rückenwind."))
    note = _clean_note(note)
    receiver_id = target.owner_id if isinstance(target, Card) else target.user_id
    if receiver_id == sender_id:
        raise ProgressError(_l("Rückenwind is for the others – yours comes from them."))
    if not _is_member(session, target.expedition_id, receiver_id):
        raise ProgressError(_l("This person is no longer part of the expedition."))
    target_column = Kudos.card_id if isinstance(target, Card) else Kudos.check_in_id
    existing = session.scalar(
        select(Kudos).where(
            Kudos.sender_id == sender_id, target_column == target.id, Kudos.kind == kind
        )
    )
    if existing is not None:
        return existing
    kudos = Kudos(
        expedition_id=target.expedition_id,
        sender_id=sender_id,
        receiver_id=receiver_id,
        card_id=target.id if isinstance(target, Card) else None,
        check_in_id=target.id if isinstance(target, CheckIn) else None,
        kind=kind,
        note=note,
    )
    session.add(kudos)
    session.flush()
    notify(
        session,
        receiver_id,
        "kudos",
        expedition_id=target.expedition_id,
        actor_id=sender_id,
        subject=target.title if isinstance(target, Card) else "",
        link=link,
    )
    return kudos


def respond_to_support(
    session: Session,
    responder_id: int,
    check_in: CheckIn,
    kind: str,
    note: str = "",
    link: str = "",
) -> SupportResponse:
    """Answer someone's request for support and tell them in the app."""
    if kind not in SUPPORT_KINDS:
        raise ProgressError(_l("Please choose how you want to help."))
    note = _clean_note(note)
    if kind == "note" and not note:
        raise ProgressError(_l("Please write a short note, or offer to talk."))
    if check_in.user_id == responder_id:
        raise ProgressError(_l("This is your own request – the others can answer it."))
    if not check_in.needs_support or check_in.support_cleared_at is not None:
        raise ProgressError(_l("This request for support has been closed in the meantime."))
    response = SupportResponse(
        check_in_id=check_in.id, responder_id=responder_id, kind=kind, note=note
    )
    session.add(response)
    session.flush()
    notify(
        session,
        check_in.user_id,
        "support_answered",
        expedition_id=check_in.expedition_id,
        actor_id=responder_id,
        link=link,
    )
    return response


def support_responses(session: Session, check_in_id: int) -> list[SupportResponse]:
    """The answers to one support request, oldest first, with who answered."""
    return list(
        session.scalars(
            select(SupportResponse)
            .options(joinedload(SupportResponse.responder))
            .where(SupportResponse.check_in_id == check_in_id)
            .order_by(SupportResponse.created_at, SupportResponse.id)
        )
    )
