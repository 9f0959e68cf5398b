"""Vorhaben, sprint focus and self-assessment, carry-over, WIP limit and the Logbuch over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alex.boards.models import Card, CheckIn, SprintReflection, Vorhaben
from alex.expeditions.models import Membership
from alex.extensions import db
from tests.support.boards import fresh, make_card

PAGES = ["board", "vorhaben", "sprint", "logbook"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 404), ("peer", 200), ("owner", 200), ("facilitator", 200)],
)
def test_page_permissions(client, actor, zirkel, page, who, status):  # noqa: F811
    http = client if who == "anonymous" else actor(zirkel[who]).client
    response = http.get(f"/expeditions/{zirkel['expedition'].id}/{page}")
    if who == "facilitator" and page == "board":
        status = 302  # Mona takes part without a Vorhaben of her own: no board, to the expedition
    assert response.status_code == status
    if who == "anonymous":
        assert "/login" in response.headers["Location"]


POSTS = [
    ("vorhaben", {"what": "x"}),
    ("sprint/focus", {"focus": "x"}),
    ("sprint/assessment", {"confidence": "5"}),
    ("sprint/carry-over", {}),
    ("board/wip", {"wip_limit": "4"}),
    ("logbook", {"done": "x"}),
    ("cards", {"title": "x", "column": "ideas", "kind": "task", "visibility": "zirkel"}),
]


@pytest.mark.parametrize(("path", "data"), POSTS, ids=[p for p, _ in POSTS])
def test_outsiders_cannot_post(app, client, actor, zirkel, path, data):  # noqa: F811
    ex = zirkel["expedition"]
    assert actor(zirkel["outsider"]).post(f"/expeditions/{ex.id}/{path}", data).status_code == 404
    assert client.post(f"/expeditions/{ex.id}/{path}", data=data).status_code in (302, 400)


@pytest.mark.parametrize(("path", "data"), POSTS, ids=[p for p, _ in POSTS])
def test_posts_without_csrf_are_refused(app, actor, zirkel, path, data):  # noqa: F811
    me = actor(zirkel["owner"])
    response = me.client.post(f"/expeditions/{zirkel['expedition'].id}/{path}", data=data)
    assert response.status_code == 400


def test_vorhaben_edit_keeps_history_and_shows_start_vs_today(app, actor, zirkel):  # noqa: F811
    ex, ada = zirkel["expedition"], zirkel["owner"]
    me = actor(ada)
    url = f"/expeditions/{ex.id}/vorhaben"
    assert me.post(url, {"what": "Agil arbeiten lernen", "why": "Weil"}).status_code == 302
    assert (
        me.post(url, {"what": "Kanban im Team", "version": "1", "reason": "konkreter"}).status_code
        == 302
    )
    page = me.get(url).get_data(as_text=True)
    assert (
        "Vorhaben am Start und heute" in page
        and "Agil arbeiten lernen" in page
        and "konkreter" in page
    )
    stale = me.post(url, {"what": "Vom Handy", "version": "1"})
    assert stale.status_code == 409 and "inzwischen geändert" in stale.get_data(as_text=True)
    too_long = me.post(url, {"what": "x" * 2001, "version": "2"})
    assert too_long.status_code == 422 and "höchstens 2000 Zeichen" in too_long.get_data(
        as_text=True
    )
    with app.app_context():
        vorhaben = db.session.scalar(select(Vorhaben))
        assert vorhaben.what == "Kanban im Team" and len(vorhaben.versions) == 1


def test_peer_never_sees_my_vorhaben_page(actor, zirkel):  # noqa: F811
    ex = zirkel["expedition"]
    actor(zirkel["owner"]).post(
        f"/expeditions/{ex.id}/vorhaben", {"what": "Mein geheimes Vorhaben"}
    )
    assert "Mein geheimes Vorhaben" not in actor(zirkel["peer"]).get(
        f"/expeditions/{ex.id}/vorhaben"
    ).get_data(as_text=True)


def test_focus_and_assessment(app, actor, zirkel):  # noqa: F811
    ex, ada = zirkel["expedition"], zirkel["owner"]
    me = actor(ada)
    assert (
        me.post(f"/expeditions/{ex.id}/sprint/focus", {"focus": "Zuhören lernen."}).status_code
        == 302
    )
    assert "Fokus: Zuhören lernen." in me.get(f"/expeditions/{ex.id}/board").get_data(as_text=True)
    for bad in ("0", "11", "zehn", ""):
        response = me.post(f"/expeditions/{ex.id}/sprint/assessment", {"confidence": bad})
        assert response.status_code == 422
        assert "Zahl von 1 bis 10" in response.get_data(as_text=True)
    assert (
        me.post(
            f"/expeditions/{ex.id}/sprint/assessment", {"confidence": "7", "assessment": "Gut."}
        ).status_code
        == 302
    )
    with app.app_context():
        r = db.session.scalar(select(SprintReflection))
        assert (r.sprint_number, r.focus, r.confidence, r.assessment) == (
            1,
            "Zuhören lernen.",
            7,
            "Gut.",
        )
    assert "7 von 10" in me.get(f"/expeditions/{ex.id}/sprint").get_data(as_text=True)


def test_carry_over_page_and_post(app, actor, zirkel):  # noqa: F811
    ex, ada = zirkel["expedition"], zirkel["owner"]
    keep = make_card(app, ex, ada, "Weitermachen", column="doing", sprint_number=1)
    back = make_card(app, ex, ada, "Später", column="sprint", sprint_number=1)
    me = actor(ada)
    page = me.get(f"/expeditions/{ex.id}/sprint").get_data(as_text=True)
    assert "Weitermachen" in page and "Später" in page
    response = me.post(
        f"/expeditions/{ex.id}/sprint/carry-over", {f"card-{keep}": "keep", f"card-{back}": "ideas"}
    )
    assert response.status_code == 302
    assert fresh(app, keep).sprint_number == 2 and fresh(app, back).column == "ideas"
    bad = me.post(f"/expeditions/{ex.id}/sprint/carry-over", {f"card-{keep}": "verbrennen"})
    assert bad.status_code == 422


def test_wip_limit_warns_but_never_blocks(app, actor, zirkel):  # noqa: F811
    ex, ada = zirkel["expedition"], zirkel["owner"]
    me = actor(ada)
    assert me.post(f"/expeditions/{ex.id}/board/wip", {"wip_limit": "1"}).status_code == 302
    assert me.post(f"/expeditions/{ex.id}/board/wip", {"wip_limit": "99"}).status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(select(Membership.wip_limit).where(Membership.user_id == ada.id)) == 1
        )
    for title in ("Eins", "Zwei"):
        card = make_card(app, ex, ada, title)
        assert (
            me.post(
                f"/expeditions/{ex.id}/cards/{card}/move", {"column": "doing", "version": 1}
            ).status_code
            == 302
        )
    html = me.get(f"/expeditions/{ex.id}/board").get_data(as_text=True)
    assert "2 Karten, dein Limit ist 1" in html


def test_logbook_entries_support_and_privacy(app, actor, zirkel):  # noqa: F811
    ex, ada, ben = zirkel["expedition"], zirkel["owner"], zirkel["peer"]
    me = actor(ada)
    url = f"/expeditions/{ex.id}/logbook"
    assert (
        me.post(url, {"stuck": "Amtsleitung antwortet nicht", "needs_support": "y"}).status_code
        == 302
    )
    assert me.post(url, {"learned": "Mein privater Gedanke", "private": "y"}).status_code == 302
    empty = me.post(url, {"done": "   "})
    assert empty.status_code == 422 and "mindestens eine Zeile" in empty.get_data(as_text=True)
    peer_view = actor(ben).get(url).get_data(as_text=True)
    assert "Amtsleitung antwortet nicht" in peer_view and "Wünscht sich Unterstützung" in peer_view
    assert "Mein privater Gedanke" not in peer_view
    assert "Mein privater Gedanke" in me.get(url).get_data(as_text=True)
    with app.app_context():
        request_id = db.session.scalar(select(CheckIn.id).where(CheckIn.needs_support))
    assert actor(ben).post(f"{url}/{request_id}/clear").status_code == 403
    assert me.post(f"{url}/{request_id}/clear").status_code == 302
    assert "Wünscht sich Unterstützung" not in actor(ben).get(url).get_data(as_text=True)


def test_private_check_in_of_someone_else_cannot_be_cleared(app, actor, zirkel):  # noqa: F811
    ex, ada = zirkel["expedition"], zirkel["owner"]
    actor(ada).post(
        f"/expeditions/{ex.id}/logbook", {"stuck": "privat", "needs_support": "y", "private": "y"}
    )
    with app.app_context():
        entry_id = db.session.scalar(select(CheckIn.id))
    assert (
        actor(zirkel["peer"]).post(f"/expeditions/{ex.id}/logbook/{entry_id}/clear").status_code
        == 404
    )


def test_learning_prompt_on_cards_in_learning(app, actor, zirkel):  # noqa: F811
    ex, ada = zirkel["expedition"], zirkel["owner"]
    make_card(app, ex, ada, "Nachdenken", column="learning")
    assert "Was hast du gelernt? Notieren" in actor(ada).get(
        f"/expeditions/{ex.id}/board"
    ).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Card.learning)) == ""
