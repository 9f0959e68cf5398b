"""The instance's operator ("Betrieb") sees no expedition content unless also a member.

Derived from the URL map like the permission matrix: every route that names a piece of an
expedition in its URL (the expedition, a card, a meeting, a note…) is asked by an operator who
is a member of no expedition, with GET and POST alike. Any answer but 403/404 fails, so a new
page or export is covered the day it is added.
"""

from __future__ import annotations

from flask import Flask

from alex.extensions import db
from tests.support.scene import build_scene, client_for, fast_hashes, rules, token_for

# URL arguments that name expedition content (see tests/support/scene.py for their values).
CONTENT_ARGUMENTS = {
    "expedition_id",
    "card_id",
    "meeting_id",
    "member_id",
    "membership_id",
    "check_in_id",
    "item_id",
    "action_id",
    "group_id",
}
# What a facilitator published for everyone logged in on the instance, the operator included:
# an expedition's listing on the Börse (title, description, seats) and the request to join it.
PUBLISHED = {"openings.show", "openings.request_to_join"}


def content_routes(app: Flask) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) of every route whose URL names expedition content."""
    return [
        (endpoint, method, rule)
        for endpoint, method, rule in rules(app)
        if CONTENT_ARGUMENTS & set(rule.arguments) and endpoint not in PUBLISHED
    ]


def _answers(app, scene, routes) -> dict[str, int]:
    from tests.support.api import bearer, make_token

    client = client_for(app, scene, "operator")
    token = token_for(client, "operator")
    # The read-only API with the operator's own personal access token (a cookie gets 401 there).
    api_token = bearer(make_token(app, scene.users["operator"].id))
    answers = {}
    for endpoint, method, rule in routes:
        path = scene.url(app, rule)
        if endpoint.startswith("api."):
            response = app.test_client().get(path, headers=api_token)
        elif method == "POST":
            response = client.post(path, data={"csrf_token": token})
        else:
            response = client.get(path)
        answers[f"{method} {path} ({endpoint})"] = response.status_code
        response.close()
    return answers


def test_an_operator_who_is_no_member_gets_no_expedition_page_or_export(app, world, monkeypatch):
    fast_hashes(monkeypatch)
    scene = build_scene(app, world)
    routes = content_routes(app)
    endpoints = {endpoint for endpoint, _, _ in routes}
    # The derivation finds the pages and exports (a guard against an empty or shrunken list).
    assert {
        "expeditions.show",
        "boards.board",
        "boards.card",
        "meetings.show",
        "progress.zirkel",
        "exports.report",
        "exports.report_pdf",
        "exports.report_md",
        "exports.summary_pdf",
        "progress.meeting_ics",
        "api.board",
        "api.meeting",
    } <= endpoints
    assert len(routes) > 60
    answers = _answers(app, scene, routes)
    shown = {where: status for where, status in answers.items() if status not in (403, 404)}
    assert not shown, f"the operator reached expedition content: {shown}"


def test_the_check_notices_content_once_the_operator_is_a_member(app, world, monkeypatch):
    """The same walk fails as soon as the operator can see an expedition: the test can fail."""
    from alex.expeditions.models import Membership

    fast_hashes(monkeypatch)
    scene = build_scene(app, world)
    with app.app_context():
        db.session.add(
            Membership(expedition_id=scene.ids["expedition_id"], user_id=scene.users["operator"].id)
        )
        db.session.commit()
    pages = [
        r
        for r in content_routes(app)
        if r[1] == "GET" and r[0] in {"expeditions.show", "exports.report", "boards.card"}
    ]
    answers = _answers(app, scene, pages)
    assert all(status == 200 for status in answers.values()), answers
