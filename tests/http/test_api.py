"""The read-only API and its personal access tokens: the lifecycle on the account page, what
each answer shows (the pages' rules: private cards, hidden and anonymous retro notes), ETags,
the rate limit, and problem answers."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from alex.api.models import ApiToken
from alex.db import utcnow
from alex.extensions import db
from tests.support.accounts import make_cast
from tests.support.api import bearer, make_token
from tests.support.boards import make_card

SECRET_PATTERN = re.compile(r'value="(alex_pat_[A-Za-z0-9_-]{43})"')


@pytest.fixture
def cast(world):
    return make_cast(world)


def tokens_in_db(app, user_id=None) -> list[ApiToken]:
    with app.app_context():
        query = select(ApiToken).order_by(ApiToken.id)
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def create_on_page(person, name="Kalender-Skript", days="90"):
    return person.post("/account/api-tokens", {"name": name, "days": days})


# The lifecycle on the account page


def test_a_token_is_shown_once_and_stored_only_as_its_hash(app, actor, cast, client):
    ada = actor(cast.ada)
    assert "/account/api-tokens" in ada.get("/account").get_data(as_text=True)
    response = create_on_page(ada)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    secret = SECRET_PATTERN.search(response.get_data(as_text=True)).group(1)
    assert secret.startswith("alex_pat_")

    [row] = tokens_in_db(app, cast.ada.id)
    assert row.name == "Kalender-Skript" and row.scope == "read"
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.expires_at - row.created_at == timedelta(days=90)
    assert secret not in repr(vars(row))
    # Shown once: the list names it, the secret is gone.
    page = ada.get("/account/api-tokens").get_data(as_text=True)
    assert "Kalender-Skript" in page and secret not in page

    assert row.last_used_at is None
    answer = client.get("/api/v1/me", headers=bearer(secret))
    assert answer.status_code == 200
    assert answer.json == {"id": cast.ada.id, "name": "Ada Lorenz", "locale": None}
    assert tokens_in_db(app, cast.ada.id)[0].last_used_at is not None


def test_a_revoked_token_gets_401_at_once(app, actor, cast, client):
    secret = make_token(app, cast.ada.id)
    assert client.get("/api/v1/expeditions", headers=bearer(secret)).status_code == 200
    [row] = tokens_in_db(app, cast.ada.id)
    ada = actor(cast.ada)
    response = ada.post(f"/account/api-tokens/{row.id}/revoke")
    assert response.status_code == 302
    answer = client.get("/api/v1/expeditions", headers=bearer(secret))
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert answer.json["status"] == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="ALEx"')
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_nobody_revokes_another_persons_token(app, actor, cast):
    make_token(app, cast.ada.id)
    [row] = tokens_in_db(app, cast.ada.id)
    assert actor(cast.ben).post(f"/account/api-tokens/{row.id}/revoke").status_code == 404
    assert len(tokens_in_db(app, cast.ada.id)) == 1


def test_an_expired_token_gets_401_and_is_listed_as_expired(app, actor, cast, client):
    secret = make_token(app, cast.ada.id)
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    page = actor(cast.ada).get("/account/api-tokens").get_data(as_text=True)
    assert "Abgelaufen" in page


def test_a_deactivated_account_s_token_stops_working(app, cast, client):
    secret = make_token(app, cast.ada.id)
    with app.app_context():
        from alex.auth.models import User

        db.session.get(User, cast.ada.id).deactivated_at = utcnow()
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_logging_out_everywhere_revokes_every_token(app, actor, cast, client):
    secret = make_token(app, cast.ada.id)
    make_token(app, cast.ben.id)
    actor(cast.ada).post("/account/logout-everywhere")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert [t.user_id for t in tokens_in_db(app)] == [cast.ben.id]


def test_deleting_the_account_deletes_its_tokens(app, cast):
    make_token(app, cast.ada.id)
    with app.app_context():
        from alex.auth.models import User
        from alex.exports.data_rights import delete_account

        delete_account(db.session, db.session.get(User, cast.ada.id))
        db.session.commit()
    assert tokens_in_db(app) == []


@pytest.mark.parametrize(
    ("name", "days", "message"),
    [
        ("", "90", "Bitte gib dem Token einen Namen"),
        ("   ", "90", "Bitte fülle dieses Feld aus."),
        ("x" * 81, "90", "höchstens 80 Zeichen"),
        ("Skript", "400", "Not a valid choice"),
    ],
)
def test_a_bad_form_makes_no_token_and_says_why(app, actor, cast, name, days, message):
    response = create_on_page(actor(cast.ada), name=name, days=days)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert message in page or message == "Not a valid choice"
    assert tokens_in_db(app) == []


def test_a_person_has_at_most_ten_working_tokens(app, actor, cast):
    for n in range(10):
        make_token(app, cast.ada.id, name=f"Skript {n}")
    response = create_on_page(actor(cast.ada))
    assert response.status_code == 422
    assert "10 gültige Tokens" in response.get_data(as_text=True)
    assert len(tokens_in_db(app, cast.ada.id)) == 10


def test_two_tabs_at_the_limit_make_one_token_not_two(app, make_app, actor, cast):
    """The person's row is locked while counting: two requests at once cannot both pass."""
    for n in range(9):
        make_token(app, cast.ada.id, name=f"Skript {n}")
    tabs = [actor(cast.ada), actor(cast.ada)]
    tokens = [tab.token("/account/api-tokens") for tab in tabs]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def create(tab, csrf):
        start.wait()
        response = tab.client.post(
            "/account/api-tokens", data={"name": "Neu", "days": "30", "csrf_token": csrf}
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=create, args=pair) for pair in zip(tabs, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 422]
    assert len(tokens_in_db(app, cast.ada.id)) == 10


# Authentication: only the bearer token counts


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic YWRhOnB3",
        "Bearer alex_pat_" + "A" * 43,
        "Bearer not-ours",
        "Bearer alex_pat_\x00",
        "Bearer alex_pat_" + "x" * 5000,
    ],
)
def test_no_working_token_is_401_never_500(client, cast, header):
    headers = {"Authorization": header} if header else {}
    answer = client.get("/api/v1/expeditions", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_session_cookie_alone_gets_401_and_no_cookie_is_set(actor, cast):
    ada = actor(cast.ada)
    answer = ada.get("/api/v1/expeditions", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 401
    assert "Set-Cookie" not in answer.headers
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_the_token_wins_over_a_cookie_of_someone_else(app, actor, cast):
    """Logged in as Olga, sending Ada's token: the answer is Ada's."""
    olga = actor(cast.outsider)
    secret = make_token(app, cast.ada.id)
    answer = olga.get("/api/v1/me", headers=bearer(secret))
    assert answer.json["id"] == cast.ada.id


# What the answers show: the pages' rules


def test_my_board_has_my_private_cards_a_peer_sees_only_shared_ones(app, cast, client):
    make_card(app, cast.expedition, cast.ada, "Geheim", visibility="private")
    make_card(app, cast.expedition, cast.ada, "Offen", visibility="zirkel", column="doing")
    ada, ben = make_token(app, cast.ada.id), make_token(app, cast.ben.id)
    base = f"/api/v1/expeditions/{cast.expedition.id}"

    own = client.get(f"{base}/board", headers=bearer(ada)).json
    assert {c["title"] for c in own["cards"]} == {"Geheim", "Offen"}
    assert own["only_shared"] is False
    same = client.get(f"{base}/members/{cast.ada.id}/board", headers=bearer(ada)).json
    assert same == own

    peer = client.get(f"{base}/members/{cast.ada.id}/board", headers=bearer(ben)).json
    assert [c["title"] for c in peer["cards"]] == ["Offen"]
    assert peer["only_shared"] is True
    assert peer["cards"][0]["column"] == "doing"


def test_an_outsider_and_the_operator_get_404_like_a_missing_expedition(app, world, cast, client):
    operator = world.user("Otto Betrieb", is_operator=True)
    base = f"/api/v1/expeditions/{cast.expedition.id}"
    for person in (cast.outsider, operator):
        secret = make_token(app, person.id)
        for path in (
            base,
            f"{base}/board",
            f"{base}/meetings",
            f"{base}/members/{cast.ada.id}/board",
        ):
            answer = client.get(path, headers=bearer(secret))
            assert answer.status_code == 404, path
            assert answer.mimetype == "application/problem+json"
        assert client.get("/api/v1/expeditions", headers=bearer(secret)).json["items"] == [] or (
            person is cast.outsider
        )
    # A member of no one's: an id beyond the expedition is 404 for a member too.
    ada = make_token(app, cast.ada.id)
    assert (
        client.get(f"{base}/members/{cast.outsider.id}/board", headers=bearer(ada)).status_code
        == 404
    )
    assert client.get("/api/v1/expeditions/999999", headers=bearer(ada)).status_code == 404


def _meeting_with_retro(app, cast, *, anonymous: bool, phase: str):
    from alex.meetings.models import Meeting, Retro, RetroAction, RetroItem

    with app.app_context():
        meeting = Meeting(expedition_id=cast.expedition.id, starts_at=utcnow() + timedelta(days=1))
        db.session.add(meeting)
        db.session.flush()
        retro = Retro(meeting_id=meeting.id, anonymous=anonymous, phase=phase)
        db.session.add(retro)
        db.session.flush()
        key = None if not anonymous else "k" * 16
        db.session.add(
            RetroItem(
                retro_id=retro.id,
                author_id=None if anonymous else cast.ada.id,
                author_key=key,
                text="Mehr Pausen",
            )
        )
        db.session.add(
            RetroAction(meeting_id=meeting.id, owner_id=cast.ben.id, title="Pause planen")
        )
        db.session.commit()
        return meeting.id


def test_retro_notes_stay_hidden_until_the_reveal(app, cast, client):
    meeting_id = _meeting_with_retro(app, cast, anonymous=False, phase="write")
    path = f"/api/v1/expeditions/{cast.expedition.id}/meetings/{meeting_id}"
    answer = client.get(path, headers=bearer(make_token(app, cast.ben.id))).json
    assert answer["retro"]["notes"] == []
    assert answer["actions"] == []  # agreed actions show from the actions phase on
    listed = client.get(
        f"/api/v1/expeditions/{cast.expedition.id}/meetings",
        headers=bearer(make_token(app, cast.ben.id)),
    ).json
    assert [m["id"] for m in listed["items"]] == [meeting_id]


def test_revealed_notes_name_their_author_only_when_the_retro_is_not_anonymous(app, cast, client):
    named = _meeting_with_retro(app, cast, anonymous=False, phase="actions")
    anonymous = _meeting_with_retro(app, cast, anonymous=True, phase="actions")
    secret = make_token(app, cast.ben.id)
    base = f"/api/v1/expeditions/{cast.expedition.id}/meetings"

    shown = client.get(f"{base}/{named}", headers=bearer(secret)).json
    assert [n["text"] for n in shown["retro"]["notes"]] == ["Mehr Pausen"]
    assert shown["retro"]["notes"][0]["author"] == {"id": cast.ada.id, "name": "Ada Lorenz"}
    assert shown["actions"][0]["owner"] == {"id": cast.ben.id, "name": "Ben Okafor"}

    hidden = client.get(f"{base}/{anonymous}", headers=bearer(secret))
    assert hidden.json["retro"]["notes"][0]["author"] is None
    assert "Ada" not in hidden.get_data(as_text=True)


def test_a_meeting_of_another_expedition_is_404(app, world, cast, client):
    other = world.expedition(cast.outsider, title="Andere")
    meeting_id = _meeting_with_retro(app, cast, anonymous=False, phase="write")
    secret = make_token(app, cast.outsider.id)
    answer = client.get(
        f"/api/v1/expeditions/{other.id}/meetings/{meeting_id}", headers=bearer(secret)
    )
    assert answer.status_code == 404


def test_notifications_come_a_page_at_a_time(app, cast, client):
    from alex.notifications import notify

    with app.app_context():
        for n in range(3):
            notify(
                db.session,
                cast.ada.id,
                "kudos",
                expedition_id=cast.expedition.id,
                actor_id=cast.ben.id,
                subject=f"Karte {n}",
                link=f"/expeditions/{cast.expedition.id}/board",
            )
        db.session.commit()
    secret = make_token(app, cast.ada.id)
    first = client.get("/api/v1/notifications?per_page=2", headers=bearer(secret)).json
    assert first["total"] == 3 and first["unread"] == 3 and len(first["items"]) == 2
    assert first["items"][0]["subject"] == "Karte 2"
    assert first["items"][0]["actor"]["name"] == "Ben Okafor"
    assert first["items"][0]["link"].startswith("http://localhost/expeditions/")
    assert "Ben Okafor" in first["items"][0]["text"]
    second = client.get(first["next"], headers=bearer(secret)).json
    assert [i["subject"] for i in second["items"]] == ["Karte 0"]
    assert second["next"] is None
    # Ben's token sees none of Ada's.
    assert (
        client.get("/api/v1/notifications", headers=bearer(make_token(app, cast.ben.id))).json[
            "total"
        ]
        == 0
    )


@pytest.mark.parametrize("query", ["per_page=0", "per_page=201", "page=x", "page=-1"])
def test_a_bad_page_is_a_400_problem(app, cast, client, query):
    answer = client.get(
        f"/api/v1/notifications?{query}", headers=bearer(make_token(app, cast.ada.id))
    )
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert "ganze Zahl" in answer.json["detail"]


def test_answers_follow_the_token_holders_language(app, world, cast, client):
    with app.app_context():
        from alex.auth.models import User

        db.session.get(User, cast.ada.id).locale = "en"
        db.session.commit()
    answer = client.get("/api/v1/expeditions/999999", headers=bearer(make_token(app, cast.ada.id)))
    assert answer.json["title"] == "Not found"
    german = client.get("/api/v1/expeditions/999999", headers=bearer(make_token(app, cast.ben.id)))
    assert german.json["title"] == "Nicht gefunden"


# Second factor: the token reaches what the login session that made it reached


def test_an_expedition_requiring_a_second_factor_needs_a_token_made_with_one(app, cast, client):
    from alex.twofactor.models import TwoFactorRequirement

    with app.app_context():
        db.session.add(TwoFactorRequirement(expedition_id=cast.expedition.id))
        db.session.commit()
    path = f"/api/v1/expeditions/{cast.expedition.id}/board"
    plain = client.get(path, headers=bearer(make_token(app, cast.ada.id)))
    assert plain.status_code == 403
    assert plain.mimetype == "application/problem+json"
    assert "Set-Cookie" not in plain.headers
    proven = make_token(app, cast.ada.id, with_second_factor=True)
    assert client.get(path, headers=bearer(proven)).status_code == 200


# Polling cheaply: ETag and Cache-Control


def test_an_unchanged_answer_is_304_and_a_change_gives_a_new_etag(app, cast, client):
    secret = make_token(app, cast.ada.id)
    path = f"/api/v1/expeditions/{cast.expedition.id}/board"
    first = client.get(path, headers=bearer(secret))
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] in ("private, no-cache", "no-cache, private")
    assert "Authorization" in first.headers["Vary"]

    again = client.get(path, headers={**bearer(secret), "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_card(app, cast.expedition, cast.ada, "Neu")
    changed = client.get(path, headers={**bearer(secret), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_etag_survives_compression(app, cast, client):
    """A large answer is compressed; its weak ETag stays as it is, so 304 still works."""
    for n in range(40):
        make_card(app, cast.expedition, cast.ada, f"Karte mit einem längeren Titel {n}")
    secret = make_token(app, cast.ada.id)
    path = f"/api/v1/expeditions/{cast.expedition.id}/board"
    headers = {**bearer(secret), "Accept-Encoding": "gzip"}
    first = client.get(path, headers=headers)
    assert first.headers.get("Content-Encoding") == "gzip"
    again = client.get(path, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# Rate limit per token


@pytest.fixture
def app_config(app_config):
    return {**app_config, "API_RATE_LIMIT": "3 per minute"}


def test_each_token_has_its_own_rate_limit(app, cast, client):
    ada, ben = make_token(app, cast.ada.id), make_token(app, cast.ben.id)
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer(ada)).status_code == 200
    refused = client.get("/api/v1/me", headers=bearer(ada))
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert "Retry-After" in refused.headers
    assert client.get("/api/v1/me", headers=bearer(ben)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/expeditions/99999999999999999999",
        "/api/v1/expeditions/2147483648/board",
        "/api/v1/expeditions/{e}/members/9223372036854775808/board",
        "/api/v1/expeditions/{e}/meetings/-1",
        "/api/v1/expeditions/{e}/meetings/0",
        "/api/v1/notifications?page=99999999999999999999",
        "/api/v1/notifications?page=10000&per_page=200",
        "/api/v1/notifications?per_page=%00",
        "/api/v1/notifications?page=%C3%A4",
    ],
)
def test_odd_ids_and_pages_never_give_a_500(app, cast, client, path):
    secret = make_token(app, cast.ada.id)
    answer = client.get(path.format(e=cast.expedition.id), headers=bearer(secret))
    assert answer.status_code in (200, 400, 404)


def test_unknown_paths_and_methods_under_the_api_answer_as_problems(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    wrong = client.post("/api/v1/me")
    assert wrong.status_code == 405
    assert wrong.mimetype == "application/problem+json"
    assert "GET" in wrong.headers["Allow"]
    # Outside the API, pages stay pages.
    assert client.get("/nothing-here").mimetype == "text/html"
