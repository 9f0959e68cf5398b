"""Shared set-up for the meeting tests: an expedition with its people and a scheduled meeting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

from alex.db import utcnow
from alex.extensions import db
from alex.meetings import service


@dataclass
class Zirkel:
    """Who is who around one meeting."""

    expedition: object
    facilitator: object
    ada: object
    ben: object
    moderator: object
    outsider: object
    meeting_id: int

    def url(self, suffix: str = "") -> str:
        return f"/expeditions/{self.expedition.id}/meetings/{self.meeting_id}{suffix}"


def make_zirkel(app, world, sprint_number: int = 1) -> Zirkel:
    """Mona facilitates; Ada and Ben take part; Cem moderates this meeting; Olga is outside."""
    mona = world.user("Mona Moderation")
    ada = world.user("Ada Lorenz")
    ben = world.user("Ben Okafor")
    cem = world.user("Cem Yildiz")
    olga = world.user("Olga Outside")
    expedition = world.expedition(mona, participates=False)
    for person in (ada, ben, cem):
        world.join(expedition, person)
    with app.app_context():
        meeting = service.schedule_meeting(
            db.session,
            db.session.merge(expedition),
            service.Schedule(
                kind="zirkeltreffen",
                starts_at=utcnow() + timedelta(hours=1),
                duration_minutes=90,
                location="Raum 2.14",
                sprint_number=sprint_number,
                moderator_id=cem.id,
            ),
        )
        db.session.commit()
        meeting_id = meeting.id
    return Zirkel(expedition, mona, ada, ben, cem, olga, meeting_id)


def version_of(response) -> int:
    """The meeting version a page or fragment was rendered at."""
    match = re.search(r'hx-vals=\'\{"v": "(\d+)"\}\'', response.get_data(as_text=True))
    assert match, "no poll element"
    return int(match.group(1))


def run_to(zirkel: Zirkel, facilitator_client, step: str) -> None:
    """Start the meeting and jump to a step."""
    response = facilitator_client.post(zirkel.url("/step"), {"step": step}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)


class _Targets(HTMLParser):
    """Collects the root element's id and the ids of out-of-band elements."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict | None = None
        self.oob: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        found = dict(attrs)
        if self.root is None:
            self.root = {"tag": tag, **found}
        elif "hx-swap-oob" in found and found.get("id"):
            self.oob.add(found["id"])


def swapped_targets(response) -> set[str]:
    """The ids an HTMX answer replaces: its root element's and every out-of-band element's.

    A full page (an <html> root) names no target of its own.
    """
    parser = _Targets()
    parser.feed(response.get_data(as_text=True))
    root = parser.root or {}
    main = {root["id"]} if root.get("tag") != "html" and root.get("id") else set()
    return main | parser.oob


def errors_shown(response) -> set[str]:
    """The ids of the error messages a run-sheet answer shows next to its forms."""
    return set(re.findall(r'<p class="error" id="(error-[^"]+)"', response.get_data(as_text=True)))
