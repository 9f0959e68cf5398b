"""What the bench needs to know about the app: endpoints, ids of the demo data, query counts.

A page that is not installed is absent from the URL map; its figures then read "n/a (page not
installed)". An area's figures need only its endpoint name below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, url_for
from sqlalchemy import event, select

from alex import create_app
from alex.extensions import db

# figure → endpoint (or a finder over the URL map for endpoints whose name is the area's choice).
ENDPOINTS: dict[str, str | Callable[[Flask], str | None]] = {
    "overview": "expeditions.show",
    "board": "boards.board",
    "zirkel": "progress.zirkel",
    "meeting": "meetings.show",
    "meeting_poll": lambda app: _find(app, "meetings.", "poll"),
    "meeting_step": "meetings.step",
    "meeting_phase": "meetings.phase",
    "card_move": lambda app: _find(app, "boards.", "move", method="POST"),
    "report_pdf": lambda app: _find(app, "exports.", "pdf"),
}


def _find(app: Flask, prefix: str, word: str, method: str = "GET") -> str | None:
    """The first endpoint of an area whose name or rule mentions `word`."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefix) and method in (rule.methods or ()):
            if word in rule.endpoint or word in rule.rule:
                return rule.endpoint
    return None


@dataclass
class Demo:
    """Ids in the seeded demo database."""

    expedition_id: int
    participant_email: str
    participant_id: int
    meeting_id: int | None
    meeting_version: int | None
    card_id: int | None
    facilitator_email: str = ""
    open_meeting_id: int | None = None  # a Zirkeltreffen not yet held: the facilitator runs it


class Site:
    """The app in this process, on the bench database: URLs, demo ids, query counts."""

    def __init__(self, database_url: str):
        self.app = create_app(
            {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
        )
        self.demo = self._demo()

    def endpoint(self, figure: str) -> str | None:
        """The endpoint behind a figure, or None when its area is not installed."""
        entry = ENDPOINTS[figure]
        name = entry(self.app) if callable(entry) else entry
        return name if name and name in self.app.view_functions else None

    def path(self, figure: str, **values) -> str | None:
        """URL path for a figure's endpoint with the demo's ids filled in, or None."""
        endpoint = self.endpoint(figure)
        if endpoint is None:
            return None
        arguments = self._arguments(endpoint) | values
        with self.app.test_request_context():
            return url_for(endpoint, **arguments)

    def _arguments(self, endpoint: str) -> dict:
        rule = next(r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint)
        known = {
            "expedition_id": self.demo.expedition_id,
            "meeting_id": self.demo.meeting_id,
            "card_id": self.demo.card_id,
            "user_id": self.demo.participant_id,
        }
        return {name: known[name] for name in rule.arguments if name in known}

    def _demo(self) -> Demo:
        from datetime import timedelta

        from alex.auth.models import User
        from alex.boards.models import Card
        from alex.db import utcnow
        from alex.demo import FACILITATOR, PARTICIPANTS
        from alex.expeditions.models import Expedition
        from alex.meetings.models import Meeting

        with self.app.app_context():
            expedition_id = db.session.scalar(select(Expedition.id).order_by(Expedition.id))
            email = PARTICIPANTS[0][0]
            user_id = db.session.scalar(select(User.id).where(User.email == email))
            meeting = db.session.scalar(
                select(Meeting).where(Meeting.expedition_id == expedition_id).order_by(Meeting.id)
            )
            if meeting is None:
                # The demo seed has no meeting until the meetings area seeds one: add a Zirkeltreffen.
                meeting = Meeting(
                    expedition_id=expedition_id, starts_at=utcnow() + timedelta(days=1)
                )
                db.session.add(meeting)
                db.session.commit()
            upcoming = db.session.scalar(
                select(Meeting.id)
                .where(
                    Meeting.expedition_id == expedition_id,
                    Meeting.status == "scheduled",
                    Meeting.kind == "zirkeltreffen",
                )
                .order_by(Meeting.starts_at.desc())
            )
            if upcoming is None:
                extra = Meeting(
                    expedition_id=expedition_id, starts_at=utcnow() + timedelta(days=14)
                )
                db.session.add(extra)
                db.session.commit()
                upcoming = extra.id
            card = db.session.scalar(
                select(Card)
                .where(Card.expedition_id == expedition_id, Card.owner_id == user_id)
                .order_by(Card.id)
            )
            return Demo(
                expedition_id,
                email,
                user_id,
                meeting.id,
                meeting.version,
                card.id if card else None,
                FACILITATOR[0],
                upcoming,
            )

    def card_version(self) -> int | None:
        """The demo card's version now: other figures move it before the move figure runs."""
        from alex.boards.models import Card

        if self.demo.card_id is None:
            return None
        with self.app.app_context():
            return db.session.scalar(select(Card.version).where(Card.id == self.demo.card_id))

    def page_in_process(self, path: str, password: str) -> tuple[int, int]:
        """(SQL statements, HTML bytes) of one GET as the demo participant, counted in-process."""
        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "no CSRF token on /login"
        client.post(
            "/login",
            data={
                "email": self.demo.participant_email,
                "password": password,
                "csrf_token": token.group(1),
            },
        )
        with self.app.app_context():
            engine = db.engine
        statements = 0

        def count(*_args) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return statements, len(response.get_data())

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()
