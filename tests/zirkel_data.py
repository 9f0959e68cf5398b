"""Build a Zirkel with history straight through the models: boards, reflections, check-ins, meetings.

Used by the progress tests, the browser test and the bench, so all three see the same shape of
data: per member, shared and private cards moved through the columns in every sprint so far, a
self-assessment per sprint, a shared and a private check-in, and one member asking for support.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.boards.models import CardMove, CheckIn, SprintReflection, Vorhaben
from alex.boards.service import create_card
from alex.expeditions.calendar import sprints
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import ExpeditionSettings, create_expedition
from alex.meetings.models import Meeting

VORHABEN = (
    "Ich möchte Bürgeranliegen in kleinen Schritten mit Kanban sichtbar machen und lernen, "
    "Prioritäten gemeinsam mit dem Team zu setzen."
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


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


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
    today = today or date.today()
    start = today - timedelta(weeks=4 * (sprints_elapsed - 1) + 1)
    facilitator = User(
        email=f"mod-{uuid.uuid4().hex[:8]}@example.org",
        name="Mona Moderation",
        password_hash=password_hash,
    )
    session.add(facilitator)
    session.flush()
    expedition = create_expedition(
        session,
        facilitator,
        ExpeditionSettings(
            title="Lern-Expedition Digitale Verwaltung",
            description="",
            start_date=start,
            sprint_weeks=4,
            sprint_count=sprint_count,
            pit_stops=True,
        ),
        creator_participates=False,
    )
    data = ZirkelData(expedition, facilitator, [])
    calendar = sprints(start, 4, sprint_count)
    for i in range(members):
        name = names[i % len(names)] + ("" if i < len(names) else f" {i}")
        user = User(
            email=f"member{i}-{expedition.id}@example.org", name=name, password_hash=password_hash
        )
        session.add(user)
        session.flush()
        session.add(Membership(expedition=expedition, user_id=user.id, is_participant=True))
        data.members.append(user)
        _member_history(session, data, user, calendar[:sprints_elapsed], cards_per_member, i)
    session.add(
        Meeting(
            expedition_id=expedition.id,
            kind="kickoff",
            starts_at=_at(start, 9),
            duration_minutes=180,
            location="Raum 2.14",
            status="finished",
        )
    )
    for sprint in calendar[: max(sprints_elapsed - 1, 0)]:
        session.add(
            Meeting(
                expedition_id=expedition.id,
                kind="zirkeltreffen",
                sprint_number=sprint.number,
                starts_at=_at(sprint.end, 13),
                status="finished",
            )
        )
    session.flush()
    return data


def _member_history(
    session: Session, data: ZirkelData, user: User, elapsed, cards: int, index: int
) -> None:
    """Cards moved through the columns in each sprint, reflections, one shared + one private check-in."""
    exp_id = data.expedition.id
    session.add(Vorhaben(expedition_id=exp_id, user_id=user.id, what=VORHABEN))
    shared, private = [], []
    for n in range(cards):
        sprint = elapsed[n % len(elapsed)]
        is_private = n % 4 == 2
        card = create_card(
            session,
            exp_id,
            user.id,
            f"Karte {n + 1}: Schritt für Schritt",
            column="sprint",
            kind="experiment" if n % 3 == 0 else "task",
            sprint_number=sprint.number,
            visibility="private" if is_private else "zirkel",
        )
        # create_card stamps its creation move "now"; history belongs in its sprint.
        session.execute(
            update(CardMove).where(CardMove.card_id == card.id).values(moved_at=_at(sprint.start))
        )
        last_column = ("doing", "learning", "done")[n % 3]
        for step, column in enumerate(("doing", "learning", "done")):
            session.add(
                CardMove(
                    card_id=card.id,
                    from_column=None,
                    to_column=column,
                    sprint_number=sprint.number,
                    moved_at=_at(sprint.start + timedelta(days=step + 1)),
                )
            )
            if column == last_column:
                break
        card.column = last_column
        if last_column in ("learning", "done"):
            card.learning = (
                "Kleine Schritte machen Fortschritt sichtbar – auch für die Kolleg:innen."
            )
        (private if is_private else shared).append(card.id)
    data.shared_card_ids[user.id] = shared
    data.private_card_ids[user.id] = private
    for sprint in elapsed:
        session.add(
            SprintReflection(
                expedition_id=exp_id,
                user_id=user.id,
                sprint_number=sprint.number,
                focus=f"Sprint {sprint.number}: Rückmeldungen einholen",
                confidence=min(10, 4 + sprint.number + index % 2),
                focus_set_at=_at(sprint.start),
                assessed_at=_at(sprint.end) if sprint.end < date.today() else None,
            )
        )
    last = elapsed[-1]
    shared_check_in = CheckIn(
        expedition_id=exp_id,
        user_id=user.id,
        created_at=_at(last.start + timedelta(days=2)),
        done="Board mit dem Team besprochen",
        learned="Sichtbarkeit hilft beim Priorisieren",
        next="Retro-Format ausprobieren",
        stuck="Mir fehlt eine Ansprechperson im IT-Referat" if index == 0 else "",
        needs_support=index == 0,
        visibility="zirkel",
    )
    private_check_in = CheckIn(
        expedition_id=exp_id,
        user_id=user.id,
        created_at=_at(last.start + timedelta(days=3)),
        done="GEHEIM: privater Eintrag",
        learned="GEHEIM",
        needs_support=True,
        visibility="private",
    )
    session.add_all([shared_check_in, private_check_in])
    session.flush()
    data.shared_check_in_ids[user.id] = shared_check_in.id
    data.private_check_in_ids[user.id] = private_check_in.id
    if index == 0:
        data.support_check_in_id = shared_check_in.id
