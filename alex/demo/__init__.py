"""A living demo expedition: a facilitator and three participants, mid-way through.

The story is told in `alex/demo/demo.toml` (people, Vorhaben, cards, Logbuch, meetings,
Rückenwind) and written by the one builder in `alex.demo.build`, which the tests' data builders use
too. The content is German, like the people it portrays; the interface around it follows each
user's language.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.auth.service import hash_password
from alex.demo.build import BuiltExpedition, build_expedition, build_openings
from alex.demo.story import load_story

DEMO_PASSWORD = "demo-expedition"
DEMO = load_story("demo")
FACILITATOR = next((p.email, p.name) for p in DEMO.people if p.role == "facilitator")
PARTICIPANTS = tuple((p.email, p.name) for p in DEMO.people if p.role == "participant")
# Who runs the demo installation ("Betrieb"): a member of no expedition, so the console shows
# accounts but no expedition content.
OPERATOR = ("betrieb@example.org", "Bea Betrieb")


def database_is_empty(session: Session) -> bool:
    """No account exists yet."""
    return not session.scalar(select(func.count()).select_from(User))


def seed_demo(session: Session, today: date, cards_per_board: int = 12) -> BuiltExpedition:
    """Create the demo expedition, in the third of its six sprints.

    Each participant's board gets `cards_per_board` of their own cards: the story's first ones, or
    all of them and plausible generated ones on top (benchmark data). Retro actions come on top.
    """
    password_hash = hash_password(DEMO_PASSWORD)  # hashed once: argon2 is slow on purpose
    built = build_expedition(session, DEMO, today, password_hash, cards_per_board=cards_per_board)
    build_openings(session, built, DEMO)  # two further expeditions, open on the Börse
    return built


def seed_demo_operator(session: Session) -> User:
    """The demo's operator account (password DEMO_PASSWORD), for the console."""
    email, name = OPERATOR
    user = User(
        email=email, name=name, password_hash=hash_password(DEMO_PASSWORD), is_operator=True
    )
    session.add(user)
    session.flush()
    return user


FINISHED_PARTICIPANT = "sabine@sample.example.org"  # logs in to see her certificate


def seed_finished(
    session: Session, today: date, facilitator: User, issuer: str = ""
) -> BuiltExpedition:
    """The finished expedition (alex/demo/finished.toml), facilitated by the demo's Mona, with
    the certificates of attendance she issued after the Abschluss (2 hours per meeting)."""
    from alex.certificates.service import issue

    built = build_expedition(
        session,
        load_story("finished"),
        today,
        hash_password(DEMO_PASSWORD),
        existing={"mona": facilitator},
    )
    issue(
        session,
        built.expedition,
        facilitator,
        [user.id for user in built.participants],
        120,
        today,
        issuer,
    )
    return built
