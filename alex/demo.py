"""A living demo expedition: a facilitator and three participants, mid-way through.

Each area adds its own part (boards, meetings, …) through a `seed(session, demo)` function in
its `demo` module, listed in AREA_SEEDERS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.auth.service import hash_password
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import ExpeditionSettings, create_expedition

DEMO_PASSWORD = "demo-expedition"
FACILITATOR = ("moderation@example.org", "Mona Moderation")
PARTICIPANTS = (
    ("ada@example.org", "Ada Lorenz"),
    ("ben@example.org", "Ben Okafor"),
    ("cem@example.org", "Cem Yıldız"),
)
AREA_SEEDERS: list[str] = [  # each module has seed(session, demo); later ones build on earlier ones
    "alex.boards.demo",
    "alex.progress.demo",
]


@dataclass
class DemoExpedition:
    """What the area seeders build on."""

    expedition: Expedition
    facilitator: User
    participants: list[User]
    today: date
    cards_per_board: int
    extra: dict = field(default_factory=dict)


def database_is_empty(session: Session) -> bool:
    """No account exists yet."""
    return not session.scalar(select(func.count()).select_from(User))


def seed_demo(session: Session, today: date, cards_per_board: int = 12) -> DemoExpedition:
    """Create the demo expedition, about half-way through its sixth month journey."""
    password_hash = hash_password(DEMO_PASSWORD)  # hashed once: argon2 is slow on purpose
    facilitator = User(email=FACILITATOR[0], name=FACILITATOR[1], password_hash=password_hash)
    participants = [User(email=e, name=n, password_hash=password_hash) for e, n in PARTICIPANTS]
    session.add_all([facilitator, *participants])
    session.flush()

    # Started two full sprints and a bit ago: sprint 3 of 6 is running.
    start = today - timedelta(weeks=9)
    start -= timedelta(days=start.weekday())  # sprints start on Mondays
    expedition = create_expedition(
        session,
        facilitator,
        ExpeditionSettings(
            title="Lern-Expedition Digitale Verwaltung",
            description=(
                "Vier Kolleg:innen aus Bürgeramt, IT-Referat und Personalabteilung lernen sechs "
                "Monate lang agil zu arbeiten – jede:r mit einem eigenen Vorhaben, gemeinsam im "
                "Lernzirkel. Wir treffen uns alle vier Wochen zum Zirkeltreffen."
            ),
            start_date=start,
            sprint_weeks=4,
            sprint_count=6,
            pit_stops=True,
        ),
        creator_participates=False,
    )
    for user in participants:
        session.add(Membership(expedition=expedition, user_id=user.id, is_participant=True))
    session.flush()

    demo = DemoExpedition(expedition, facilitator, participants, today, cards_per_board)
    for module_name in AREA_SEEDERS:
        importlib.import_module(module_name).seed(session, demo)
    return demo
