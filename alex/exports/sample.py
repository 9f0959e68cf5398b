"""A finished six-sprint expedition with realistic content: for the PDF benchmark, tests, screenshots.

Written straight with the models, so it does not wait for the board and meeting areas' own seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.auth.service import hash_password
from alex.boards.models import (
    Card,
    CardMove,
    CheckIn,
    ChecklistItem,
    SprintReflection,
    Vorhaben,
    VorhabenVersion,
)
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import ExpeditionSettings, create_expedition, sprint_calendar
from alex.exports.models import FinalReflection

SPRINT_PLAN = [
    (
        "Ein erstes Bild davon bekommen, wo Bürger:innen im Antrag hängen bleiben",
        4,
        "Ich habe mehr gelesen als ausprobiert – aber ich weiß jetzt, wo ich ansetzen will.",
        [
            (
                "Beschwerden der letzten drei Monate auswerten",
                "Die meisten Rückfragen betreffen Formular 7b, nicht das Online-Portal.",
            ),
            (
                "Mit zwei Kolleg:innen aus der Hotline sprechen",
                "Die Hotline kennt die Stolpersteine besser als jede Statistik.",
            ),
        ],
        (
            "Telefonnotizen als Datenquelle",
            "Wenn ich eine Woche lang jede Rückfrage notiere, sehe ich ein Muster.",
            "42 Notizen; drei Fragen machen die Hälfte aus.",
            "Kleine, disziplinierte Datensammlung schlägt das große Auswertungsprojekt.",
        ),
    ),
    (
        "Formular 7b gemeinsam mit Nutzer:innen verständlicher machen",
        5,
        "Das erste Feedback war ernüchternd und hilfreich zugleich.",
        [
            (
                "Drei Bürger:innen beim Ausfüllen begleiten",
                "Niemand liest die Erläuterungen auf Seite 2.",
            ),
            (
                "Fachbegriffe in Alltagssprache übersetzen",
                "»Bedarfsgemeinschaft« versteht kaum jemand ohne Beispiel.",
            ),
        ],
        (
            "Lautes Denken beim Ausfüllen",
            "Wenn Menschen beim Ausfüllen laut denken, finde ich die unklaren Stellen in 30 Minuten.",
            "Zwei von drei Personen stockten an derselben Frage.",
            "Fünf Gespräche reichen, um die größten Probleme zu finden.",
        ),
    ),
    (
        "Einen Prototyp des neuen Formulars testen",
        6,
        "Der Prototyp hat im Team mehr bewegt als jede Präsentation.",
        [
            (
                "Papier-Prototyp mit neuen Fragen bauen",
                "Ein grober Entwurf lädt mehr zur Kritik ein als ein fertiges Dokument.",
            ),
            (
                "Abstimmung mit dem Rechtsamt",
                "Die meisten Formulierungen sind gar nicht rechtlich vorgegeben.",
            ),
        ],
        (
            "Prototyp am Schalter",
            "Wenn wir den Prototyp eine Woche am Schalter auslegen, sinken die Rückfragen.",
            "Rückfragen zu Frage 4 gingen von 11 auf 3 zurück.",
            "Kleine Tests im echten Betrieb überzeugen Vorgesetzte schneller als Konzepte.",
        ),
    ),
    (
        "Das Team einbinden und Rückmeldungen sammeln",
        6,
        "Ich habe gelernt, um Hilfe zu bitten, statt alles allein vorzubereiten.",
        [
            ("Kurzes Stand-up im Team einführen", "Zehn Minuten am Montag ersetzen viele E-Mails."),
            (
                "Retro im eigenen Team moderieren",
                "Die Kolleg:innen hatten mehr Ideen als ich erwartet hatte.",
            ),
        ],
        (
            "Stand-up ohne Chef:in",
            "Wenn das Team das Stand-up selbst moderiert, sprechen mehr Leute.",
            "Vier statt zwei Wortmeldungen im Schnitt.",
            "Verantwortung abgeben schafft Beteiligung.",
        ),
    ),
    (
        "Das neue Formular in den Regelbetrieb bringen",
        7,
        "Der Schritt in den Regelbetrieb brauchte mehr Abstimmung als gedacht.",
        [
            (
                "Freigabe durch die Amtsleitung einholen",
                "Zahlen aus dem Test haben die Entscheidung leicht gemacht.",
            ),
            ("Schulung für die Hotline vorbereiten", "Ein einseitiger Spickzettel reicht."),
        ],
        (
            "Vorher-Nachher-Messung",
            "Nach der Umstellung halbiert sich die Zahl der Rückfragen.",
            "Rückgang um 38 % in den ersten drei Wochen.",
            "Auch ohne Halbierung ist der Effekt deutlich – und messbar.",
        ),
    ),
    (
        "Erfahrungen weitergeben und den nächsten Schritt planen",
        8,
        "Ich gehe mit einem klaren nächsten Vorhaben aus der Expedition.",
        [
            (
                "Erfahrungsbericht für das Intranet schreiben",
                "Konkrete Zahlen und Zitate machen den Bericht glaubwürdig.",
            ),
            (
                "Nächstes Formular auswählen",
                "Die Hotline-Notizen zeigen, wo es sich am meisten lohnt.",
            ),
        ],
        (
            "Lunch & Learn",
            "Wenn ich in der Mittagspause berichte, kommen mindestens zehn Kolleg:innen.",
            "Es kamen 17, zwei Teams wollen es nachmachen.",
            "Offene Formate erreichen mehr Leute als Rundmails.",
        ),
    ),
]


@dataclass
class SampleExpedition:
    """The built expedition and its people."""

    expedition: Expedition
    participant: User
    others: list[User]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def build_finished_expedition(
    session: Session, today: date, password: str = "sample-expedition-password"
) -> SampleExpedition:
    """A six-sprint expedition that ended last week, with one participant's full record."""
    password_hash = hash_password(password)
    people = [
        User(email=f"{key}@sample.example.org", name=name, password_hash=password_hash)
        for key, name in (
            ("sabine", "Sabine Hoffmann"),
            ("mona", "Mona Moderation"),
            ("jonas", "Jonas Weber"),
            ("aylin", "Aylin Demir"),
        )
    ]
    session.add_all(people)
    session.flush()
    participant, facilitator, *others = people
    start = today - timedelta(weeks=24, days=7)
    start -= timedelta(days=start.weekday())
    expedition = create_expedition(
        session,
        facilitator,
        ExpeditionSettings(
            title="Lern-Expedition Bürgerservice digital",
            description="Vier Kolleg:innen aus Bürgeramt und IT lernen agil zu arbeiten.",
            start_date=start,
            sprint_weeks=4,
            sprint_count=6,
            pit_stops=True,
        ),
        creator_participates=False,
    )
    for user in (participant, *others):
        session.add(Membership(expedition=expedition, user_id=user.id, is_participant=True))
    sprints = sprint_calendar(expedition)

    vorhaben = Vorhaben(
        expedition_id=expedition.id,
        user_id=participant.id,
        what="Ich möchte das Antragsformular 7b gemeinsam mit Bürger:innen verständlicher machen "
        "und dabei lernen, wie man Verwaltungsleistungen nutzerzentriert verbessert.",
        why="Jede Rückfrage kostet Bürger:innen und uns Zeit. Ich will zeigen, dass kleine "
        "Verbesserungen im Alltag einen großen Unterschied machen.",
        success_signs="Die Rückfragen zu Formular 7b sinken spürbar; das Team probiert selbst "
        "neue Formate aus.",
        support_needed="Rückendeckung der Amtsleitung, zwei Stunden pro Woche, Feedback aus dem Zirkel.",
        first_steps="Beschwerden auswerten, mit der Hotline sprechen.",
        updated_at=_at(sprints[2].start),
    )
    session.add(vorhaben)
    session.flush()
    session.add_all(
        [
            VorhabenVersion(
                vorhaben_id=vorhaben.id,
                what="Ich möchte die Online-Antragsstrecke verbessern.",
                why="Das Portal hat viele Beschwerden.",
                success_signs="Weniger Beschwerden.",
                support_needed="Zeit.",
                first_steps="Beschwerden lesen.",
                reason="Die Auswertung zeigte: das Problem ist Formular 7b, nicht das Portal.",
                created_at=_at(sprints[1].start),
            ),
            VorhabenVersion(
                vorhaben_id=vorhaben.id,
                what="Ich möchte Formular 7b verständlicher machen.",
                why="Jede Rückfrage kostet Zeit.",
                success_signs="Weniger Rückfragen.",
                support_needed="Rückendeckung der Amtsleitung.",
                first_steps="Mit Bürger:innen sprechen.",
                reason="Ich will es gemeinsam mit Bürger:innen tun, nicht nur für sie.",
                created_at=_at(sprints[2].start),
            ),
        ]
    )

    position = 0
    for sprint, (focus, confidence, assessment, tasks, experiment) in zip(
        sprints, SPRINT_PLAN, strict=True
    ):
        session.add(
            SprintReflection(
                expedition_id=expedition.id,
                user_id=participant.id,
                sprint_number=sprint.number,
                focus=focus,
                confidence=confidence,
                assessment=assessment,
                focus_set_at=_at(sprint.start),
                assessed_at=_at(sprint.end, 16),
            )
        )
        entries = [(title, learning, "task", "", "") for title, learning in tasks]
        title, hypothesis, result, learning = experiment
        entries.append((title, learning, "experiment", hypothesis, result))
        for index, (title, learning, kind, hypothesis, result) in enumerate(entries):
            card = Card(
                expedition_id=expedition.id,
                owner_id=participant.id,
                title=title,
                notes="Notizen aus dem Gespräch: **wichtig** war vor allem die Reihenfolge der Fragen.\n\n- Frage 4 zuerst\n- Beispiele ergänzen"
                if index == 0
                else "",
                kind=kind,
                column="done",
                position=position,
                sprint_number=sprint.number,
                hypothesis=hypothesis,
                result=result,
                learning=learning,
                created_at=_at(sprint.start),
                visibility="zirkel",
            )
            position += 1
            session.add(card)
            session.flush()
            if index == 0:
                session.add(ChecklistItem(card_id=card.id, text="Termin vereinbaren", done=True))
            for step, (src, dst) in enumerate(
                [(None, "sprint"), ("sprint", "doing"), ("doing", "learning"), ("learning", "done")]
            ):
                session.add(
                    CardMove(
                        card_id=card.id,
                        from_column=src,
                        to_column=dst,
                        sprint_number=sprint.number,
                        moved_at=_at(sprint.start + timedelta(days=3 + 5 * step)),
                    )
                )
        session.add(
            CheckIn(
                expedition_id=expedition.id,
                user_id=participant.id,
                created_at=_at(sprint.start + timedelta(days=10), 9),
                done=tasks[0][0],
                learned=tasks[0][1],
                next=tasks[1][0],
            )
        )
    session.add(
        FinalReflection(
            expedition_id=expedition.id,
            user_id=participant.id,
            vorhaben_now="Aus »das Portal verbessern« wurde ein konkretes, gemeinsam mit Bürger:innen "
            "überarbeitetes Formular, das seit Sprint 5 im Regelbetrieb ist.",
            learned="Klein anfangen, früh testen, Zahlen sammeln. Und: um Hilfe bitten ist keine Schwäche.",
            keep_doing="Das wöchentliche Stand-up, Tests mit echten Nutzer:innen, Retros im Team.",
            advice="Nehmt euch ein Vorhaben, das in euren Alltag passt – und zeigt früh etwas Unfertiges.",
            release_to_summary=True,
            named_in_reports=True,
        )
    )
    for user in others:
        session.add(
            FinalReflection(
                expedition_id=expedition.id,
                user_id=user.id,
                learned="Viel über Experimente gelernt.",
                named_in_reports=True,
            )
        )
    session.flush()
    return SampleExpedition(expedition, participant, others)
