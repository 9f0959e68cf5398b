"""The Zirkel page and its Rückenwind and support forms, through HTTP: permissions, validation, privacy."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from alex.boards.models import Card, CheckIn
from alex.db import utcnow
from alex.extensions import db
from alex.progress.models import Kudos, SupportResponse
from tests.support.htmx import swapped_targets


def _client_for(who, busy_zirkel, actor, client):
    if who == "anonymous":
        return SimpleNamespace(
            get=lambda path, htmx=False: client.get(path),
            post=lambda path, data=None, htmx=False: client.post(path, data=data or {}),
        )
    return actor(getattr(busy_zirkel, who))


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 404), ("ben", 200), ("facilitator", 200)],
)
def test_zirkel_page_permissions(busy_zirkel, actor, client, who, status):
    response = _client_for(who, busy_zirkel, actor, client).get(
        f"/expeditions/{busy_zirkel.expedition_id}/zirkel"
    )
    assert response.status_code == status
    if who == "anonymous":
        assert "/login" in response.headers["Location"]


def test_zirkel_page_shows_every_participant_and_only_shared_things(busy_zirkel, actor):
    page = (
        actor(busy_zirkel.ben)
        .get(f"/expeditions/{busy_zirkel.expedition_id}/zirkel")
        .get_data(as_text=True)
    )
    for name in ("Ada Lorenz", "Ben Okafor", "Cem Yıldız"):
        assert name in page
    assert "Mona Moderation" not in page.split('id="members-heading"')[1].split('id="calendar"')[0]
    assert "GEHEIM" not in page
    assert "Expeditionskarte" in page
    assert page.count('role="img"') >= 2 + 3  # two map orientations, a sparkline per member
    assert "Fürs nächste Zirkeltreffen" not in page  # facilitator view is for facilitators
    assert 'id="rueckenwind"' in page


def test_facilitator_view_lists_open_support(busy_zirkel, actor):
    page = (
        actor(busy_zirkel.facilitator)
        .get(f"/expeditions/{busy_zirkel.expedition_id}/zirkel")
        .get_data(as_text=True)
    )
    section = page.split('id="facilitation-heading"')[1].split("</section>")[0]
    assert "Ada Lorenz" in section
    assert "Retro" in section  # the empty state of the retro-action hook


def test_zirkel_page_htmx_returns_the_fragment(busy_zirkel, actor):
    response = actor(busy_zirkel.ben).get(
        f"/expeditions/{busy_zirkel.expedition_id}/zirkel", htmx=True
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert swapped_targets(body) == {"zirkel"} and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_each_rueckenwind_box_names_its_target_and_carries_the_viewers_token(busy_zirkel, actor):
    """The boxes come from one cached blank box per kind: ids and token are filled in."""

    path = f"/expeditions/{busy_zirkel.expedition_id}/zirkel"
    ben, cem = actor(busy_zirkel.ben), actor(busy_zirkel.cem)
    for viewer in (ben, cem, ben):  # the second viewer must not get the first one's token
        page = viewer.get(path).get_data(as_text=True)
        own_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        boxes = re.findall(
            r'<div class="kudos" id="kudos-(card|check_in)-(\d+)">(.*?)</form>', page, re.S
        )
        shown_cards = {int(i) for kind, i, _ in boxes if kind == "card"}
        assert shown_cards and shown_cards <= set(
            busy_zirkel.shared_cards[busy_zirkel.ada.id]
        ) | set(
            busy_zirkel.shared_cards[busy_zirkel.ben.id]
            + busy_zirkel.shared_cards[busy_zirkel.cem.id]
        )
        assert any(kind == "check_in" for kind, _, _ in boxes)
        for kind, target_id, box in boxes:
            segment = "cards" if kind == "card" else "check-ins"
            assert f'action="{path}/{segment}/{target_id}/kudos"' in box
            assert f'id="kudos-{kind}-{target_id}-note"' in box
            assert f'name="csrf_token" value="{own_token}"' in box
            assert str(2**31 - 1) not in box
    # A box's own form works as it stands: its action and token are this viewer's.
    page = cem.get(path).get_data(as_text=True)
    action, token = re.search(
        r'<form method="post" action="([^"]+/kudos)".*?name="csrf_token" value="([^"]+)"',
        page,
        re.S,
    ).groups()
    response = cem.client.post(action, data={"kind": "great_step", "csrf_token": token})
    assert response.status_code == 302


def _card_kudos(busy_zirkel, card_id, expedition_id=None):
    return f"/expeditions/{expedition_id or busy_zirkel.expedition_id}/zirkel/cards/{card_id}/kudos"


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 400), ("outsider", 404), ("ben", 302), ("facilitator", 302), ("ada", 422)],
)
def test_card_kudos_permissions(busy_zirkel, actor, client, app, who, status):
    card_id = busy_zirkel.shared_cards[busy_zirkel.ada.id][0]
    response = _client_for(who, busy_zirkel, actor, client).post(
        _card_kudos(busy_zirkel, card_id), {"kind": "great_step"}
    )
    assert response.status_code == status
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Kudos))
    assert count == (1 if status == 302 else 0)


def test_kudos_on_private_or_foreign_things_is_404(busy_zirkel, actor, world):
    ben = actor(busy_zirkel.ben)
    ada = busy_zirkel.ada.id
    assert (
        ben.post(
            _card_kudos(busy_zirkel, busy_zirkel.private_cards[ada][0]), {"kind": "great_step"}
        ).status_code
        == 404
    )
    private_check_in = f"/expeditions/{busy_zirkel.expedition_id}/zirkel/check-ins/{busy_zirkel.private_check_ins[ada]}/kudos"
    assert ben.post(private_check_in, {"kind": "keep_going"}).status_code == 404
    other = world.expedition(busy_zirkel.ben, title="Andere Expedition")
    # Ben is a member there, but the card belongs to the first expedition.
    assert (
        ben.post(
            _card_kudos(busy_zirkel, busy_zirkel.shared_cards[ada][0], other.id),
            {"kind": "great_step"},
        ).status_code
        == 404
    )
    assert ben.post(_card_kudos(busy_zirkel, 999999), {"kind": "great_step"}).status_code == 404


def test_kudos_htmx_success_swaps_the_box_and_notifies(busy_zirkel, actor, app):
    card_id = busy_zirkel.shared_cards[busy_zirkel.ada.id][0]
    response = actor(busy_zirkel.ben).post(
        _card_kudos(busy_zirkel, card_id), {"kind": "brave_experiment", "note": "Mutig!"}, htmx=True
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.startswith(f'<div class="kudos" id="kudos-card-{card_id}"')
    assert "Rückenwind geschickt" in body
    assert "announce" in response.headers["HX-Trigger"]
    ada = actor(busy_zirkel.ada)
    page = ada.get(f"/expeditions/{busy_zirkel.expedition_id}/zirkel").get_data(as_text=True)
    received = page.split('id="rueckenwind"')[1].split("</section>")[0]
    assert "Mutiges Experiment" in received and "Ben Okafor" in received and "Mutig!" in received
    assert 'class="notification-count">1<' in page
    notes = ada.get("/notifications").get_data(as_text=True)
    assert "Ben Okafor hat dir Rückenwind" in notes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "applause"}, "Bitte wähle eine der Arten von Rückenwind."),
        ({}, "Bitte wähle eine der Arten von Rückenwind."),
        ({"kind": "keep_going", "note": "x" * 281}, "höchstens 280 Zeichen"),
    ],
)
def test_kudos_bad_input_gets_a_message_next_to_the_field(busy_zirkel, actor, data, message):
    card_id = busy_zirkel.shared_cards[busy_zirkel.ada.id][0]
    ben = actor(busy_zirkel.ben)
    response = ben.post(_card_kudos(busy_zirkel, card_id), data, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert (
        message in body
        and 'class="error"' in body
        and '<details class="kudos-details" open' in body
    )
    plain = ben.post(_card_kudos(busy_zirkel, card_id), data)
    assert plain.status_code == 422 and message in plain.get_data(as_text=True)
    assert "<html" in plain.get_data(as_text=True)


def test_kudos_on_own_card_says_why(busy_zirkel, actor):
    card_id = busy_zirkel.shared_cards[busy_zirkel.ada.id][0]
    response = actor(busy_zirkel.ada).post(
        _card_kudos(busy_zirkel, card_id), {"kind": "keep_going"}, htmx=True
    )
    assert response.status_code == 422
    assert "Rückenwind ist für die anderen" in response.get_data(as_text=True)


def test_kudos_without_csrf_is_refused(busy_zirkel, actor, app):
    ben = actor(busy_zirkel.ben)
    card_id = busy_zirkel.shared_cards[busy_zirkel.ada.id][0]
    response = ben.client.post(_card_kudos(busy_zirkel, card_id), data={"kind": "great_step"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Kudos)) == 0


def test_check_in_kudos(busy_zirkel, actor, app):
    path = f"/expeditions/{busy_zirkel.expedition_id}/zirkel/check-ins/{busy_zirkel.shared_check_ins[busy_zirkel.cem.id]}/kudos"
    response = actor(busy_zirkel.ada).post(path, {"kind": "learned_too"}, htmx=True)
    assert response.status_code == 200
    with app.app_context():
        kudos = db.session.scalar(select(Kudos))
        assert kudos.receiver_id == busy_zirkel.cem.id and kudos.check_in_id is not None


def _support(busy_zirkel, check_in_id=None):
    return f"/expeditions/{busy_zirkel.expedition_id}/zirkel/check-ins/{check_in_id or busy_zirkel.support_check_in}/support"


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 400), ("outsider", 404), ("ben", 200), ("facilitator", 200), ("ada", 422)],
)
def test_support_response_permissions(busy_zirkel, actor, client, who, status):
    response = _client_for(who, busy_zirkel, actor, client).post(
        _support(busy_zirkel), {"kind": "talk"}, htmx=True
    )
    assert response.status_code == status  # anonymous: no session, so no CSRF token


def test_support_response_notifies_the_asker(busy_zirkel, actor, app):
    ben = actor(busy_zirkel.ben)
    response = ben.post(
        _support(busy_zirkel), {"kind": "note", "note": "Frag mal Frau Schulz."}, htmx=True
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith(f'<div class="support-box" id="support-{busy_zirkel.support_check_in}"')
    assert "Frag mal Frau Schulz." in body
    plain = ben.post(_support(busy_zirkel), {"kind": "talk"})
    assert plain.status_code == 302 and f"#member-{busy_zirkel.ada.id}" in plain.headers["Location"]
    notes = actor(busy_zirkel.ada).get("/notifications").get_data(as_text=True)
    assert notes.count("hat auf deine Bitte um Unterstützung geantwortet") == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "note", "note": "   "}, "Schreib bitte eine kurze Nachricht"),
        ({"kind": "hug"}, "Bitte wähle, wie du helfen möchtest."),
        ({"kind": "note", "note": "x" * 281}, "höchstens 280 Zeichen"),
    ],
)
def test_support_bad_input(busy_zirkel, actor, app, data, message):
    response = actor(busy_zirkel.ben).post(_support(busy_zirkel), data, htmx=True)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupportResponse)) == 0


def test_support_on_private_or_unflagged_check_in_is_404(busy_zirkel, actor):
    ben = actor(busy_zirkel.ben)
    assert (
        ben.post(
            _support(busy_zirkel, busy_zirkel.private_check_ins[busy_zirkel.ada.id]),
            {"kind": "talk"},
        ).status_code
        == 404
    )
    assert (
        ben.post(
            _support(busy_zirkel, busy_zirkel.shared_check_ins[busy_zirkel.cem.id]),
            {"kind": "talk"},
        ).status_code
        == 404
    )


def test_support_closed_meanwhile_is_409_with_the_fresh_box(busy_zirkel, actor, app):
    ben = actor(busy_zirkel.ben)
    with app.app_context():
        db.session.get(CheckIn, busy_zirkel.support_check_in).support_cleared_at = utcnow()
        db.session.commit()
    response = ben.post(_support(busy_zirkel), {"kind": "talk"}, htmx=True)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "in der Zwischenzeit geschlossen" in body and "<form" not in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupportResponse)) == 0


def test_english_page(busy_zirkel, actor, app):
    ben = actor(busy_zirkel.ben)
    page = ben.get(
        f"/expeditions/{busy_zirkel.expedition_id}/zirkel", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "What everyone is working on" in page and "Send tailwind" in page
    assert "Rückenwind" not in page.split("<main", 1)[1]  # English names for the method


def test_reused_figures_follow_every_change_of_a_members_cards(busy_zirkel, actor, app, make_app):
    """The tiles' card figures are reused per process until a participant's board revision
    moves: each kind of change must show, in this worker and in another one."""
    from tests.support.accounts import TEST_PASSWORD, csrf_token

    ex, ada = busy_zirkel.expedition_id, busy_zirkel.ada
    me, viewer = actor(ada), actor(busy_zirkel.ben)
    other_worker = make_app().test_client()
    login = {"email": busy_zirkel.cem.email, "password": TEST_PASSWORD}
    login["csrf_token"] = csrf_token(other_worker)
    assert other_worker.post("/login", data=login).status_code == 302

    def tiles() -> list[str]:
        pages = (
            c.get(f"/expeditions/{ex}/zirkel").get_data(as_text=True)
            for c in (viewer, other_worker)
        )
        return [page.split(f'id="member-{ada.id}"')[1].split("</article>")[0] for page in pages]

    def figures(tile: str) -> tuple[int, int, int]:
        """(learned, done) in the current sprint (3) and experiments tried."""
        row = re.search(r'<th scope="row">3</th><td>(\d+)</td><td>(\d+)</td>', tile)
        experiments = re.search(r"(\d+) Experiment", tile)
        return int(row[1]), int(row[2]), int(experiments[1])

    def version(card_id: int) -> int:
        with app.app_context():
            return db.session.get(Card, card_id).version

    def move(card_id: int, column: str, **extra) -> None:
        answer = me.post(
            f"/expeditions/{ex}/cards/{card_id}/move",
            {"column": column, "version": version(card_id), **extra},
            htmx=True,
        )
        assert answer.status_code == 200

    before = tiles()
    learned, done, experiments = figures(before[0])
    assert [figures(t) for t in before] == [(learned, done, experiments)] * 2
    me.post(
        f"/expeditions/{ex}/cards",
        {
            "title": "Versuch mit Stehungen",
            "column": "ideas",
            "kind": "experiment",
            "visibility": "zirkel",
        },
    )
    with app.app_context():
        card_id = db.session.scalar(select(Card.id).where(Card.title == "Versuch mit Stehungen"))
    move(card_id, "doing")
    assert [figures(t) for t in tiles()] == [(learned, done, experiments + 1)] * 2
    move(card_id, "learning", learning="Kurze Stehungen halten den Fokus.")
    for tile in tiles():
        assert figures(tile) == (learned + 1, done, experiments + 1)
        assert "Kurze Stehungen halten den Fokus." in tile
    move(card_id, "done")
    assert [figures(t) for t in tiles()] == [(learned + 1, done + 1, experiments + 1)] * 2
    fields = dict.fromkeys(("notes", "sprint_number", "hypothesis", "result"), "")
    me.post(
        f"/expeditions/{ex}/cards/{card_id}",
        {
            "version": version(card_id),
            "title": "Versuch mit Stehungen",
            "kind": "experiment",
            "visibility": "private",
            "learning": "Kurze Stehungen halten den Fokus.",
            **fields,
        },
    )
    for tile in tiles():
        assert figures(tile) == (learned, done, experiments)
        assert "Kurze Stehungen" not in tile
    me.post(f"/expeditions/{ex}/cards/{card_id}/delete")
    assert [figures(t) for t in tiles()] == [(learned, done, experiments)] * 2
