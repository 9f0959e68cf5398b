"""Turn a story (alex.demo.story) into an expedition: accounts, boards, Logbuch, meetings, Rückenwind.

The one builder behind `flask alex seed-demo`, the report sample and the tests' data. Cards, their
moves and checklists go in with bulk INSERTs, so a demo with a thousand cards per board is quick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.boards.models import (
    COLUMNS,
    Card,
    CardMove,
    CheckIn,
    ChecklistItem,
    SprintReflection,
    Vorhaben,
    VorhabenVersion,
)
from alex.boards.revision import raise_board_revision
from alex.demo.story import PROMPT_KEYS, CardSpec, CheckInSpec, MeetingSpec, PersonSpec, Story
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import ExpeditionSettings, create_expedition
from alex.exports.models import FinalReflection
from alex.meetings.models import Attendance, Meeting, Retro, RetroAction, RetroItem, RetroVote
from alex.openings import library
from alex.openings import service as openings
from alex.progress import calendar_feed
from alex.progress import service as progress

# When a planned card moved on, in days after its sprint's start (spread a little per card).
COLUMN_DAY = {"ideas": -2, "sprint": 0, "doing": 2, "learning": 9, "done": 16}

# Titles for the generated cards of a board made bigger (seed-demo --cards-per-board).
GENERIC_TITLES = (
    "Rückmeldung von zwei Kolleg:innen einholen",
    "Fünf-Minuten-Stand-up am Montag ausprobieren",
    "Notizen aus dem Zirkeltreffen nacharbeiten",
    "Eine Frage für den Zirkel formulieren",
    "Kurzen Zwischenstand an die Leitung schreiben",
    "Termin mit dem Personalrat vorbereiten",
    "Vorlage im Intranet suchen",
    "Erfahrungen einer Nachbarbehörde erfragen",
    "Zahlen vom letzten Monat zusammenstellen",
    "Mit einer Kollegin aus einem anderen Amt telefonieren",
    "Fachartikel lesen und drei Sätze notieren",
    "Eine Stunde ungestört am Vorhaben arbeiten",
    "Feedback-Runde im Team moderieren",
    "Entwurf zum Gegenlesen geben",
    "Bewusst eine Aufgabe weglassen",
    "Ergebnis auf einer Seite für das Zirkeltreffen festhalten",
    "Besprechungsnotizen in Aufgaben übersetzen",
    "Kleine Umfrage im Team starten",
    "Ablauf auf Papier aufmalen",
    "Rückmeldungen von Bürger:innen der letzten Woche lesen",
    "Wiedervorlage für offene Fragen anlegen",
    "Eine Vereinbarung aus der Retro ausprobieren",
    "Lernziel für den nächsten Sprint formulieren",
    "Kurzanleitung für Kolleg:innen schreiben",
    "Zehn Minuten Rückschau am Freitag",
    "Rechtsgrundlage nachlesen",
    "Termin mit der IT abstimmen",
    "Idee in der Teambesprechung vorstellen",
    "Checkliste für die Urlaubsvertretung schreiben",
    "Ablage im Teamlaufwerk aufräumen",
)


@dataclass
class BuiltExpedition:
    """What the builder made, by the story's keys, for the seed's output and for tests."""

    expedition: Expedition
    people: dict[str, User]
    facilitator: User
    participants: list[User]
    today: date
    cards_per_board: int | None
    card_ids: dict[str, int] = field(default_factory=dict)  # card key -> id
    cards_of: dict[int, list[tuple[int, CardSpec]]] = field(default_factory=dict)  # by owner id
    check_in_ids: dict[str, int] = field(default_factory=dict)  # check-in key -> id
    check_ins_of: dict[int, list[tuple[int, CheckInSpec]]] = field(default_factory=dict)


def start_for(story: Story, today: date) -> date:
    """The story's first day: `started_weeks_ago` weeks back, on a Monday."""
    start = today - timedelta(weeks=story.started_weeks_ago)
    return start - timedelta(days=start.weekday())


def build_expedition(
    session: Session,
    story: Story,
    today: date,
    password_hash: str,
    *,
    cards_per_board: int | None = None,
    existing: dict[str, User] | None = None,
) -> BuiltExpedition:
    """Write the whole story; `cards_per_board` cuts or fills each participant's own cards.

    `existing` plays some of the story's people with accounts made before (the demo's Mona
    facilitates the finished expedition too).
    """
    existing = existing or {}
    people = {
        p.key: existing.get(p.key) or User(email=p.email, name=p.name, password_hash=password_hash)
        for p in story.people
    }
    session.add_all(people.values())
    session.flush()
    facilitator = people[next(p.key for p in story.people if p.role == "facilitator")]
    expedition = create_expedition(
        session,
        facilitator,
        ExpeditionSettings(
            title=story.title,
            description=story.description,
            start_date=start_for(story, today),
            sprint_weeks=story.sprint_weeks,
            sprint_count=story.sprint_count,
            pit_stops=story.pit_stops,
        ),
        creator_participates=False,
    )
    participants = [p for p in story.people if p.role == "participant"]
    for person in participants:
        session.add(
            Membership(expedition=expedition, user_id=people[person.key].id, is_participant=True)
        )
    session.flush()

    built = BuiltExpedition(
        expedition,
        people,
        facilitator,
        [people[p.key] for p in participants],
        today,
        cards_per_board,
    )
    timeline = Timeline(expedition, today)
    for person in participants:
        _journey(session, built, timeline, story, person)
    for meeting in story.meetings:
        _meeting(session, built, timeline, meeting)
    _encouragement(session, built, story)
    if story.calendar_link_for:
        calendar_feed.renew_token(session, expedition.id, people[story.calendar_link_for].id)
    session.flush()
    return built


@dataclass
class Timeline:
    """Days of the expedition as moments in its story, which ends yesterday evening."""

    expedition: Expedition
    today: date

    def sprint_start(self, number: int) -> date:
        """The Monday sprint `number` starts."""
        return self.expedition.start_date + timedelta(
            weeks=self.expedition.sprint_weeks * (number - 1)
        )

    def sprint_end(self, number: int) -> date:
        """The last day (a Sunday) of sprint `number`."""
        return self.sprint_start(number + 1) - timedelta(days=1)

    def at(self, day: date, hour: int = 10) -> datetime:
        """The moment, or yesterday evening if it lies later: the story happened before today."""
        moment = datetime.combine(max(day, self.expedition.start_date), time(hour), tzinfo=UTC)
        yesterday = datetime.combine(self.today - timedelta(days=1), time(18), tzinfo=UTC)
        return min(moment, yesterday, datetime.now(UTC))

    def local(self, day: date, hour: int) -> datetime:
        """A time of day in the expedition's time zone (meetings are planned in local time)."""
        return datetime.combine(day, time(hour), ZoneInfo(self.expedition.timezone))

    def meeting_day(self, spec: MeetingSpec) -> date:
        """The Auftakt on day one; a Zirkeltreffen on the Thursday of its sprint's last week."""
        if spec.sprint is None:
            return self.expedition.start_date
        end = self.sprint_end(spec.sprint)
        return end - timedelta(days=(end.weekday() - 3) % 7)


def _journey(
    session: Session, built: BuiltExpedition, timeline: Timeline, story: Story, person: PersonSpec
) -> None:
    """One participant's Vorhaben, board, sprint notes, Logbuch and closing reflection."""
    ex, user = built.expedition, built.people[person.key]
    if person.vorhaben:
        _vorhaben(session, ex, user, timeline, person)
    cards = person.cards if built.cards_per_board is None else person.cards[: built.cards_per_board]
    ids = insert_cards(session, ex.id, user.id, cards, timeline)
    built.cards_of[user.id] = list(zip(ids, cards, strict=True))
    built.card_ids.update({spec.key: i for i, spec in zip(ids, cards, strict=True) if spec.key})
    if built.cards_per_board is not None and built.cards_per_board > len(cards):
        current = min(_current_sprint(timeline), ex.sprint_count)
        titles = story.extra_card_titles or GENERIC_TITLES
        bulk_insert_cards(
            session,
            ex.id,
            user.id,
            built.cards_per_board - len(cards),
            sprint=current,
            start=timeline.sprint_start(current),
            titles=titles,
        )
    for sprint in person.sprints:
        assessed = (
            sprint.confidence is not None and timeline.sprint_end(sprint.number) < built.today
        )
        session.add(
            SprintReflection(
                expedition_id=ex.id,
                user_id=user.id,
                sprint_number=sprint.number,
                focus=sprint.focus,
                confidence=sprint.confidence,
                assessment=sprint.assessment,
                focus_set_at=timeline.at(timeline.sprint_start(sprint.number)),
                assessed_at=timeline.at(timeline.sprint_end(sprint.number), 16)
                if assessed
                else None,
            )
        )
    check_ins = []
    for spec in person.check_ins:
        check_in = CheckIn(
            expedition_id=ex.id,
            user_id=user.id,
            created_at=timeline.at(
                timeline.sprint_start(spec.sprint) + timedelta(days=spec.day), 17
            ),
            done=spec.done,
            learned=spec.learned,
            next=spec.next,
            stuck=spec.stuck,
            needs_support=spec.needs_support,
            visibility="private" if spec.private else "zirkel",
        )
        session.add(check_in)
        check_ins.append(check_in)
    if person.reflection:
        session.add(
            FinalReflection(expedition_id=ex.id, user_id=user.id, **vars(person.reflection))
        )
    session.flush()
    built.check_ins_of[user.id] = [
        (c.id, s) for c, s in zip(check_ins, person.check_ins, strict=True)
    ]
    built.check_in_ids.update(
        {s.key: c.id for c, s in zip(check_ins, person.check_ins, strict=True) if s.key}
    )


def _current_sprint(timeline: Timeline) -> int:
    """The sprint `today` falls in (1 before the start)."""
    days = (timeline.today - timeline.expedition.start_date).days
    return max(1, days // (7 * timeline.expedition.sprint_weeks) + 1)


def _vorhaben(
    session: Session, ex: Expedition, user: User, timeline: Timeline, person: PersonSpec
) -> None:
    """The canvas as it reads now, with each earlier wording kept as a version."""
    spec = person.vorhaben
    texts = {
        "what": spec.what,
        "why": spec.why,
        "success_signs": spec.success_signs,
        "support_needed": spec.support_needed,
        "first_steps": spec.first_steps,
    }
    changed = [timeline.at(timeline.sprint_start(e.sprint)) for e in spec.earlier]
    vorhaben = Vorhaben(
        expedition_id=ex.id,
        user_id=user.id,
        updated_at=max(changed, default=timeline.at(ex.start_date)),
        **texts,
    )
    for earlier, at in zip(spec.earlier, changed, strict=True):
        # Each earlier version keeps the fields it does not spell out from today's canvas.
        old = {name: getattr(earlier, name) or text for name, text in texts.items()}
        vorhaben.versions.append(VorhabenVersion(**old, reason=earlier.reason, created_at=at))
    session.add(vorhaben)


def _next_positions(session: Session, expedition_id: int, owner_id: int) -> dict[str, count]:
    """Per column, the positions after the cards already there."""
    taken = dict(
        session.execute(
            select(Card.column, func.max(Card.position) + 1)
            .where(Card.expedition_id == expedition_id, Card.owner_id == owner_id)
            .group_by(Card.column)
        ).all()
    )
    return {column: count(taken.get(column) or 0) for column in COLUMNS}


def insert_cards(
    session: Session, expedition_id: int, owner_id: int, cards: list[CardSpec], timeline: Timeline
) -> list[int]:
    """The cards at the end of their columns, each with its walk through the columns and checklist."""
    if not cards:
        return []
    positions = _next_positions(session, expedition_id, owner_id)
    rows, walks = [], []
    for n, spec in enumerate(cards):
        walk = _walk(spec, n, timeline)
        rows.append(
            {
                "expedition_id": expedition_id,
                "owner_id": owner_id,
                "title": spec.title,
                "notes": spec.notes,
                "kind": spec.kind,
                "column": spec.column,
                "position": next(positions[spec.column]),
                "sprint_number": spec.sprint,
                "visibility": "private" if spec.private else "zirkel",
                "hypothesis": spec.hypothesis,
                "result": spec.result,
                "learning": spec.learning,
                "created_at": walk[0]["moved_at"],
                "updated_at": walk[-1]["moved_at"],
                "version": len(walk),
            }
        )
        walks.append(walk)
    ids = session.scalars(insert(Card).returning(Card.id, sort_by_parameter_order=True), rows).all()
    session.execute(
        insert(CardMove),
        [{"card_id": i, **move} for i, walk in zip(ids, walks, strict=True) for move in walk],
    )
    items = [
        {"card_id": i, "text": text, "done": done, "position": p}
        for i, spec in zip(ids, cards, strict=True)
        for p, (text, done) in enumerate(
            [(t, True) for t in spec.checked] + [(t, False) for t in spec.unchecked]
        )
    ]
    if items:
        session.execute(insert(ChecklistItem), items)
    raise_board_revision(session, expedition_id, owner_id)  # Core inserts skip the flush hook
    return list(ids)


def _walk(spec: CardSpec, n: int, timeline: Timeline) -> list[dict]:
    """The card's moves: created as an idea, then column by column during its sprint."""
    if spec.sprint is None:
        created = timeline.at(timeline.expedition.start_date + timedelta(days=n % 10), 9)
        return [
            {"from_column": None, "to_column": "ideas", "sprint_number": None, "moved_at": created}
        ]
    start = timeline.sprint_start(spec.sprint)
    walk, previous, when = [], None, None
    for column in COLUMNS[: COLUMNS.index(spec.column) + 1]:
        day = start + timedelta(days=COLUMN_DAY[column] + (n % 3 if column != "sprint" else 0))
        when = max(timeline.at(day, 9 + len(walk)), when or timeline.at(day))
        walk.append(
            {
                "from_column": previous,
                "to_column": column,
                "sprint_number": spec.sprint if previous else None,
                "moved_at": when,
            }
        )
        previous = column
    return walk


def bulk_insert_cards(
    session: Session,
    expedition_id: int,
    owner_id: int,
    count: int,
    *,
    sprint: int | None,
    start: date | None = None,
    titles: tuple[str, ...] | list[str] = GENERIC_TITLES,
) -> None:
    """Many plausible cards spread over the columns, each with its creation move (bulk INSERTs)."""
    if count <= 0:
        return
    positions = _next_positions(session, expedition_id, owner_id)
    created = datetime.combine(start, time(9), tzinfo=UTC) if start else datetime.now(UTC)
    rows = []
    for n in range(count):
        column = COLUMNS[n % len(COLUMNS)]
        title = titles[n % len(titles)]
        if n >= len(titles):
            title = f"{title} ({n // len(titles) + 1})"
        rows.append(
            {
                "expedition_id": expedition_id,
                "owner_id": owner_id,
                "title": title,
                "notes": "",
                "kind": "experiment" if n % 7 == 0 else "task",
                "column": column,
                "position": next(positions[column]),
                "sprint_number": None if column == "ideas" else sprint,
                "visibility": "private" if n % 11 == 0 else "zirkel",
                "hypothesis": "",
                "result": "",
                "learning": "",
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
    ids = session.scalars(insert(Card).returning(Card.id, sort_by_parameter_order=True), rows).all()
    session.execute(
        insert(CardMove),
        [
            {
                "card_id": card_id,
                "from_column": None,
                "to_column": row["column"],
                "sprint_number": row["sprint_number"],
                "moved_at": created,
            }
            for card_id, row in zip(ids, rows, strict=True)
        ],
    )
    raise_board_revision(session, expedition_id, owner_id)  # Core inserts skip the flush hook


def _meeting(
    session: Session, built: BuiltExpedition, timeline: Timeline, spec: MeetingSpec
) -> None:
    """A meeting; a finished one with its check-in round, retro and the actions it agreed."""
    people = built.people
    starts = timeline.local(timeline.meeting_day(spec), spec.hour)
    meeting = Meeting(
        expedition_id=built.expedition.id,
        kind=spec.kind,
        sprint_number=spec.sprint,
        starts_at=starts,
        duration_minutes=spec.minutes,
        location=spec.location,
        moderator_id=people[spec.moderator].id if spec.moderator else None,
        status=spec.status,
        notes=spec.notes,
    )
    if spec.status == "finished":
        meeting.started_at = starts
        meeting.finished_at = starts + timedelta(minutes=spec.minutes)
        meeting.step = "checkout"
    session.add(meeting)
    session.flush()
    for mood in spec.moods:
        session.add(
            Attendance(
                meeting_id=meeting.id,
                user_id=people[mood.who].id,
                mood=mood.mood,
                word=mood.word,
                checked_in_at=meeting.started_at,
            )
        )
    if spec.retro is None:
        return
    retro = Retro(
        meeting_id=meeting.id,
        format=spec.retro.format,
        phase="closed",
        votes_enabled=spec.retro.votes,
    )
    session.add(retro)
    session.flush()
    notes = {}
    for n, note in enumerate(spec.retro.notes):
        item = RetroItem(
            retro_id=retro.id,
            author_id=people[note.by].id,
            prompt=PROMPT_KEYS[spec.retro.format].index(note.prompt),
            text=note.text,
        )
        item.votes = [RetroVote(user_id=people[voter].id) for voter in note.dots]
        session.add(item)
        notes[note.key or n] = item
    session.flush()
    agreed = f"Vereinbart im Zirkeltreffen am {starts.strftime('%d.%m.%Y')}."
    for action in spec.retro.actions:
        owner = people[action.owner]
        reviewed = action.outcome in ("done", "learned")
        card = CardSpec(
            title=action.title,
            column="done" if reviewed else "sprint",
            sprint=action.sprint,
            kind=action.kind,
            notes=agreed,
            learning=action.outcome_note if action.outcome == "learned" else "",
        )
        (card_id,) = insert_cards(session, built.expedition.id, owner.id, [card], timeline)
        session.add(
            RetroAction(
                meeting_id=meeting.id,
                item_id=notes[action.from_note].id if action.from_note else None,
                owner_id=owner.id,
                title=action.title,
                kind=action.kind,
                card_id=card_id,
                outcome=action.outcome,
                outcome_note=action.outcome_note,
                created_at=starts + timedelta(minutes=75),
            )
        )


def _encouragement(session: Session, built: BuiltExpedition, story: Story) -> None:
    """Rückenwind on real cards and answers to requests for support, with their notifications."""
    zirkel = f"/expeditions/{built.expedition.id}/zirkel"
    for kudos in story.kudos:
        card_id = built.card_ids.get(kudos.card)
        if card_id is None:  # the board was cut shorter than the story
            continue
        card = session.get(Card, card_id)
        progress.send_kudos(
            session,
            built.people[kudos.by].id,
            card,
            kudos.kind,
            kudos.note,
            f"{zirkel}#rueckenwind",
        )
    for answer in story.support_answers:
        check_in = session.get(CheckIn, built.check_in_ids[answer.check_in])
        progress.respond_to_support(
            session,
            built.people[answer.by].id,
            check_in,
            answer.kind,
            answer.note,
            f"{zirkel}#member-{check_in.user_id}",
        )


def build_openings(session: Session, built: BuiltExpedition, story: Story) -> list[Expedition]:
    """The facilitator's further expeditions, listed on the Börse, with the requests they have,
    and the demo expedition's settings in the instance library.

    Only the demo seed calls this (the tests' Zirkel stays one expedition).
    """
    made = []
    for spec in story.openings:
        start = built.today + timedelta(weeks=spec.starts_in_weeks)
        expedition = create_expedition(
            session,
            built.facilitator,
            ExpeditionSettings(
                title=spec.title,
                description=spec.description,
                start_date=start - timedelta(days=start.weekday()),
                sprint_weeks=spec.sprint_weeks,
                sprint_count=spec.sprint_count,
            ),
            creator_participates=False,
        )
        openings.list_expedition(
            session,
            expedition,
            built.facilitator,
            seats=spec.seats,
            deadline=built.today + timedelta(days=spec.sign_up_days),
            description=spec.listing,
        )
        for request in spec.requests:
            person = built.people[request.who]
            listing = openings.listing_for(session, expedition.id, person)
            assert listing is not None, f"{request.who} is a member of {spec.title}"
            openings.request_to_join(
                session,
                listing,
                person,
                request.message,
                link=f"/expeditions/{expedition.id}/opening",
            )
        made.append(expedition)
    if story.library_vorlage:
        library.share_vorlage(
            session,
            built.expedition,
            built.facilitator,
            name=story.library_vorlage,
            show_name=True,
            note=story.library_note,
        )
    session.flush()
    return made
