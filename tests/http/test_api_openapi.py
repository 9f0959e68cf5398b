"""The API's OpenAPI 3.1 document: valid, complete for the URL map, and true of real answers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from alex.api.v1 import openapi_document
from alex.db import utcnow
from alex.extensions import db
from tests.support.accounts import make_cast
from tests.support.api import bearer, make_token
from tests.support.boards import make_card

DOCUMENT = openapi_document()


def _api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            yield rule


def _path_of(rule) -> str:
    """/api/v1/expeditions/<int:expedition_id> → /expeditions/{expedition_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))


def _resolve(node: dict) -> dict:
    """Follow a local $ref of the document (responses, parameters)."""
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = DOCUMENT["components"][kind][name]
    return node


def _validator(schema: dict) -> Draft202012Validator:
    """A JSON Schema validator for one schema of the document, its $refs resolved within it."""
    return Draft202012Validator({**schema, "components": DOCUMENT["components"]})


def test_the_document_is_valid_openapi_3_1():
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)
    assert DOCUMENT["openapi"].startswith("3.1")
    assert DOCUMENT["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_an_invalid_document_would_be_caught():
    broken = {**DOCUMENT, "paths": {"/me": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(Exception, match="description"):
        validate(broken, cls=OpenAPIV31SpecValidator)


def test_every_api_route_is_described_with_its_parameters(app):
    described = set()
    for rule in _api_rules(app):
        path = _path_of(rule)
        assert path in DOCUMENT["paths"], f"{rule.rule} is not in openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = DOCUMENT["paths"][path].get(method.lower())
            assert operation, f"{method} {rule.rule} is not in openapi.json"
            names = {_resolve(p)["name"] for p in operation.get("parameters", [])}
            assert set(rule.arguments) <= names, f"{rule.rule}: parameters not described"
            assert "200" in operation["responses"]
            described.add((path, method.lower()))
    documented = {(p, m) for p, item in DOCUMENT["paths"].items() for m in item}
    assert documented == described, "openapi.json describes routes the app does not have"


def test_the_document_is_served_as_it_is_shipped(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.json == DOCUMENT


@pytest.fixture
def full(app, world):
    """An expedition with cards, a meeting whose retro shows notes and actions, notifications."""
    from alex.meetings.models import Meeting, Retro, RetroAction, RetroItem
    from alex.notifications import notify

    cast = make_cast(world)
    make_card(app, cast.expedition, cast.ada, "Geheim", visibility="private", sprint_number=1)
    make_card(app, cast.expedition, cast.ada, "Offen", column="doing", kind="experiment")
    with app.app_context():
        meeting = Meeting(
            expedition_id=cast.expedition.id,
            starts_at=utcnow() - timedelta(hours=2),
            moderator_id=cast.facilitator.id,
            status="finished",
        )
        db.session.add(meeting)
        db.session.flush()
        retro = Retro(meeting_id=meeting.id, anonymous=False, phase="closed")
        db.session.add(retro)
        db.session.flush()
        db.session.add(RetroItem(retro_id=retro.id, author_id=cast.ada.id, text="Mehr Pausen"))
        db.session.add(
            RetroAction(meeting_id=meeting.id, owner_id=cast.ben.id, title="Pause", outcome="done")
        )
        for n in range(3):
            notify(
                db.session,
                cast.ada.id,
                "kudos",
                expedition_id=cast.expedition.id,
                actor_id=cast.ben.id,
                subject=f"Karte {n}",
                link="/",
            )
        db.session.commit()
        meeting_id = meeting.id
    return cast, meeting_id


def _operation(path: str, method: str = "get") -> dict:
    return DOCUMENT["paths"][path][method]


def _check(answer, path: str) -> None:
    """The answer's status is documented for the path, and its body fits the schema."""
    responses = _operation(path)["responses"]
    assert str(answer.status_code) in responses, f"{path}: {answer.status_code} not described"
    response = _resolve(responses[str(answer.status_code)])
    if answer.status_code == 304:
        assert answer.data == b""
        return
    [(media_type, content)] = response["content"].items()
    assert answer.mimetype == media_type
    errors = list(_validator(content["schema"]).iter_errors(answer.json))
    assert not errors, f"{path}: {[e.message for e in errors]}"


def test_real_answers_fit_their_schemas(app, full, client):
    cast, meeting_id = full
    ada = bearer(make_token(app, cast.ada.id))
    e = cast.expedition.id
    visits = [
        ("/openapi.json", "/openapi.json"),
        ("/me", "/me"),
        ("/expeditions", "/expeditions"),
        ("/expeditions/{expedition_id}", f"/expeditions/{e}"),
        ("/expeditions/{expedition_id}/board", f"/expeditions/{e}/board"),
        (
            "/expeditions/{expedition_id}/members/{user_id}/board",
            f"/expeditions/{e}/members/{cast.ada.id}/board",
        ),
        ("/expeditions/{expedition_id}/meetings", f"/expeditions/{e}/meetings"),
        (
            "/expeditions/{expedition_id}/meetings/{meeting_id}",
            f"/expeditions/{e}/meetings/{meeting_id}",
        ),
        ("/notifications", "/notifications?per_page=2"),
    ]
    seen_paths = set()
    for template, url in visits:
        answer = client.get("/api/v1" + url, headers=ada)
        assert answer.status_code == 200, url
        _check(answer, template)
        again = client.get(
            "/api/v1" + url, headers={**ada, "If-None-Match": answer.headers["ETag"]}
        )
        _check(again, template)
        seen_paths.add(template)
    assert seen_paths == set(DOCUMENT["paths"]), "a route without a visit here"
    # The content is really there (an empty list would fit the schemas too).
    board = client.get(f"/api/v1/expeditions/{e}/board", headers=ada).json
    assert len(board["cards"]) == 2
    record = client.get(f"/api/v1/expeditions/{e}/meetings/{meeting_id}", headers=ada).json
    assert record["retro"]["notes"] and record["actions"] and record["moderator"]


def test_problem_answers_fit_their_schemas(app, full, client):
    cast, meeting_id = full
    olga = bearer(make_token(app, cast.outsider.id))
    e = cast.expedition.id
    _check(
        client.get(f"/api/v1/expeditions/{e}/board", headers=olga),
        "/expeditions/{expedition_id}/board",
    )
    _check(client.get(f"/api/v1/expeditions/{e}"), "/expeditions/{expedition_id}")
    _check(client.get("/api/v1/notifications?page=0", headers=olga), "/notifications")
    _check(
        client.get(f"/api/v1/expeditions/{e}/meetings/{meeting_id}", headers=olga),
        "/expeditions/{expedition_id}/meetings/{meeting_id}",
    )
    assert DOCUMENT["security"] == [{"bearer": []}]
    assert _operation("/openapi.json")["security"] == []
