"""Expeditions through HTTP: permissions per role, forms, invites, roles, settings, isolation."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, update

from alex.db import utcnow
from alex.expeditions.models import Expedition, Invite, Membership
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD, csrf_token, login
from tests.support.htmx import swapped_targets
from tests.support.queries import statements_for_get


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _invite(app, expedition, creator, **kw) -> Invite:
    from alex.expeditions.service import create_invite

    with app.app_context():
        invite = create_invite(
            db.session,
            db.session.get(Expedition, expedition.id),
            db.session.merge(creator),
            **kw,
        )
        db.session.commit()
        db.session.refresh(invite)
        db.session.expunge(invite)
        return invite


@dataclass
class Scene:
    """One expedition with a facilitator and two participants, and an outsider with their own."""

    expedition: object
    facilitator: object
    member: object
    other: object
    other_membership: object
    member_membership: object
    outsider: object
    outsider_expedition: object
    invite: object


@pytest.fixture
def scene(app, world) -> Scene:
    mona = world.user("Mona Moderation", "mona@example.org")
    ada = world.user("Ada Lorenz", "ada@example.org")
    ben = world.user("Ben Okafor", "ben@example.org")
    olga = world.user("Olga Außen", "olga@example.org")
    expedition = world.expedition(mona, title="Digitale Verwaltung")
    ada_membership = world.join(expedition, ada)
    ben_membership = world.join(expedition, ben)
    foreign = world.expedition(olga, title="Geheime Expedition")
    invite = _invite(app, expedition, mona)
    return Scene(expedition, mona, ada, ben, ben_membership, ada_membership, olga, foreign, invite)


VALID_SETTINGS = {
    "title": "Digitale Verwaltung",
    "description": "Wir lernen agil.",
    "start_date": (date.today() - timedelta(days=10)).isoformat(),
    "sprint_weeks": "4",
    "sprint_count": "6",
    "timezone": "Europe/Berlin",
}


def _client_for(app, who, scene: Scene):
    client = app.test_client()
    if who != "anonymous":
        user = {
            "outsider": scene.outsider,
            "member": scene.member,
            "facilitator": scene.facilitator,
        }[who]
        assert login(client, user.email).status_code == 302
    return client


def _settings_payload(scene: Scene) -> dict:
    return {**VALID_SETTINGS, "version": "1", "participate": "y"}


# (method, path template, payload builder, expected per role)
ROUTES = [
    ("get", "/expeditions/{e}", None, {"member": 200, "facilitator": 200}),
    ("get", "/expeditions/{e}/members", None, {"member": 200, "facilitator": 200}),
    ("get", "/expeditions/{e}/settings", None, {"member": 403, "facilitator": 200}),
    ("post", "/expeditions/{e}/settings", _settings_payload, {"member": 403, "facilitator": 302}),
    (
        "post",
        "/expeditions/{e}/invites",
        lambda s: {"days_valid": "7"},
        {"member": 403, "facilitator": 200},
    ),
    (
        "post",
        "/expeditions/{e}/invites/{i}/revoke",
        None,
        {"member": 403, "facilitator": 200},
    ),
    (
        "post",
        "/expeditions/{e}/members/{m}/roles",
        lambda s: {"is_participant": "y", "is_facilitator": "y"},
        {"member": 403, "facilitator": 200},
    ),
    ("post", "/expeditions/{e}/members/{m}/remove", None, {"member": 403, "facilitator": 200}),
    ("get", "/expeditions/new?template={e}", None, {"member": 200, "facilitator": 200}),
]


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member", "facilitator"])
@pytest.mark.parametrize(
    ("method", "path", "payload", "expected"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_permission_table(app, scene, who, method, path, payload, expected):
    client = _client_for(app, who, scene)
    url = path.format(e=scene.expedition.id, i=scene.invite.id, m=scene.other_membership.id)
    if method == "get":
        response = client.get(url)
    else:
        data = payload(scene) if payload else {}
        data["csrf_token"] = csrf_token(client, "/login" if who == "anonymous" else "/")
        response = client.post(url, data=data)
    if who == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    elif who == "outsider":
        assert response.status_code == 404
        assert "Digitale Verwaltung" not in response.get_data(as_text=True)
    else:
        assert response.status_code == expected[who], response.get_data(as_text=True)[:2000]


def _state(app, scene):
    """What the routes above could have changed."""
    with app.app_context():
        expedition = db.session.get(Expedition, scene.expedition.id)
        invite = db.session.get(Invite, scene.invite.id)
        other = db.session.get(Membership, scene.other_membership.id)
        invites = db.session.scalar(select(func.count()).select_from(Invite))
        return (
            expedition.title,
            expedition.version,
            invite.revoked_at,
            other and (other.is_facilitator, other.is_participant),
            invites,
        )


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member"])
def test_refused_posts_change_nothing(app, scene, who):
    before = _state(app, scene)
    client = _client_for(app, who, scene)
    token = csrf_token(client, "/login" if who == "anonymous" else "/")
    for method, path, payload, _expected in ROUTES:
        if method != "post":
            continue
        url = path.format(e=scene.expedition.id, i=scene.invite.id, m=scene.other_membership.id)
        data = {**(payload(scene) if payload else {}), "title": "Gekapert", "csrf_token": token}
        assert client.post(url, data=data).status_code in (302, 403, 404)
    assert _state(app, scene) == before


def test_outsider_cannot_reach_foreign_rows_through_own_expedition(app, scene):
    """Ids of another expedition's invites and members are 404 even for a facilitator."""
    olga = _client_for(app, "outsider", scene)
    token = csrf_token(olga, "/")
    own = scene.outsider_expedition.id
    for url in (
        f"/expeditions/{own}/invites/{scene.invite.id}/revoke",
        f"/expeditions/{own}/members/{scene.other_membership.id}/roles",
        f"/expeditions/{own}/members/{scene.other_membership.id}/remove",
    ):
        assert olga.post(url, data={"csrf_token": token, "is_participant": "y"}).status_code == 404
    home = olga.get("/").get_data(as_text=True)
    assert "Geheime Expedition" in home and "Digitale Verwaltung" not in home
    assert _count(app, Membership, Membership.expedition_id == scene.expedition.id) == 3


def test_huge_ids_are_404(actor, scene):
    ada = actor(scene.member)
    assert ada.get("/expeditions/99999999999999999999999").status_code == 404
    assert ada.get("/expeditions/2147483648/members").status_code == 404
    assert ada.get("/expeditions/new?template=99999999999999999999").status_code == 200


def test_without_post_csrf_token_is_refused(app, scene):
    client = _client_for(app, "facilitator", scene)
    response = client.post(f"/expeditions/{scene.expedition.id}/invites", data={"days_valid": 7})
    assert response.status_code == 400
    assert _count(app, Invite) == 1


# --- home and expedition page --------------------------------------------------------------


def test_home_shows_where_each_expedition_stands(actor, scene):
    ada = actor(scene.member)
    html = ada.get("/").get_data(as_text=True)
    assert "Meine Expeditionen" in html and "Digitale Verwaltung" in html
    assert "Sprint 1 von 6" in html
    # No meeting is scheduled in the scene: home counts to the sprint's end, not to a guess.
    assert "Tage bis zum Ende des Sprints" in html
    assert "Tage bis zum Abschluss" in html


def test_home_empty_state_invites_the_next_step(actor):
    html = actor().get("/").get_data(as_text=True)
    assert "Noch keine Expedition" in html


def test_expedition_page_shows_calendar_and_members(actor, scene):
    html = actor(scene.member).get(f"/expeditions/{scene.expedition.id}").get_data(as_text=True)
    assert html.count('class="sprint sprint-') == 6
    assert 'aria-current="step"' in html
    for name in ("Mona Moderation", "Ada Lorenz", "Ben Okafor"):
        assert name in html
    assert "Einstellungen" not in html  # only the facilitator sees the settings link


# --- create --------------------------------------------------------------------------------


def test_create_expedition_makes_creator_facilitator(app, actor):
    mona = actor()
    data = {**VALID_SETTINGS, "title": "Neue Runde", "pit_stops": "y", "participate": "y"}
    response = mona.post("/expeditions/new", data)
    assert response.status_code == 302
    with app.app_context():
        expedition = db.session.scalar(select(Expedition).where(Expedition.title == "Neue Runde"))
        membership = db.session.scalar(
            select(Membership).where(Membership.expedition_id == expedition.id)
        )
        assert membership.user_id == mona.user.id
        assert membership.is_facilitator and membership.is_participant
        assert expedition.pit_stops and expedition.sprint_weeks == 4
    assert response.headers["Location"] == f"/expeditions/{expedition.id}/members"
    html = mona.get(f"/expeditions/{expedition.id}").get_data(as_text=True)
    assert "Boxenstopp" in html


def test_new_form_has_defaults(actor):
    html = actor().get("/expeditions/new").get_data(as_text=True)
    assert 'name="sprint_weeks"' in html and 'value="4"' in html and 'value="6"' in html
    assert '<option selected value="Europe/Berlin">' in html


BAD_EXPEDITION_INPUT = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "T" * 121}, "title"),
    ({"title": "Zwei\nZeilen"}, "title"),
    ({"title": "T" * 600_000}, "title"),
    ({"description": "D" * 4001}, "description"),
    ({"description": "Nul\x00Byte"}, "description"),
    ({"start_date": ""}, "start_date"),
    ({"start_date": "31.02.2026"}, "start_date"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"start_date": "morgen"}, "start_date"),
    ({"start_date": "9999-12-31"}, "start_date"),
    ({"start_date": "0001-01-01"}, "start_date"),
    ({"sprint_weeks": ""}, "sprint_weeks"),
    ({"sprint_weeks": "0"}, "sprint_weeks"),
    ({"sprint_weeks": "7"}, "sprint_weeks"),
    ({"sprint_weeks": "-1"}, "sprint_weeks"),
    ({"sprint_weeks": "2.5"}, "sprint_weeks"),
    ({"sprint_weeks": "vier"}, "sprint_weeks"),
    ({"sprint_weeks": "9" * 40}, "sprint_weeks"),
    ({"sprint_count": "0"}, "sprint_count"),
    ({"sprint_count": "27"}, "sprint_count"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"retention_months": "0"}, "retention_months"),
    ({"retention_months": "121"}, "retention_months"),
    ({"retention_months": "bald"}, "retention_months"),
]


@pytest.mark.parametrize(
    ("data", "field"), BAD_EXPEDITION_INPUT, ids=lambda v: str(v)[:40] if isinstance(v, dict) else v
)
def test_create_bad_input(app, actor, data, field):
    mona = actor()
    response = mona.post("/expeditions/new", {**VALID_SETTINGS, **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = _field_error(html, field)
    assert error, f"no message next to {field}"
    assert not re.search(r"[A-Za-z]+ (is|a|valid|value|choice)\b", error), error  # German
    if field != "title" and len(VALID_SETTINGS["title"]) < 100:
        assert 'value="Digitale Verwaltung"' in html  # what was typed stays
    assert _count(app, Expedition) == 0


def test_create_bad_input_in_english(app, actor):
    mona = actor()
    mona.post("/account/profile", {"name": mona.user.name, "locale": "en"})
    html = mona.post("/expeditions/new", {**VALID_SETTINGS, "sprint_weeks": "vier"}).get_data(
        as_text=True
    )
    assert _field_error(html, "sprint_weeks") == "Please enter a whole number."


def test_create_from_template_prefills_settings(actor, scene, world):
    mona = actor(scene.facilitator)
    html = mona.get(f"/expeditions/new?template={scene.expedition.id}").get_data(as_text=True)
    assert "Digitale Verwaltung (neue Runde)" in html
    start = re.search(r'name="start_date"[^>]*value="([^"]+)"', html).group(1)
    assert date.fromisoformat(start) > date.today()  # a new round starts in the future
    assert 'name="sprint_weeks" required type="number" value="4"' in html


def test_template_of_a_foreign_expedition_is_404(actor, scene):
    olga = actor(scene.outsider)
    assert olga.get(f"/expeditions/new?template={scene.expedition.id}").status_code == 404


# --- settings ------------------------------------------------------------------------------


def test_settings_change_without_shift_saves(app, actor, scene):
    mona = actor(scene.facilitator)
    data = {**VALID_SETTINGS, "title": "Neuer Titel", "version": "1", "participate": "y"}
    response = mona.post(f"/expeditions/{scene.expedition.id}/settings", data)
    assert response.status_code == 302
    with app.app_context():
        expedition = db.session.get(Expedition, scene.expedition.id)
        assert expedition.title == "Neuer Titel" and expedition.version == 2


def test_settings_shift_needs_confirmation(app, actor, scene):
    mona = actor(scene.facilitator)
    url = f"/expeditions/{scene.expedition.id}/settings"
    data = {**VALID_SETTINGS, "sprint_weeks": "2", "version": "1", "participate": "y"}
    response = mona.post(url, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Das verschiebt die Sprints." in html and 'name="confirm_shift"' in html
    assert "Der Abschluss verschiebt sich vom" in html
    assert 'value="2"' in html
    with app.app_context():
        assert db.session.get(Expedition, scene.expedition.id).sprint_weeks == 4
    assert mona.post(url, {**data, "confirm_shift": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(Expedition, scene.expedition.id).sprint_weeks == 2


@pytest.mark.parametrize(("data", "field"), BAD_EXPEDITION_INPUT[::3])
def test_settings_bad_input(app, actor, scene, data, field):
    mona = actor(scene.facilitator)
    payload = {**VALID_SETTINGS, "version": "1", **data}
    response = mona.post(f"/expeditions/{scene.expedition.id}/settings", payload)
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), field)
    with app.app_context():
        assert db.session.get(Expedition, scene.expedition.id).version == 1


def _promote(app, membership_id):
    with app.app_context():
        db.session.execute(
            update(Membership).where(Membership.id == membership_id).values(is_facilitator=True)
        )
        db.session.commit()


def test_two_facilitators_saving_settings_at_once(app, actor, scene):
    _promote(app, scene.other_membership.id)
    mona, ben = actor(scene.facilitator), actor(scene.other)
    url = f"/expeditions/{scene.expedition.id}/settings"
    assert 'name="version" type="hidden" value="1"' in mona.get(url).get_data(as_text=True)
    mona_data = {**VALID_SETTINGS, "title": "Monas Titel", "version": "1"}
    ben_data = {**VALID_SETTINGS, "description": "Bens Text", "version": "1"}
    assert mona.post(url, mona_data).status_code == 302
    response = ben.post(url, ben_data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "inzwischen gespeichert" in html
    assert 'value="Monas Titel"' in html  # the fresh state, to redo the change on
    assert 'name="version" type="hidden" value="2"' in html
    with app.app_context():
        expedition = db.session.get(Expedition, scene.expedition.id)
        assert expedition.title == "Monas Titel" and expedition.description == "Wir lernen agil."


def test_settings_page_is_prefilled(actor, scene):
    html = actor(scene.facilitator).get(f"/expeditions/{scene.expedition.id}/settings")
    assert 'value="Digitale Verwaltung"' in html.get_data(as_text=True)


# --- invites -------------------------------------------------------------------------------


def test_facilitator_creates_and_revokes_invite_link(app, actor, scene):
    mona = actor(scene.facilitator)
    url = f"/expeditions/{scene.expedition.id}/invites"
    response = mona.post(url, {"days_valid": "7", "single_use": "y"}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert swapped_targets(html) == {"members"}  # the fragment only
    link = re.search(r'id="invite-link" type="text" readonly value="([^"]+)"', html).group(1)
    assert link.startswith("http://localhost/invite/")
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        invite = db.session.scalar(select(Invite).where(Invite.token == token))
        assert invite.single_use
        assert 6 <= (invite.expires_at - utcnow()).days <= 7
    revoke = mona.post(f"/expeditions/{scene.expedition.id}/invites/{invite.id}/revoke")
    assert revoke.status_code == 200
    assert app.test_client().get(f"/invite/{token}").status_code == 404


@pytest.mark.parametrize("days", ["999", "abc", "", "-7"])
def test_invite_bad_input(app, actor, scene, days):
    mona = actor(scene.facilitator)
    response = mona.post(f"/expeditions/{scene.expedition.id}/invites", {"days_valid": days})
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "days_valid")
    assert _count(app, Invite) == 1


def test_logged_out_visitor_registers_and_lands_in_expedition(app, scene):
    client = app.test_client()
    page = client.get(f"/invite/{scene.invite.token}")
    assert page.status_code == 200
    assert "Digitale Verwaltung" in page.get_data(as_text=True)
    response = client.post(
        "/register",
        data={
            "name": "Nele Neu",
            "email": "nele@example.org",
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client, "/register"),
        },
    )
    assert response.headers["Location"] == f"/expeditions/{scene.expedition.id}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_logged_out_visitor_logs_in_and_lands_in_expedition(app, scene, world):
    world.user("Cem Yıldız", "cem@example.org")
    client = app.test_client()
    client.get(f"/invite/{scene.invite.token}")
    response = login(client, "cem@example.org")
    assert response.headers["Location"] == f"/expeditions/{scene.expedition.id}"


def test_logged_in_user_joins_with_a_click(app, actor, scene, world):
    cem = actor(world.user("Cem Yilmaz"))
    page = cem.get(f"/invite/{scene.invite.token}").get_data(as_text=True)
    assert "Der Expedition beitreten" in page
    response = cem.post(f"/invite/{scene.invite.token}")
    assert response.headers["Location"] == f"/expeditions/{scene.expedition.id}"
    again = cem.get(f"/invite/{scene.invite.token}").get_data(as_text=True)
    assert "schon Teil dieser Expedition" in again


def test_closed_registration_still_lets_invited_people_in(make_app, scene):
    app = make_app(OPEN_REGISTRATION=False)
    client = app.test_client()
    assert client.get("/register").status_code == 403
    client.get(f"/invite/{scene.invite.token}")
    assert client.get("/register").status_code == 200
    response = client.post(
        "/register",
        data={
            "name": "Nele Neu",
            "email": "nele@example.org",
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client, "/register"),
        },
    )
    assert response.headers["Location"] == f"/expeditions/{scene.expedition.id}"


def test_closed_registration_with_revoked_invite_in_session(make_app, app, scene):
    closed = make_app(OPEN_REGISTRATION=False)
    client = closed.test_client()
    client.get(f"/invite/{scene.invite.token}")
    with app.app_context():
        db.session.execute(update(Invite).values(revoked_at=utcnow()))
        db.session.commit()
    assert client.get("/register").status_code == 403


@pytest.mark.parametrize("state", ["expired", "revoked", "used", "unknown", "odd"])
def test_unusable_invites(app, actor, scene, state):
    token = scene.invite.token
    with app.app_context():
        changes = {
            "expired": {"expires_at": utcnow() - timedelta(minutes=1)},
            "revoked": {"revoked_at": utcnow()},
            "used": {"single_use": True, "use_count": 1},
        }.get(state)
        if changes:
            db.session.execute(update(Invite).values(**changes))
            db.session.commit()
    if state == "unknown":
        token = "x" * 32
    if state == "odd":
        token = "%00%27;--"
    anonymous = app.test_client().get(f"/invite/{token}")
    assert anonymous.status_code == 404
    assert "funktioniert nicht mehr" in anonymous.get_data(as_text=True)
    cem = actor()
    response = cem.post(f"/invite/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _count(app, Membership, Membership.user_id == cem.user.id) == 0


def test_single_use_invite_raced_by_two_people(app, actor, scene, world):
    invite = _invite(app, scene.expedition, scene.facilitator, single_use=True)
    cem, dora = actor(world.user("Cem Yilmaz")), actor(world.user("Dora Brandt"))
    tokens = [cem.token(), dora.token()]
    barrier = threading.Barrier(2)
    results = []

    def accept(who, token):
        barrier.wait()
        response = who.client.post(f"/invite/{invite.token}", data={"csrf_token": token})
        results.append(response.headers["Location"])

    threads = [
        threading.Thread(target=accept, args=(who, t))
        for who, t in zip((cem, dora), tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["/", f"/expeditions/{scene.expedition.id}"]
    joined = _count(
        app,
        Membership,
        Membership.expedition_id == scene.expedition.id,
        Membership.user_id.in_([cem.user.id, dora.user.id]),
    )
    assert joined == 1


def test_invite_as_facilitator(app, actor, scene, world):
    invite = _invite(app, scene.expedition, scene.facilitator, as_facilitator=True)
    cem = actor(world.user("Cem Yilmaz"))
    cem.post(f"/invite/{invite.token}")
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == cem.user.id))
        assert membership.is_facilitator and membership.is_participant


# --- members and roles ---------------------------------------------------------------------


def _roles(app, membership_id):
    with app.app_context():
        m = db.session.get(Membership, membership_id)
        return m and (m.is_facilitator, m.is_participant)


def test_facilitator_makes_member_facilitator_too(app, actor, scene):
    mona = actor(scene.facilitator)
    url = f"/expeditions/{scene.expedition.id}/members/{scene.other_membership.id}/roles"
    response = mona.post(url, {"is_facilitator": "y", "is_participant": "y"}, htmx=True)
    assert response.status_code == 200
    assert "Rollen von Ben Okafor sind gespeichert." in response.get_data(as_text=True)
    assert _roles(app, scene.other_membership.id) == (True, True)


def test_member_needs_a_role(app, actor, scene):
    mona = actor(scene.facilitator)
    url = f"/expeditions/{scene.expedition.id}/members/{scene.other_membership.id}/roles"
    response = mona.post(url, {}, htmx=True)
    assert response.status_code == 422
    assert _roles(app, scene.other_membership.id) == (False, True)


def _own_membership_id(app, scene):
    with app.app_context():
        return db.session.scalar(
            select(Membership.id).where(
                Membership.expedition_id == scene.expedition.id,
                Membership.user_id == scene.facilitator.id,
            )
        )


def test_last_facilitator_cannot_be_demoted_or_removed_or_leave(app, actor, scene):
    mona = actor(scene.facilitator)
    own = _own_membership_id(app, scene)
    base = f"/expeditions/{scene.expedition.id}"
    demote = mona.post(f"{base}/members/{own}/roles", {"is_participant": "y"}, htmx=True)
    assert demote.status_code == 422
    assert "mindestens eine Moderation" in demote.get_data(as_text=True)
    remove = mona.post(f"{base}/members/{own}/remove", htmx=True)
    assert remove.status_code == 422
    leave = mona.post(f"{base}/leave")
    assert leave.status_code == 302
    assert _roles(app, own) == (True, True)


def test_with_a_second_facilitator_the_first_may_step_down(app, actor, scene):
    _promote(app, scene.other_membership.id)
    mona = actor(scene.facilitator)
    own = _own_membership_id(app, scene)
    url = f"/expeditions/{scene.expedition.id}/members/{own}/roles"
    assert mona.post(url, {"is_participant": "y"}).status_code == 200
    assert _roles(app, own) == (False, True)
    # Now a participant: the settings are closed to her.
    assert mona.get(f"/expeditions/{scene.expedition.id}/settings").status_code == 403


def test_facilitator_removes_member(app, actor, scene):
    mona = actor(scene.facilitator)
    url = f"/expeditions/{scene.expedition.id}/members/{scene.other_membership.id}/remove"
    response = mona.post(url, htmx=True)
    assert response.status_code == 200
    assert "Ben Okafor ist nicht mehr Teil dieser Expedition." in response.get_data(as_text=True)
    assert _roles(app, scene.other_membership.id) is None
    ben = actor(scene.other)
    assert ben.get(f"/expeditions/{scene.expedition.id}").status_code == 404


def test_member_leaves(app, actor, scene):
    ada = actor(scene.member)
    response = ada.post(f"/expeditions/{scene.expedition.id}/leave")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _roles(app, scene.member_membership.id) is None
    assert ada.get(f"/expeditions/{scene.expedition.id}").status_code == 404


def test_members_page_for_member_and_facilitator(actor, scene):
    url = f"/expeditions/{scene.expedition.id}/members"
    member_html = actor(scene.member).get(url).get_data(as_text=True)
    assert "Einladungslink erstellen" not in member_html and "Expedition verlassen" in member_html
    facilitator_html = actor(scene.facilitator).get(url).get_data(as_text=True)
    assert "Einladungslink erstellen" in facilitator_html
    assert "Aktive Einladungslinks" in facilitator_html


# --- constant number of queries ------------------------------------------------------------


@pytest.mark.parametrize("page", ["", "/members"])
def test_pages_use_a_constant_number_of_queries(app, actor, scene, world, page):
    mona = actor(scene.facilitator)
    url = f"/expeditions/{scene.expedition.id}{page}"
    small = statements_for_get(app, mona.client, url)
    for n in range(6):
        world.join(scene.expedition, world.user(f"Person{n} Test"))
        _invite(app, scene.expedition, scene.facilitator)
    assert statements_for_get(app, mona.client, url) == small


def test_home_uses_a_constant_number_of_queries(app, actor, scene, world):
    ada = actor(scene.member)
    small = statements_for_get(app, ada.client, "/")
    for n in range(5):
        world.join(world.expedition(scene.facilitator, title=f"Runde {n}"), scene.member)
    assert statements_for_get(app, ada.client, "/") == small


def _statements_of_get(app, client, url: str) -> tuple[int, list[str]]:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        if statement not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return status, statements


def test_the_user_loader_reads_the_membership_of_the_expedition_in_the_url(app, scene, world):
    """One statement loads the person and their membership of the URL's expedition (the guard
    hook and the view use it); a member of another expedition still finds nothing here."""
    url = f"/expeditions/{scene.expedition.id}"
    status, statements = _statements_of_get(app, _client_for(app, "member", scene), url)
    assert status == 200
    loader = statements[0]
    assert "JOIN login_session" in loader and "LEFT OUTER JOIN membership" in loader
    assert not any(s.lstrip().startswith("SELECT membership.") for s in statements[1:])
    world.join(world.expedition(scene.facilitator, title="Andere Runde"), scene.outsider)
    status, _ = _statements_of_get(app, _client_for(app, "outsider", scene), url)
    assert status == 404
    status, statements = _statements_of_get(app, _client_for(app, "member", scene), "/account")
    assert status == 200
    assert "JOIN membership" not in statements[0]  # no expedition in the URL: no companion


# --- the remaining routes of the permission table --------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "stays"),
    [("anonymous", 302, True), ("outsider", 404, True), ("member", 302, False)],
)
def test_leave_permission_table(app, scene, who, status, stays):
    client = _client_for(app, who, scene)
    token = csrf_token(client, "/login" if who == "anonymous" else "/")
    response = client.post(f"/expeditions/{scene.expedition.id}/leave", data={"csrf_token": token})
    assert response.status_code == status
    if who == "anonymous":
        assert response.headers["Location"].startswith("/login")
    assert (_roles(app, scene.member_membership.id) is not None) is stays


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/"), ("get", "/expeditions/new"), ("post", "/expeditions/new")],
)
def test_personal_routes_need_login(client, method, path):
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data={**VALID_SETTINGS, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member", "facilitator"])
def test_invite_landing_permission_table(app, scene, who):
    client = _client_for(app, who, scene)
    page = client.get(f"/invite/{scene.invite.token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    if who in ("member", "facilitator"):
        assert "schon Teil dieser Expedition" in html
    elif who == "outsider":
        assert "Der Expedition beitreten" in html
    else:
        assert "Konto anlegen" in html and "Anmelden" in html
    token = csrf_token(client, "/login" if who == "anonymous" else "/")
    joined = client.post(f"/invite/{scene.invite.token}", data={"csrf_token": token})
    if who == "anonymous":
        assert joined.headers["Location"].startswith("/login")
    else:
        assert joined.headers["Location"] == f"/expeditions/{scene.expedition.id}"


def test_members_page_htmx_gets_the_fragment(actor, scene):
    response = actor(scene.member).get(f"/expeditions/{scene.expedition.id}/members", htmx=True)
    html = response.get_data(as_text=True)
    assert swapped_targets(html) == {"members"} and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


# --- live calendar preview -------------------------------------------------------------------


def test_calendar_preview_fragment(actor):
    mona = actor()
    response = mona.get(
        "/expeditions/calendar-preview?start_date=2026-01-05&sprint_weeks=4&sprint_count=6"
        "&pit_stops=y",
        htmx=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert swapped_targets(html) == {"calendar-preview"}
    assert "Abschluss am Sonntag, 21. Juni 2026" in html
    assert html.count("<li>") == 6 and html.count("Boxenstopp") == 2


@pytest.mark.parametrize(
    "query",
    [
        "",
        "start_date=kaputt&sprint_weeks=4&sprint_count=6",
        "start_date=2026-01-05&sprint_weeks=0&sprint_count=6",
        "start_date=2026-01-05&sprint_weeks=4&sprint_count=999999999999999999999",
        "start_date=9999-12-31&sprint_weeks=6&sprint_count=26",
    ],
)
def test_calendar_preview_with_incomplete_values(actor, query):
    response = actor().get(f"/expeditions/calendar-preview?{query}", htmx=True)
    assert response.status_code == 200
    assert "Gib Startdatum, Sprint-Länge und Anzahl der Sprints ein" in response.get_data(
        as_text=True
    )


def test_calendar_preview_needs_login(client):
    assert client.get("/expeditions/calendar-preview").status_code == 302


def test_new_form_starts_next_monday_with_preview(actor):
    html = actor().get("/expeditions/new").get_data(as_text=True)
    start = date.fromisoformat(re.search(r'name="start_date"[^>]*value="([^"]+)"', html).group(1))
    assert start.weekday() == 0 and start > date.today()
    assert 'id="calendar-preview"' in html and "Abschluss am" in html
