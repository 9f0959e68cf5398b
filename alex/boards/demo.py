"""Demo content for the boards area: Vorhaben, cards with their moves, sprint notes, Logbuch.

Written with bulk INSERTs so `seed-demo --cards-per-board 1000` stays quick.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

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

# (title, column, sprint, kind, visibility, notes, hypothesis, result, learning, checklist)
ADA = [
    (
        "Drei Bürger:innen am Schalter nach ihrem Anliegen fragen",
        "done",
        1,
        "experiment",
        "zirkel",
        "Fragen vorher mit **Lea** abgestimmt.",
        "Wenn ich offen frage, höre ich Bedürfnisse, die im Formular fehlen.",
        "Zwei von drei wollten vor allem wissen, *wie lange* es dauert.",
        "Wartezeit ist das eigentliche Anliegen – nicht das Formular.",
        [("Fragen aufschreiben", True), ("Termin mit Lea", True), ("Notizen auswerten", True)],
    ),
    (
        "Design-Thinking-Grundlagen lesen",
        "done",
        1,
        "task",
        "zirkel",
        "",
        "",
        "",
        "Empathie-Phase ernst nehmen, nicht überspringen.",
        [],
    ),
    (
        "Persona „Frau Yilmaz, Wohngeld“ skizzieren",
        "done",
        2,
        "task",
        "zirkel",
        "",
        "",
        "",
        "",
        [("Interviewnotizen sichten", True), ("Persona-Vorlage", True)],
    ),
    (
        "Prototyp: Statusanzeige für Anträge auf Papier",
        "learning",
        2,
        "experiment",
        "zirkel",
        "",
        "Eine sichtbare Statusanzeige senkt Nachfragen am Telefon.",
        "Kolleg:innen fanden es gut, Telefon-Statistik fehlt noch.",
        "",
        [],
    ),
    (
        "Mit Amtsleitung über Experimentierraum sprechen",
        "doing",
        3,
        "task",
        "zirkel",
        "Termin am Donnerstag.",
        "",
        "",
        "",
        [("Drei Argumente vorbereiten", True), ("Beispiel aus Sprint 2 mitnehmen", False)],
    ),
    (
        "Telefonnotizen eine Woche lang zählen",
        "doing",
        3,
        "experiment",
        "zirkel",
        "",
        "Mindestens ein Drittel der Anrufe sind Statusfragen.",
        "",
        "",
        [],
    ),
    (
        "Eigene Unsicherheit beim Moderieren notieren",
        "sprint",
        3,
        "task",
        "private",
        "Nur für mich.",
        "",
        "",
        "",
        [],
    ),
    ("Journey Map für den Wohngeldantrag", "sprint", 3, "task", "zirkel", "", "", "", "", []),
    (
        "Workshop-Format „Bürgerbrille“ ausprobieren",
        "ideas",
        None,
        "experiment",
        "zirkel",
        "",
        "",
        "",
        "",
        [],
    ),
    ("Leichte Sprache im Anschreiben testen", "ideas", None, "task", "zirkel", "", "", "", "", []),
    ("Mit IT über Online-Statusabfrage reden", "ideas", None, "task", "zirkel", "", "", "", "", []),
    ("Gehaltsgespräch vorbereiten", "ideas", None, "task", "private", "", "", "", "", []),
]
BEN = [
    (
        "Kanban-Board im Team einführen (Pilot)",
        "done",
        1,
        "experiment",
        "zirkel",
        "",
        "Ein sichtbares Board senkt Rückfragen im Team.",
        "Rückfragen im Daily halbiert.",
        "Sichtbarkeit hilft mehr als neue Regeln.",
        [("Board aufhängen", True), ("Spalten erklären", True)],
    ),
    (
        "Retro-Format Seestern lernen",
        "done",
        1,
        "task",
        "zirkel",
        "",
        "",
        "",
        "Fünf Felder geben auch Stillen eine Stimme.",
        [],
    ),
    (
        "Ticket-Vorlage für Fachverfahren überarbeiten",
        "done",
        2,
        "task",
        "zirkel",
        "",
        "",
        "",
        "",
        [],
    ),
    (
        "WIP-Limit im Team vorschlagen",
        "learning",
        2,
        "experiment",
        "zirkel",
        "",
        "Mit Limit 2 pro Person wird mehr fertig.",
        "Zwei Wochen getestet, Durchlaufzeit sank.",
        "",
        [],
    ),
    (
        "Daily auf 15 Minuten begrenzen",
        "doing",
        3,
        "experiment",
        "zirkel",
        "",
        "Kürzere Dailys werden pünktlicher begonnen.",
        "",
        "",
        [],
    ),
    ("Feedback von Kollegin K. einholen", "doing", 3, "task", "private", "", "", "", "", []),
    (
        "Sprint-Review mit Fachbereich planen",
        "sprint",
        3,
        "task",
        "zirkel",
        "",
        "",
        "",
        "",
        [("Einladung", False), ("Demo vorbereiten", False)],
    ),
    ("Definition of Done entwerfen", "sprint", 3, "task", "zirkel", "", "", "", "", []),
    ("Pair-Programming mit Azubi", "ideas", None, "experiment", "zirkel", "", "", "", "", []),
    ("Scrum-Guide auf Deutsch lesen", "ideas", None, "task", "zirkel", "", "", "", "", []),
    ("Meeting-freien Vormittag testen", "ideas", None, "experiment", "zirkel", "", "", "", "", []),
    ("Bewerbung Agile-Coach-Fortbildung", "ideas", None, "task", "private", "", "", "", "", []),
]
CEM = [
    (
        "Onboarding-Checkliste für neue Kolleg:innen",
        "done",
        1,
        "task",
        "zirkel",
        "",
        "",
        "",
        "Neue fragen am liebsten eine feste Ansprechperson.",
        [("Entwurf", True), ("Mit Personalrat abstimmen", True)],
    ),
    (
        "Working Out Loud: erste Circle-Woche",
        "done",
        1,
        "experiment",
        "zirkel",
        "",
        "Wenn ich mein Ziel teile, bekomme ich unerwartete Hilfe.",
        "Zwei Kontakte aus anderen Ämtern.",
        "Fragen kostet nichts.",
        [],
    ),
    (
        "Stellenausschreibung in einfacher Sprache",
        "learning",
        2,
        "experiment",
        "zirkel",
        "",
        "Einfachere Sprache bringt mehr Bewerbungen.",
        "Noch zu früh für Zahlen.",
        "",
        [],
    ),
    ("Feedbackgespräch Probezeit neu denken", "doing", 3, "task", "zirkel", "", "", "", "", []),
    ("Mentoring-Tandems vorschlagen", "sprint", 3, "task", "zirkel", "", "", "", "", []),
    ("Eigene Arbeitszeit-Experimente", "sprint", 3, "experiment", "private", "", "", "", "", []),
    (
        "Austausch mit Personalentwicklung Nachbarkreis",
        "ideas",
        None,
        "task",
        "zirkel",
        "",
        "",
        "",
        "",
        [],
    ),
    ("Lernreise-Budget recherchieren", "ideas", None, "task", "zirkel", "", "", "", "", []),
    ("Exit-Interviews auswerten", "ideas", None, "task", "zirkel", "", "", "", "", []),
    ("Jobrotation als Experiment", "ideas", None, "experiment", "zirkel", "", "", "", "", []),
    ("Teamtag-Idee: Fuckup-Night", "ideas", None, "task", "private", "", "", "", "", []),
    (
        "Personalrat früh einbinden",
        "done",
        2,
        "task",
        "zirkel",
        "",
        "",
        "",
        "Früh fragen spart später Streit.",
        [],
    ),
]
VORHABEN = [
    (
        {
            "what": "Ich will lernen, Bürgeranliegen mit Design Thinking zu verstehen – bevor wir Formulare ändern.",
            "why": "Am Schalter merke ich täglich, dass unsere Formulare an den Fragen der Menschen vorbeigehen.",
            "success_signs": "Ich habe mit zehn Bürger:innen gesprochen und eine Verbesserung umgesetzt.",
            "support_needed": "Rückendeckung der Amtsleitung und jemand, der Interviews mit mir übt.",
            "first_steps": "Drei Gespräche am Schalter, Grundlagen lesen.",
        },
        "Ich will verstehen, was Bürger:innen am Wohngeldantrag wirklich brauchen.",
        "Nach den ersten Gesprächen konkreter geworden.",
    ),
    (
        {
            "what": "Ich will unser IT-Team mit Kanban und kurzen Retros arbeitsfähiger machen.",
            "why": "Wir arbeiten an zu vielen Dingen gleichzeitig und werden selten fertig.",
            "success_signs": "Das Team nutzt das Board ohne mich und die Durchlaufzeit sinkt.",
            "support_needed": "Austausch mit Leuten, die das schon gemacht haben.",
            "first_steps": "Pilot-Board aufhängen, eine Retro moderieren.",
        },
        "Ich will agile Methoden in der IT einführen.",
        "Zu groß – ich fange mit Kanban an.",
    ),
    (
        {
            "what": "Ich will das Onboarding in unserer Verwaltung menschlicher und schneller machen.",
            "why": "Neue Kolleg:innen fühlen sich in den ersten Wochen oft allein gelassen.",
            "success_signs": "Neue sagen nach vier Wochen: Ich weiß, wen ich fragen kann.",
            "support_needed": "Offenheit im Personalrat, Beispiele aus anderen Behörden.",
            "first_steps": "Checkliste entwerfen, mit drei Neuen sprechen.",
        },
        None,
        None,
    ),
]
FOCUS = {
    0: [
        "Zuhören lernen: echte Anliegen sammeln.",
        "Aus Gesprächen einen ersten Prototyp machen.",
        "Die Amtsleitung für einen Experimentierraum gewinnen.",
    ],
    1: [
        "Ein Board im Team sichtbar machen.",
        "Weniger gleichzeitig anfangen.",
        "Mit dem Fachbereich gemeinsam planen.",
    ],
    2: [
        "Onboarding aus Sicht der Neuen verstehen.",
        "Eine Veränderung im Personalbereich testen.",
        "Verbündete in anderen Ämtern finden.",
    ],
}
ASSESSMENT = {
    0: [
        (5, "Gespräche waren leichter als gedacht."),
        (7, "Der Prototyp hat Kolleg:innen neugierig gemacht."),
    ],
    1: [
        (6, "Das Board hängt, das Team schaut drauf."),
        (6, "WIP-Limit war unbequem, aber wirksam."),
    ],
    2: [(4, "Viel gelesen, wenig ausprobiert."), (6, "Der Personalrat ist an Bord.")],
}
CHECK_INS = {
    0: [
        (
            "Drei Interviews geführt",
            "Wartezeit ist das Thema",
            "Persona schreiben",
            "",
            False,
            "zirkel",
            45,
        ),
        (
            "Prototyp gezeigt",
            "Papier reicht für den Anfang",
            "Telefonnotizen zählen",
            "Amtsleitung hat noch keinen Termin",
            True,
            "zirkel",
            3,
        ),
    ],
    1: [
        ("Board hängt", "Sichtbarkeit wirkt", "WIP-Limit vorschlagen", "", False, "zirkel", 30),
        ("", "Ich bin ungeduldig mit dem Team", "Geduld üben", "", False, "private", 6),
    ],
    2: [
        (
            "Checkliste fertig",
            "Personalrat früh einbinden",
            "Mentoring-Idee ausarbeiten",
            "",
            False,
            "zirkel",
            20,
        ),
        ("Stellenausschreibung umgeschrieben", "", "Bewerbungen zählen", "", False, "zirkel", 2),
    ],
}


def _at(day, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _sprint_start(demo, number: int):
    return demo.expedition.start_date + timedelta(weeks=demo.expedition.sprint_weeks * (number - 1))


def bulk_insert_cards(
    session: Session,
    expedition_id: int,
    owner_id: int,
    count: int,
    *,
    sprint: int | None,
    start=None,
) -> None:
    """Many generated cards spread over the columns, each with its creation move (bulk INSERTs)."""
    if count <= 0:
        return
    offsets = {
        column: session.scalar(
            select(func.coalesce(func.max(Card.position) + 1, 0)).where(
                Card.expedition_id == expedition_id,
                Card.owner_id == owner_id,
                Card.column == column,
            )
        )
        for column in COLUMNS
    }
    created = _at(start) if start else datetime.now(UTC)
    rows = []
    for n in range(count):
        column = COLUMNS[n % len(COLUMNS)]
        rows.append(
            {
                "expedition_id": expedition_id,
                "owner_id": owner_id,
                "title": f"Karte {n + 1}: kleiner Schritt Richtung Vorhaben",
                "notes": "",
                "kind": "experiment" if n % 7 == 0 else "task",
                "column": column,
                "position": offsets[column],
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
        offsets[column] += 1
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


def _seed_person(session: Session, demo, index: int, user, cards: list) -> None:
    ex = demo.expedition
    texts, first_what, reason = VORHABEN[index]
    vorhaben = Vorhaben(
        expedition_id=ex.id, user_id=user.id, updated_at=_at(_sprint_start(demo, 2)), **texts
    )
    if first_what:
        vorhaben.versions.append(
            VorhabenVersion(
                **{**texts, "what": first_what},
                reason=reason,
                created_at=_at(_sprint_start(demo, 2)),
            )
        )
    session.add(vorhaben)

    hand_made = cards[: demo.cards_per_board]
    rows, moves_per_card, checklists = [], [], []
    positions = dict.fromkeys(COLUMNS, 0)
    for n, (title, column, sprint, kind, vis, notes, hyp, res, learning, checklist) in enumerate(
        hand_made
    ):
        created = _at(ex.start_date + timedelta(days=n % 5), 9)
        rows.append(
            {
                "expedition_id": ex.id,
                "owner_id": user.id,
                "title": title,
                "notes": notes,
                "kind": kind,
                "column": column,
                "position": positions[column],
                "sprint_number": sprint,
                "visibility": vis,
                "hypothesis": hyp,
                "result": res,
                "learning": learning,
                "created_at": created,
                "updated_at": created,
                "version": 1 + COLUMNS.index(column),
            }
        )
        positions[column] += 1
        # Walk the card through each column up to where it is, spread over its sprint's weeks.
        steps, when, prev = [], created, None
        start = _sprint_start(demo, sprint) if sprint else ex.start_date
        for step, col in enumerate(COLUMNS[: COLUMNS.index(column) + 1]):
            if step:
                when = _at(min(start + timedelta(days=3 + 5 * step + n % 3), demo.today), 11 + step)
            steps.append(
                {
                    "from_column": prev,
                    "to_column": col,
                    "moved_at": when,
                    "sprint_number": sprint if step else None,
                }
            )
            prev = col
        moves_per_card.append(steps)
        checklists.append(checklist)
    ids = (
        session.scalars(insert(Card).returning(Card.id, sort_by_parameter_order=True), rows).all()
        if rows
        else []
    )
    if ids:
        session.execute(
            insert(CardMove),
            [
                {"card_id": i, **m}
                for i, steps in zip(ids, moves_per_card, strict=True)
                for m in steps
            ],
        )
    items = [
        {"card_id": i, "text": text, "done": done, "position": p}
        for i, checklist in zip(ids, checklists, strict=True)
        for p, (text, done) in enumerate(checklist)
    ]
    if items:
        session.execute(insert(ChecklistItem), items)
    raise_board_revision(session, ex.id, user.id)  # Core inserts skip the flush hook
    bulk_insert_cards(
        session,
        ex.id,
        user.id,
        demo.cards_per_board - len(hand_made),
        sprint=3,
        start=demo.today - timedelta(days=7),
    )

    for number, focus in enumerate(FOCUS[index], start=1):
        assessed = ASSESSMENT[index][number - 1] if number <= 2 else (None, "")
        session.add(
            SprintReflection(
                expedition_id=ex.id,
                user_id=user.id,
                sprint_number=number,
                focus=focus,
                confidence=assessed[0],
                assessment=assessed[1],
                focus_set_at=_at(_sprint_start(demo, number)),
                assessed_at=_at(_sprint_start(demo, number + 1) - timedelta(days=1))
                if assessed[0]
                else None,
            )
        )
    for done, learned, nxt, stuck, support, vis, days_ago in CHECK_INS[index]:
        session.add(
            CheckIn(
                expedition_id=ex.id,
                user_id=user.id,
                created_at=_at(demo.today - timedelta(days=days_ago), 17),
                done=done,
                learned=learned,
                next=nxt,
                stuck=stuck,
                needs_support=support,
                visibility=vis,
            )
        )


def seed(session: Session, demo) -> None:
    """Boards, Vorhaben, sprint notes and Logbuch for Ada, Ben and Cem."""
    for index, (user, cards) in enumerate(zip(demo.participants, (ADA, BEN, CEM), strict=False)):
        _seed_person(session, demo, index, user, cards)
    session.flush()
