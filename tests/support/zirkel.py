"""A busy Zirkel of any size, built by the demo's builder from a story made in code.

Used by the progress tests and the Zirkel browser test: per member, shared and private cards
moved through the columns in every sprint so far, a self-assessment per sprint, a shared and a
private check-in, and the first member asking the Zirkel for support.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.demo.build import GENERIC_TITLES, build_expedition
from alex.demo.story import (
    CardSpec,
    CheckInSpec,
    MeetingSpec,
    PersonSpec,
    SprintSpec,
    Story,
    VorhabenSpec,
)
from alex.expeditions.models import Expedition

VORHABEN = (
    "Ich will Bürgerbriefe in einfacher Sprache schreiben lernen.",
    "Ich will die Einführung der E-Akte mit meinem Team in kleinen Schritten begleiten.",
    "Ich will einen Experimentierraum für die Online-Terminvergabe einrichten.",
    "Ich will Besprechungen in meinem Sachgebiet kürzer und verbindlicher machen.",
)
LEARNINGS = (
    "Kleine Schritte machen Fortschritt sichtbar – auch für die Kolleg:innen.",
    "Früh fragen spart später Abstimmung.",
    "Ein grober Entwurf lädt mehr zur Rückmeldung ein als ein fertiges Papier.",
)
CHECK_INS = (  # done, learned, next: one per member, in turn
    (
        "Entwurf mit dem Team besprochen",
        "Rückmeldungen kommen schneller, wenn ich konkret frage",
        "Zweiten Entwurf schreiben",
    ),
    (
        "Pilotgruppe hat die erste Woche geschafft",
        "Der Arbeitsplatz gehört zur Einführung dazu",
        "Sprechstunde anbieten",
    ),
    (
        "Wartezeiten eine Woche lang gemessen",
        "Montags ist es am vollsten",
        "Antrag für den Experimentierraum",
    ),
    (
        "Besprechung mit fester Tagesordnung ausprobiert",
        "Zehn Minuten weniger reichen",
        "Protokoll kürzen",
    ),
)
FOCUS = (
    "Verstehen, wo es heute hakt.",
    "Einen ersten kleinen Versuch starten.",
    "Rückmeldungen einholen und auswerten.",
    "Das Team einbinden.",
    "Ergebnisse in den Alltag bringen.",
    "Erfahrungen weitergeben.",
)


@dataclass
class ZirkelData:
    """What the builder made, by name, for assertions."""

    expedition: Expedition
    facilitator: User
    members: list[User]
    shared_card_ids: dict[int, list[int]] = field(default_factory=dict)  # owner -> cards
    private_card_ids: dict[int, list[int]] = field(default_factory=dict)
    shared_check_in_ids: dict[int, int] = field(default_factory=dict)
    private_check_in_ids: dict[int, int] = field(default_factory=dict)
    support_check_in_id: int | None = None


def zirkel_story(
    members: int, sprints_elapsed: int, cards_per_member: int, sprint_count: int, names
) -> Story:
    """The story of a Zirkel in sprint `sprints_elapsed`, every member's history alike in shape."""
    tag = uuid.uuid4().hex[:8]  # several Zirkel may share one database
    people = [PersonSpec("mona", "Mona Moderation", f"mod-{tag}@example.org", role="facilitator")]
    for i in range(members):
        name = names[i % len(names)] + ("" if i < len(names) else f" {i}")
        people.append(
            PersonSpec(
                key=f"m{i}",
                name=name,
                email=f"{name.split()[0].lower()}-{i}-{tag}@example.org",
                vorhaben=VorhabenSpec(what=VORHABEN[i % len(VORHABEN)]),
                cards=[_card(i, n, sprints_elapsed) for n in range(cards_per_member)],
                sprints=[
                    SprintSpec(
                        number, FOCUS[(number - 1 + i) % len(FOCUS)], min(10, 4 + number + i % 2)
                    )
                    for number in range(1, sprints_elapsed + 1)
                ],
                check_ins=[
                    CheckInSpec(
                        sprint=sprints_elapsed,
                        day=2,
                        done=CHECK_INS[i % len(CHECK_INS)][0],
                        learned=CHECK_INS[i % len(CHECK_INS)][1],
                        next=CHECK_INS[i % len(CHECK_INS)][2],
                        stuck="Mir fehlt eine Ansprechperson im IT-Referat" if i == 0 else "",
                        needs_support=i == 0,
                    ),
                    CheckInSpec(
                        sprint=sprints_elapsed,
                        day=3,
                        done="GEHEIM: privater Eintrag",
                        learned="GEHEIM",
                        needs_support=True,
                        private=True,
                    ),
                ],
            )
        )
    meetings = [
        MeetingSpec(kind="kickoff", status="finished", hour=9, minutes=180, location="Raum 2.14")
    ]
    meetings += [
        MeetingSpec(sprint=number, status="finished", hour=13)
        for number in range(1, sprints_elapsed)
    ]
    return Story(
        title="Lern-Expedition Digitale Verwaltung",
        started_weeks_ago=4 * (sprints_elapsed - 1) + 1,
        sprint_count=sprint_count,
        people=people,
        meetings=meetings,
    )


def _card(member: int, n: int, sprints_elapsed: int) -> CardSpec:
    """Card n of a member: in sprint n mod elapsed, every fourth private, every third an experiment."""
    column = ("doing", "learning", "done")[n % 3]
    return CardSpec(
        title=GENERIC_TITLES[(7 * member + n) % len(GENERIC_TITLES)],
        column=column,
        sprint=n % sprints_elapsed + 1,
        kind="experiment" if n % 3 == 0 else "task",
        private=n % 4 == 2,
        learning=LEARNINGS[n % len(LEARNINGS)] if column != "doing" else "",
    )


def build_zirkel(
    session: Session,
    *,
    members: int = 3,
    sprints_elapsed: int = 3,
    cards_per_member: int = 6,
    sprint_count: int = 6,
    names: tuple[str, ...] = ("Ada Lorenz", "Ben Okafor", "Cem Yıldız", "Dana Weiß"),
    password_hash: str = "x",
    today: date | None = None,
) -> ZirkelData:
    """An expedition in sprint `sprints_elapsed` of `sprint_count` with a busy Zirkel."""
    story = zirkel_story(members, sprints_elapsed, cards_per_member, sprint_count, names)
    built = build_expedition(session, story, today or date.today(), password_hash)
    data = ZirkelData(built.expedition, built.facilitator, built.participants)
    for user in built.participants:
        cards = built.cards_of[user.id]
        data.shared_card_ids[user.id] = [i for i, spec in cards if not spec.private]
        data.private_card_ids[user.id] = [i for i, spec in cards if spec.private]
        check_ins = built.check_ins_of[user.id]
        data.shared_check_in_ids[user.id] = next(i for i, s in check_ins if not s.private)
        data.private_check_in_ids[user.id] = next(i for i, s in check_ins if s.private)
    data.support_check_in_id = data.shared_check_in_ids[built.participants[0].id]
    return data
