"""Demo meetings of a mid-way expedition: Auftakt, the Zirkeltreffen of sprints 1 and 2 with
their records and actions (which became cards), and the next Zirkeltreffen, scheduled."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from alex.boards.models import CardMove
from alex.boards.service import create_card
from alex.expeditions.service import sprint_calendar
from alex.meetings.models import Attendance, Meeting, Retro, RetroAction, RetroItem, RetroVote


def _at(day: date, zone: str, hour: int = 14) -> datetime:
    return datetime.combine(day, time(hour, 0), ZoneInfo(zone))


def _meeting(session: Session, demo, kind: str, day: date, sprint: int | None, **fields) -> Meeting:
    expedition = demo.expedition
    starts = _at(day, expedition.timezone)
    meeting = Meeting(
        expedition_id=expedition.id,
        kind=kind,
        sprint_number=sprint,
        starts_at=starts,
        duration_minutes=120 if kind == "kickoff" else 90,
        location="Raum 2.14, Rathaus" if kind == "kickoff" else "Videokonferenz (Link im Kalender)",
        **fields,
    )
    if fields.get("status") == "finished":
        meeting.started_at = starts
        meeting.finished_at = starts + timedelta(minutes=meeting.duration_minutes)
        meeting.step = "checkout"
    session.add(meeting)
    session.flush()
    return meeting


def _check_ins(session: Session, meeting: Meeting, people, moods) -> None:
    for person, (mood, word) in zip(people, moods, strict=True):
        session.add(
            Attendance(
                meeting_id=meeting.id,
                user_id=person.id,
                mood=mood,
                word=word,
                checked_in_at=meeting.started_at,
            )
        )


def _retro(session: Session, meeting: Meeting, fmt: str, notes, votes_enabled: bool) -> list:
    retro = Retro(meeting_id=meeting.id, format=fmt, phase="closed", votes_enabled=votes_enabled)
    session.add(retro)
    session.flush()
    items = []
    for author, prompt, text, dots in notes:
        item = RetroItem(retro_id=retro.id, author_id=author.id, prompt=prompt, text=text)
        session.add(item)
        session.flush()
        items.append(item)
        for voter in dots:
            session.add(RetroVote(item_id=item.id, user_id=voter.id))
    return items


def _action(session, demo, meeting, item, owner, title, kind, sprint, outcome=None, note=""):
    """An agreed action and the card it became on its owner's board."""
    card = create_card(
        session,
        demo.expedition.id,
        owner.id,
        title,
        column="sprint",
        kind=kind,
        sprint_number=sprint,
        notes=f"Vereinbart in der Retro vom {meeting.starts_at.date().isoformat()}.",
    )
    if outcome in ("done", "learned"):
        # Reviewed at the next meeting: by then the card went all the way to "Erledigt".
        card.column = "done"
        session.add(
            CardMove(card_id=card.id, from_column="sprint", to_column="done", sprint_number=sprint)
        )
    session.add(
        RetroAction(
            meeting_id=meeting.id,
            item_id=item.id if item else None,
            owner_id=owner.id,
            title=title,
            kind=kind,
            card_id=card.id,
            outcome=outcome,
            outcome_note=note,
        )
    )


def seed(session: Session, demo) -> None:
    """The meetings so far, with records, and the next one on the calendar."""
    ada, ben, cem = demo.participants
    mona = demo.facilitator
    everyone = [mona, ada, ben, cem]
    sprints = sprint_calendar(demo.expedition)

    kickoff = _meeting(
        session,
        demo,
        "kickoff",
        demo.expedition.start_date,
        None,
        status="finished",
        notes=(
            "Wir treffen uns alle vier Wochen donnerstags, 14–15:30 Uhr, per Video.\n"
            "Was im Zirkel gesagt wird, bleibt im Zirkel.\n"
            "Jede:r darf Nein sagen und Hilfe holen – Fehler sind Lernstoff."
        ),
    )
    _check_ins(
        session,
        kickoff,
        everyone,
        [(4, "gespannt"), (3, "neugierig"), (4, "motiviert"), (2, "skeptisch")],
    )

    first = _meeting(session, demo, "zirkeltreffen", sprints[0].end, 1, status="finished")
    _check_ins(session, first, everyone, [(4, "wach"), (4, "stolz"), (3, "müde"), (3, "offen")])
    notes = _retro(
        session,
        first,
        "4l",
        [
            (ada, 0, "Die Kanban-Karten machen mein Vorhaben sichtbar.", [ben, cem]),
            (ben, 1, "Kleine Experimente statt großer Pläne", [ada]),
            (cem, 2, "Zeit im Kalender für das Vorhaben", [ada, ben, cem]),
            (ada, 3, "Mehr Austausch zwischen den Treffen", [cem]),
        ],
        votes_enabled=True,
    )
    _action(
        session,
        demo,
        first,
        notes[2],
        cem,
        "Jeden Freitag 30 Minuten fürs Vorhaben blocken",
        "experiment",
        2,
        outcome="learned",
        note="Klappt an drei von vier Freitagen – der Rest frisst der Alltag.",
    )
    _action(
        session,
        demo,
        first,
        notes[3],
        ada,
        "Kurzen Zwischenstand im Zirkel-Chat teilen",
        "task",
        2,
        outcome="done",
        note="Zweimal gemacht, kam gut an.",
    )

    second = _meeting(session, demo, "zirkeltreffen", sprints[1].end, 2, status="finished")
    _check_ins(
        session,
        second,
        everyone,
        [(5, "Rückenwind"), (4, "zufrieden"), (2, "gestresst"), (4, "klarer")],
    )
    notes = _retro(
        session,
        second,
        "start_stop_continue",
        [
            (ben, 0, "Vor dem Zirkeltreffen die eigene Karte aktualisieren", []),
            (cem, 1, "Mails während der Fokuszeit lesen", []),
            (ada, 2, "Der Freitagsblock – unbedingt weiter!", []),
            (ben, 1, "Alles auf einmal anfangen", []),
        ],
        votes_enabled=False,
    )
    _action(session, demo, second, notes[1], cem, "Fokuszeit: Mail-Programm zu", "experiment", 3)
    _action(
        session,
        demo,
        second,
        notes[3],
        ben,
        "Höchstens zwei Karten gleichzeitig in Arbeit",
        "task",
        3,
    )

    upcoming = sprints[2].end if len(sprints) > 2 else demo.today + timedelta(days=14)
    _meeting(session, demo, "zirkeltreffen", upcoming, 3, moderator_id=ada.id)
    session.flush()
