"""The pages the accessibility (axe) and HTML validity (vnu) checks walk, per role.

One line per page. An entry names an endpoint and URL values taken from the demo scenario
(`expedition`, `peer`); entries of areas that are not installed are skipped, so a new area's pages
are checked as soon as they land. A value starting with "/" is a literal path (error states).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Flask, url_for

from alex.demo import DEMO_PASSWORD, FACILITATOR, PARTICIPANTS

WALK: list[tuple[str, str, dict[str, str]]] = [
    ("anonymous", "auth.login", {}),
    ("anonymous", "auth.register", {}),
    ("anonymous", "pages.accessibility", {}),
    ("anonymous", "pages.privacy", {}),
    ("anonymous", "pages.help_page", {}),
    ("anonymous", "pwa.offline", {}),
    ("anonymous", "/invite/no-such-invite", {}),
    ("participant", "expeditions.home", {}),
    ("participant", "expeditions.show", {"expedition_id": "expedition"}),
    ("participant", "expeditions.members", {"expedition_id": "expedition"}),
    ("participant", "auth.account", {}),
    ("participant", "boards.board", {"expedition_id": "expedition"}),
    ("participant", "boards.member_board", {"expedition_id": "expedition", "user_id": "peer"}),
    ("participant", "boards.logbook", {"expedition_id": "expedition"}),
    ("participant", "progress.zirkel", {"expedition_id": "expedition"}),
    ("participant", "meetings.index", {"expedition_id": "expedition"}),
    ("participant", "exports.report", {"expedition_id": "expedition"}),
    ("participant", "boards.vorhaben", {"expedition_id": "expedition"}),
    ("participant", "boards.sprint", {"expedition_id": "expedition"}),
    ("participant", "exports.reflection", {"expedition_id": "expedition"}),
    ("participant", "progress.notifications_list", {}),
    ("participant", "exports.delete_account_confirm", {}),
    ("participant", "pages.accessibility", {}),
    ("participant", "/expeditions/999999", {}),  # 404 in the user's language
    ("facilitator", "expeditions.new", {}),
    ("facilitator", "expeditions.show", {"expedition_id": "expedition"}),
    ("facilitator", "expeditions.settings", {"expedition_id": "expedition"}),
    ("facilitator", "expeditions.members", {"expedition_id": "expedition"}),
    ("facilitator", "meetings.index", {"expedition_id": "expedition"}),
    ("facilitator", "exports.summary", {"expedition_id": "expedition"}),
]
# The foundation's forms pass SelectField choices as tuples, which wtforms 3.3 deprecates; until
# that is changed, the walk must not turn the warning into a 500.
WTFORMS_TUPLE_CHOICES = "ignore:Passing SelectField choices as tuples:DeprecationWarning"
LOGINS = {"participant": PARTICIPANTS[0][0], "facilitator": FACILITATOR[0]}
PASSWORD = DEMO_PASSWORD


@dataclass
class Scenario:
    """The demo expedition's ids, by the names WALK uses."""

    values: dict[str, int]


def seed_scenario(app: Flask) -> Scenario:
    """The demo expedition (with whatever each installed area seeds) on the emptied database."""
    from alex.demo import seed_demo
    from alex.extensions import db

    with app.app_context():
        demo = seed_demo(db.session, date.today(), cards_per_board=8)
        db.session.commit()
        return Scenario({"expedition": demo.expedition.id, "peer": demo.participants[1].id})


def walk_urls(app: Flask, scenario: Scenario) -> list[tuple[str, str]]:
    """(role, path) for every installed page of WALK."""
    urls = []
    with app.test_request_context():
        for role, endpoint, values in WALK:
            if endpoint.startswith("/"):
                urls.append((role, endpoint))
            elif endpoint in app.view_functions:
                resolved = {key: scenario.values[name] for key, name in values.items()}
                urls.append((role, url_for(endpoint, **resolved)))
    return urls
