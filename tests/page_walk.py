"""The pages the accessibility (axe) and HTML validity (vnu) checks walk, generated.

Nothing is listed by hand: every GET rule of the URL map is tried as every role (anonymous, a
participant, her peer, the facilitator) with every value the demo data has for its arguments
(each expedition, member, card, meeting, invite). What answers 200 with a whole HTML document is a
page of the walk; fragments, downloads and refusals are not. A new page or a new argument joins
by itself; an argument with no values here fails the walk (add its values to `_values`).

States: after the seeded demo, the demo's next meeting is run through its whole run-sheet, every
retro phase and its end (`walk`), and its pages are checked in each.

vnu checks every page in German and English (about 300 pages, 600 files, one run of the checker).
axe runs in 8 set-ups per page (2 languages × light/dark × phone/desktop), so pages whose main
content has the same structure are checked once: the structure is the set of element names with
their classes inside <main> (`signature`). Thirty cards whose pages differ only in their words
are one page to axe; a card with other fields, or seen by someone who may not change it, is
another; a meeting step whose page shows nothing new is not checked again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from alex.demo import DEMO_PASSWORD, FACILITATOR, OPERATOR, PARTICIPANTS

# The foundation's forms pass SelectField choices as tuples, which wtforms 3.3 deprecates; until
# that is changed, the walk must not turn the warning into a 500.
WTFORMS_TUPLE_CHOICES = "ignore:Passing SelectField choices as tuples:DeprecationWarning"
# The operator ("Betrieb") is in no expedition: the walk reaches the console's pages through it.
ROLES = ("anonymous", "participant", "peer", "facilitator", "operator")
LOGINS = {
    "participant": PARTICIPANTS[0][0],
    "peer": PARTICIPANTS[1][0],
    "facilitator": FACILITATOR[0],
    "operator": OPERATOR[0],
}
PASSWORD = DEMO_PASSWORD
# Addresses that are files, not pages (the rule says so); never fetched (PDFs take a second each).
NOT_PAGES = re.compile(r"\.(pdf|ics|json|md|js|webmanifest|txt)$|^/static/|^/healthz$")
# Error states, checked as pages too: an unknown invite, an expedition that does not exist.
ERROR_PAGES = [("anonymous", "/invite/no-such-invite"), ("participant", "/expeditions/999999")]
ELEMENT = re.compile(r"<([a-z][a-z0-9-]*)\b([^>]*)>")
CLASS = re.compile(r'\bclass="([^"]*)"')
MAIN = re.compile(r"<main\b.*?</main>", re.S)


@dataclass(frozen=True)
class Page:
    """One page of the walk as one role sees it, rendered in German."""

    role: str
    path: str
    endpoint: str
    state: str
    html: str = field(repr=False, compare=False)

    @property
    def key(self) -> frozenset[str]:
        """What axe needs to see once: the structure of the page's main content."""
        return signature(self.html)


def signature(html: str) -> frozenset[str]:
    """The structure of a page's <main>: each element name with its classes (no words, no ids).

    Header and navigation are the same on every page of a role, so they are left out: the
    same card page seen by its owner and by the facilitator is one page to axe.
    """
    main = MAIN.search(html)
    parts = set()
    for name, attributes in ELEMENT.findall(main.group(0) if main else html):
        classes = CLASS.search(attributes)
        parts.add(f"{name}.{'.'.join(sorted(classes.group(1).split())) if classes else ''}")
    return frozenset(parts)


@dataclass
class Scenario:
    """The demo expedition's ids, and a signed-in test client per role."""

    expedition: int
    meeting: int | None
    clients: dict[str, FlaskClient] = field(default_factory=dict)


def seed_scenario(app: Flask) -> Scenario:
    """The demo expedition (with whatever each installed area seeds) on the emptied database."""
    from alex.demo import seed_demo, seed_demo_operator
    from alex.extensions import db
    from alex.meetings.models import Meeting

    with app.app_context():
        demo = seed_demo(db.session, date.today(), cards_per_board=8)
        seed_demo_operator(db.session)
        _seed_certificate(demo)
        db.session.commit()
        upcoming = db.session.scalar(
            select(Meeting.id)
            .where(Meeting.expedition_id == demo.expedition.id, Meeting.status == "scheduled")
            .order_by(Meeting.starts_at)
        )
        return Scenario(demo.expedition.id, upcoming)


def _seed_certificate(demo) -> None:
    """A Teilnahmebescheinigung of the first participant (the certificates area, when installed),
    as if issued after the Abschluss, so its page and the verify page are walked too."""
    try:
        from alex.certificates.service import issue
    except ImportError:
        return
    from alex.extensions import db

    issue(
        db.session,
        demo.expedition,
        demo.facilitator,
        [demo.participants[0].id],
        90,
        date.max,  # long after the Abschluss
        "Stadt Musterstadt",
    )


def _certificate_values(expedition: int) -> dict[str, list]:
    """Certificate ids and verification codes of the walked expedition (none without the area)."""
    try:
        from alex.certificates.models import Certificate
    except ImportError:
        return {}
    from alex.extensions import db

    rows = db.session.execute(
        select(Certificate.id, Certificate.code).where(Certificate.expedition_id == expedition)
    ).all()
    return {"certificate_id": [r.id for r in rows], "verification_code": [r.code for r in rows]}


def _values(app: Flask, scenario: Scenario) -> dict[str, list]:
    """Every value the demo data has for each URL argument."""
    from alex.boards.models import Card
    from alex.expeditions.models import Invite, Membership
    from alex.extensions import db
    from alex.meetings.models import Meeting

    expedition = scenario.expedition
    with app.app_context():
        return {
            "expedition_id": [expedition],
            "user_id": list(
                db.session.scalars(
                    select(Membership.user_id).where(Membership.expedition_id == expedition)
                )
            ),
            "card_id": list(
                db.session.scalars(
                    select(Card.id).where(Card.expedition_id == expedition).order_by(Card.id)
                )
            ),
            "meeting_id": list(
                db.session.scalars(select(Meeting.id).where(Meeting.expedition_id == expedition))
            ),
            "token": list(
                db.session.scalars(select(Invite.token).where(Invite.expedition_id == expedition))
            ),
            **_certificate_values(expedition),
        }


def _clients(app: Flask, scenario: Scenario) -> dict[str, FlaskClient]:
    from tests.support.accounts import login

    if not scenario.clients:
        scenario.clients["anonymous"] = app.test_client()
        for role, email in LOGINS.items():
            client = app.test_client()
            assert login(client, email, PASSWORD).status_code == 302, role
            scenario.clients[role] = client
    return scenario.clients


def _candidates(
    app: Flask, values: dict[str, list], keep: Callable[[dict], bool]
) -> Iterator[tuple[str, str]]:
    """(endpoint, path) for every GET rule and every combination of its arguments' values."""
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or NOT_PAGES.search(rule.rule):
            continue
        names = sorted(rule.arguments)
        missing = [name for name in names if name not in values]
        assert not missing, f"page walk: no demo values for {missing} of {rule.rule}"
        for combination in itertools.product(*(values[name] for name in names)):
            arguments = dict(zip(names, combination, strict=True))
            if keep(arguments):
                yield rule.endpoint, adapter.build(rule.endpoint, arguments)


def _is_document(response) -> bool:
    return (
        response.status_code in (200, 404)
        and response.mimetype == "text/html"
        and response.get_data(as_text=True).lstrip()[:15].lower() == "<!doctype html>"
    )


def discover(
    app: Flask, scenario: Scenario, state: str = "", meeting: int | None = None
) -> list[Page]:
    """Every page each role reaches now; with `meeting`, only the pages of that meeting."""
    clients = _clients(app, scenario)
    values = _values(app, scenario)
    if meeting is not None:
        values["meeting_id"] = [meeting]

    def keep(arguments: dict) -> bool:
        return meeting is None or "meeting_id" in arguments

    pages = []
    candidates = list(_candidates(app, values, keep))
    for role in ROLES:
        for endpoint, path in candidates:
            response = clients[role].get(path, headers={"Accept-Language": "de"})
            if response.status_code == 200 and _is_document(response):
                pages.append(Page(role, path, endpoint, state, response.get_data(as_text=True)))
            response.close()
    if meeting is None:
        for role, path in ERROR_PAGES:
            response = clients[role].get(path, headers={"Accept-Language": "de"})
            assert _is_document(response), (role, path, response.status_code)
            pages.append(Page(role, path, "error", state, response.get_data(as_text=True)))
    return pages


def _meeting_steps(app: Flask, meeting_id: int) -> Iterator[str]:
    """Run the meeting: each step of its run-sheet, each retro phase, then its end."""
    from alex.extensions import db
    from alex.meetings import service
    from alex.meetings.models import RETRO_PHASES, Meeting

    with app.app_context():
        steps = service.run_sheet(db.session.get(Meeting, meeting_id))
    for step in steps:
        with app.app_context():
            meeting = db.session.get(Meeting, meeting_id)
            service.go_to_step(db.session, meeting, step)
            db.session.commit()
        yield f"meeting {step}"
        if step == "retro":
            for phase in RETRO_PHASES[1:-1]:
                with app.app_context():
                    meeting = db.session.get(Meeting, meeting_id)
                    retro = service.retro_of(db.session, meeting)
                    if phase == "vote" and not retro.votes_enabled:
                        continue
                    service.set_phase(db.session, meeting, phase)
                    db.session.commit()
                yield f"meeting retro {phase}"
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        service.finish_meeting(db.session, meeting)
        db.session.commit()
    yield "meeting finished"


def walk(app: Flask, scenario: Scenario) -> Iterator[list[Page]]:
    """The pages of the seeded demo, then those of its next meeting in each of its states.

    Check each list before asking for the next: the next state changes the database.
    """
    yield discover(app, scenario)
    if scenario.meeting is None or "meetings.show" not in app.view_functions:
        return
    for state in _meeting_steps(app, scenario.meeting):
        yield discover(app, scenario, state, meeting=scenario.meeting)
