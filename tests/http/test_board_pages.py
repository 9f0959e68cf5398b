"""The board pages through HTTP: own board, peer boards, permissions, card pages."""

from __future__ import annotations

import pytest

from alex.boards.models import Card
from alex.extensions import db
from tests.support.accounts import TEST_PASSWORD, csrf_token
from tests.support.boards import fresh, make_card


def test_own_board_shows_columns_and_cards(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    make_card(app, ex, ada, "Bürgeranliegen sammeln", column="sprint")
    make_card(app, ex, ada, "Geheime Notiz", visibility="private")
    page = actor(ada).get(f"/expeditions/{ex.id}/board")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ("Ideen", "Diesen Sprint", "In Arbeit", "Lernen", "Erledigt"):
        assert label in html
    assert "Bürgeranliegen sammeln" in html and "Geheime Notiz" in html
    assert 'id="move-sheet"' in html and 'id="advance-form"' in html
    assert "HX-Request" in page.headers["Vary"]


def test_board_fragment_for_htmx(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    make_card(app, ex, ada, "Karte")
    html = actor(ada).get(f"/expeditions/{ex.id}/board", htmx=True).get_data(as_text=True)
    assert html.lstrip().startswith('<div class="board') and "<html" not in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 404), ("peer", 200), ("owner", 200), ("facilitator", 200)],
)
def test_board_permissions(app, client, actor, zirkel, who, status):
    ex = zirkel["expedition"]
    http = client if who == "anonymous" else actor(zirkel[who]).client
    # Mona facilitates without a Vorhaben of her own: no board of hers, to the expedition page.
    own = {"facilitator": 302}.get(who, status)
    assert http.get(f"/expeditions/{ex.id}/board").status_code == own
    owner_board = f"/expeditions/{ex.id}/board/{zirkel['owner'].id}"
    expected = {"owner": 302}.get(who, status)
    assert http.get(owner_board).status_code == expected


def test_peer_sees_only_zirkel_cards(app, actor, zirkel):
    ex, ada, ben = zirkel["expedition"], zirkel["owner"], zirkel["peer"]
    shared = make_card(app, ex, ada, "Geteilte Karte", column="doing")
    secret = make_card(app, ex, ada, "Streng private Karte", column="doing", visibility="private")
    peer = actor(ben)
    for htmx in (False, True):
        html = peer.get(f"/expeditions/{ex.id}/board/{ada.id}", htmx=htmx).get_data(as_text=True)
        assert "Geteilte Karte" in html
        assert "Streng private Karte" not in html
        assert f"card-{secret}" not in html
        assert "advance-form" not in html and "card-next" not in html
    assert peer.get(f"/expeditions/{ex.id}/cards/{shared}").status_code == 200
    assert peer.get(f"/expeditions/{ex.id}/cards/{secret}").status_code == 404


def test_member_board_of_non_member_is_404(actor, zirkel):
    ex = zirkel["expedition"]
    response = actor(zirkel["peer"]).get(f"/expeditions/{ex.id}/board/{zirkel['outsider'].id}")
    assert response.status_code == 404


def test_card_page_and_edit(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    card_id = make_card(app, ex, ada, "Experiment starten", kind="experiment")
    me = actor(ada)
    page = me.get(f"/expeditions/{ex.id}/cards/{card_id}").get_data(as_text=True)
    assert "Experiment starten" in page and "Verlauf" in page
    card = fresh(app, card_id)
    response = me.post(
        f"/expeditions/{ex.id}/cards/{card_id}",
        {
            "version": card.version,
            "title": "Experiment gestartet",
            "notes": "**fett** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
            "kind": "experiment",
            "visibility": "private",
            "sprint_number": "2",
            "hypothesis": "Wenn ich frage, verstehe ich mehr.",
            "result": "",
            "learning": "",
        },
    )
    assert response.status_code == 302
    card = fresh(app, card_id)
    assert (card.title, card.visibility, card.sprint_number) == (
        "Experiment gestartet",
        "private",
        2,
    )
    html = me.get(f"/expeditions/{ex.id}/cards/{card_id}").get_data(as_text=True)
    assert "<strong>fett</strong>" in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "<img" not in html


def test_stale_edit_gets_409_with_latest_card(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    card_id = make_card(app, ex, ada, "Alt")
    me = actor(ada)
    data = {"version": 1, "title": "Neu vom Handy", "kind": "task", "visibility": "zirkel"}
    assert me.post(f"/expeditions/{ex.id}/cards/{card_id}", data).status_code == 302
    data["title"] = "Neu vom Laptop"
    response = me.post(f"/expeditions/{ex.id}/cards/{card_id}", data)
    assert response.status_code == 409
    assert "Neu vom Handy" in response.get_data(as_text=True)
    assert fresh(app, card_id).title == "Neu vom Handy"


@pytest.mark.parametrize(
    "title,message",
    [
        ("", "Bitte gib der Karte einen Titel."),
        ("x" * 201, "höchstens 200 Zeichen"),
        ("a\nb", "einzige Zeile"),
    ],
)
def test_bad_titles_are_rejected_with_a_message(app, actor, zirkel, title, message):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    response = actor(ada).post(f"/expeditions/{ex.id}/cards", {"title": title, "column": "ideas"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Card).count() == 0


def test_create_card_plain_and_htmx(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    me = actor(ada)
    plain = me.post(
        f"/expeditions/{ex.id}/cards",
        {"title": "Erste Idee", "column": "ideas", "kind": "task", "visibility": "zirkel"},
    )
    assert plain.status_code == 302
    swapped = me.post(
        f"/expeditions/{ex.id}/cards",
        {"title": "Zweite Idee", "column": "sprint", "kind": "experiment", "visibility": "private"},
        htmx=True,
    )
    html = swapped.get_data(as_text=True)
    assert swapped.status_code == 200
    assert (
        'id="new-card"' in html
        and 'id="column-sprint" aria-labelledby="column-sprint-h" hx-swap-oob="true"' in html
    )
    assert "Zweite Idee" in html and "announce" in swapped.headers["HX-Trigger"]
    with app.app_context():
        second = db.session.query(Card).filter_by(title="Zweite Idee").one()
        assert (second.kind, second.visibility, second.sprint_number) == (
            "experiment",
            "private",
            1,
        )


@pytest.mark.parametrize("who,status", [("peer", 403), ("outsider", 404), ("facilitator", 403)])
def test_others_cannot_change_my_cards(app, actor, zirkel, who, status):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    card_id = make_card(app, ex, ada, "Meine Karte")
    other = actor(zirkel[who])
    base = f"/expeditions/{ex.id}/cards/{card_id}"
    assert other.post(f"{base}/move", {"column": "done", "version": 1}).status_code == status
    assert other.post(f"{base}/delete").status_code == status
    assert (
        other.post(
            base, {"version": 1, "title": "x", "kind": "task", "visibility": "zirkel"}
        ).status_code
        == status
    )
    assert other.post(f"{base}/checklist", {"text": "x"}).status_code == status
    assert other.post(
        f"/expeditions/{ex.id}/board/advance", {"card": f"{card_id}:1"}
    ).status_code in (status, 404)
    assert fresh(app, card_id).column == "ideas"


def test_private_card_of_someone_else_is_404_not_403(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    card_id = make_card(app, ex, ada, "Privat", visibility="private")
    response = actor(zirkel["peer"]).post(
        f"/expeditions/{ex.id}/cards/{card_id}/move", {"column": "done", "version": 1}
    )
    assert response.status_code == 404


def test_card_of_another_expedition_is_404(app, world, actor, zirkel):
    ada = zirkel["owner"]
    other = world.expedition(ada, title="Andere Expedition")
    card_id = make_card(app, other, ada, "Woanders")
    ex = zirkel["expedition"]
    me = actor(ada)
    assert me.get(f"/expeditions/{ex.id}/cards/{card_id}").status_code == 404
    assert (
        me.post(
            f"/expeditions/{ex.id}/cards/{card_id}/move", {"column": "done", "version": 1}
        ).status_code
        == 404
    )


def test_delete_card(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    first = make_card(app, ex, ada, "Eins")
    second = make_card(app, ex, ada, "Zwei")
    assert actor(ada).post(f"/expeditions/{ex.id}/cards/{first}/delete").status_code == 302
    assert fresh(app, first) is None
    assert fresh(app, second).position == 0


def test_checklist(app, actor, zirkel):
    ex, ada = zirkel["expedition"], zirkel["owner"]
    card_id = make_card(app, ex, ada, "Mit Liste")
    me = actor(ada)
    base = f"/expeditions/{ex.id}/cards/{card_id}/checklist"
    response = me.post(base, {"text": "Termin finden"}, htmx=True)
    assert response.status_code == 200 and 'id="checklist"' in response.get_data(as_text=True)
    assert me.post(base, {"text": "  "}, htmx=True).status_code == 422
    with app.app_context():
        item = db.session.get(Card, card_id).checklist[0]
        item_id = item.id
    assert me.post(f"{base}/{item_id}", {"done": "1"}).status_code == 302
    html = me.get(f"/expeditions/{ex.id}/board").get_data(as_text=True)
    assert "Checkliste</span> 1/1" in html
    assert me.post(f"{base}/{item_id}/delete", htmx=True).status_code == 200
    with app.app_context():
        assert db.session.get(Card, card_id).checklist == []


def test_bad_checklist_item_without_htmx_shows_the_card_page(app, actor, zirkel):
    """Found by the form fuzzer: a plain (non-HTMX) bad checklist post rendered a page without
    the card's edit form and failed with a 500."""
    ex, ada = zirkel["expedition"], zirkel["owner"]
    card_id = make_card(app, ex, ada, "Mit Liste")
    response = actor(ada).post(f"/expeditions/{ex.id}/cards/{card_id}/checklist", {"text": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mit Liste" in page and 'name="version"' in page


def test_shared_parts_are_right_for_each_expedition_page_and_person(zirkel, world, actor):
    """The navigation and the move sheet render once per language (and expedition and page for
    the navigation); each person still gets their own links, current page and CSRF token."""
    import re

    ada, ben = actor(zirkel["owner"]), actor(zirkel["peer"])
    first = zirkel["expedition"]
    second = world.expedition(zirkel["owner"])
    for who, expedition, page, current in [
        (ada, first, "board", "Board"),
        (ada, first, "logbook", "Logbuch"),
        (ada, second, "board", "Board"),
        (ben, first, "board", "Board"),
    ]:
        html = who.get(f"/expeditions/{expedition.id}/{page}").get_data(as_text=True)
        nav = html.split('<nav class="main-nav"')[1].split("</nav>")[0]
        hrefs = re.findall(r'href="(/expeditions/\d+)[/"]', nav)
        assert hrefs and set(hrefs) == {f"/expeditions/{expedition.id}"}
        marked = re.findall(r'aria-current="page">.*?<span>([^<]+)</span>', nav, re.S)
        assert marked == [current]
        token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
        if page == "board":
            sheet = html.split('id="move-sheet-form"')[1].split("</form>")[0]
            assert f'name="csrf_token" value="{token}"' in sheet


def test_a_reused_board_shows_every_change_to_its_owner_and_peers(app, actor, zirkel, make_app):
    """Boards are reused per process until their revision moves: each kind of change must move
    it, for the owner's view and a peer's, in this worker and in another one."""
    ex, ada, ben = zirkel["expedition"], zirkel["owner"], zirkel["peer"]
    me, peer = actor(ada), actor(ben)
    other_worker = make_app().test_client()
    assert (
        other_worker.post(
            "/login",
            data={
                "email": ben.email,
                "password": TEST_PASSWORD,
                "csrf_token": csrf_token(other_worker),
            },
        ).status_code
        == 302
    )
    own_url, peer_url = f"/expeditions/{ex.id}/board", f"/expeditions/{ex.id}/board/{ada.id}"
    card_id = make_card(app, ex, ada, "Erste Idee")

    def views() -> tuple[str, str, str]:
        return (
            me.get(own_url).get_data(as_text=True),
            peer.get(peer_url).get_data(as_text=True),
            other_worker.get(peer_url).get_data(as_text=True),
        )

    def version() -> int:
        return fresh(app, card_id).version

    def edit(visibility: str) -> None:
        fields = dict.fromkeys(("notes", "sprint_number", "hypothesis", "result", "learning"), "")
        me.post(
            f"/expeditions/{ex.id}/cards/{card_id}",
            {
                "version": version(),
                "title": "Umbenannte Idee",
                "kind": "task",
                "visibility": visibility,
                **fields,
            },
        )

    views()  # warm every cache
    me.post(
        f"/expeditions/{ex.id}/cards",
        {"title": "Zweite Idee", "column": "ideas", "kind": "task", "visibility": "zirkel"},
    )
    assert all("Zweite Idee" in html for html in views())
    edit(visibility="zirkel")
    assert all("Umbenannte Idee" in html and "Erste Idee" not in html for html in views())
    me.post(
        f"/expeditions/{ex.id}/cards/{card_id}/move",
        {"column": "doing", "version": version()},
        htmx=True,
    )
    for html in views():
        doing = html.split('id="column-doing"')[1].split("</section>")[0]
        assert "Umbenannte Idee" in doing
    me.post(f"/expeditions/{ex.id}/cards/{card_id}/checklist", {"text": "Termin finden"})
    assert all("Checkliste</span> 0/1" in html for html in views())
    with app.app_context():
        item_id = db.session.get(Card, card_id).checklist[0].id
    me.post(f"/expeditions/{ex.id}/cards/{card_id}/checklist/{item_id}", {"done": "1"})
    assert all("Checkliste</span> 1/1" in html for html in views())
    me.post(f"/expeditions/{ex.id}/cards/{card_id}/checklist/{item_id}/delete")
    assert not any("Checkliste</span>" in html for html in views())
    edit(visibility="private")
    own, *peers = views()
    assert "Umbenannte Idee" in own and not any("Umbenannte Idee" in html for html in peers)
    me.post(f"/expeditions/{ex.id}/cards/{card_id}/delete")
    assert not any(f'id="card-{card_id}"' in html for html in views())
