"""Moving cards through HTTP: the stable move interface, the one-tap move, races, bad input."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, select, update

from alex.boards.models import Card, CardMove
from alex.expeditions.models import Membership
from alex.extensions import db
from tests.support.boards import fresh, make_card


@pytest.fixture
def setup(world, actor, app):
    ada = world.user("Ada Lorenz")
    expedition = world.expedition(ada)
    return {"app": app, "ex": expedition, "ada": ada, "me": actor(ada)}


def positions(app, ex_id, column):
    with app.app_context():
        rows = db.session.execute(
            select(Card.title, Card.position)
            .where(Card.expedition_id == ex_id, Card.column == column)
            .order_by(Card.position)
        ).all()
        return [(t, p) for t, p in rows]


def test_move_htmx_answers_only_the_changed_fragments(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Idee A")
    make_card(app, ex, ada, "Idee B")
    running = make_card(app, ex, ada, "Läuft schon", column="doing")
    response = me.post(
        f"/expeditions/{ex.id}/cards/{card}/move",
        {"column": "doing", "position": 0, "version": 1},
        htmx=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert response.headers["HX-Reswap"] == "none"
    # Only what changed, out of band: the tabs and the two columns' heads replaced, the card
    # removed from its old place and put before the card now below it; no whole column.
    assert 'id="board-tabs"' in html and 'id="column-ideas-head"' in html
    assert 'id="column-doing-head"' in html and 'id="column-sprint-head"' not in html
    assert html.count('hx-swap-oob="true"') == 3
    assert f'<div id="card-{card}" hx-swap-oob="delete"></div>' in html
    assert f'<div hx-swap-oob="beforebegin:#card-{running}">' in html
    assert html.count('class="card card-') == 1 and f'id="card-{card}" data-version="2"' in html
    assert 'id="column-ideas"' not in html and 'id="column-doing"' not in html
    assert len(html) < 3000
    announce = json.loads(response.headers["HX-Trigger"])["announce"]
    assert "Idee A" in announce and "In Arbeit" in announce
    assert positions(app, ex.id, "doing") == [("Idee A", 0), ("Läuft schon", 1)]
    assert positions(app, ex.id, "ideas") == [("Idee B", 0)]
    # The tab counts after the move: what a fresh board page says.
    tab_counts = re.compile(r'data-column="(\w+)"><span class="count">(\d+)</span>')
    page = me.get(f"/expeditions/{ex.id}/board").get_data(as_text=True)
    assert tab_counts.findall(html) == tab_counts.findall(page.split('id="board-tabs"')[1])
    assert dict(tab_counts.findall(html))["doing"] == "2"
    with app.app_context():
        moves = db.session.scalars(select(CardMove).where(CardMove.card_id == card)).all()
        assert [(m.from_column, m.to_column) for m in moves] == [
            (None, "ideas"),
            ("ideas", "doing"),
        ]
        assert db.session.get(Card, card).sprint_number == 1


def test_move_answer_to_the_end_of_an_empty_column_and_out_of_an_emptied_one(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Einzige Idee")
    page = me.get(f"/expeditions/{ex.id}/board").get_data(as_text=True)
    assert 'id="column-sprint-empty"' in page and 'id="column-ideas-empty"' not in page
    html = me.post(
        f"/expeditions/{ex.id}/cards/{card}/move", {"column": "sprint", "version": 1}, htmx=True
    ).get_data(as_text=True)
    assert '<div hx-swap-oob="beforeend:#column-sprint .card-list">' in html
    assert '<div id="column-sprint-empty" hx-swap-oob="delete"></div>' in html
    emptied = html.split('<div hx-swap-oob="beforeend:#column-ideas">')[1].split("</div>")[0]
    assert 'id="column-ideas-empty"' in emptied and "Noch keine Karte" in emptied
    # Over the WIP limit: the head that replaces the old one carries the warning.
    with app.app_context():
        db.session.execute(update(Membership).values(wip_limit=1))
        db.session.commit()
    make_card(app, ex, ada, "Schon in Arbeit", column="doing")
    html = me.post(
        f"/expeditions/{ex.id}/cards/{card}/move", {"column": "doing", "version": 2}, htmx=True
    ).get_data(as_text=True)
    head = html.split('id="column-doing-head"')[1].split("</div>")[0]
    assert 'class="wip-warning"' in head and "dein Limit ist 1" in head


def test_move_plain_redirects_back_to_the_board(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Idee")
    response = me.post(
        f"/expeditions/{ex.id}/cards/{card}/move", {"column": "sprint", "place": "1", "version": 1}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/expeditions/{ex.id}/board#card-{card}")
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nach „Diesen Sprint“ verschoben" in page


def test_move_within_a_column_renumbers(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    ids = [make_card(app, ex, ada, t) for t in "ABCD"]
    me.post(
        f"/expeditions/{ex.id}/cards/{ids[0]}/move",
        {"column": "ideas", "position": 2, "version": 1},
    )
    assert positions(app, ex.id, "ideas") == [("B", 0), ("C", 1), ("A", 2), ("D", 3)]
    me.post(
        f"/expeditions/{ex.id}/cards/{ids[3]}/move",
        {"column": "ideas", "position": 0, "version": 1},
    )
    assert positions(app, ex.id, "ideas") == [("D", 0), ("B", 1), ("C", 2), ("A", 3)]


def test_one_tap_advance(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Weiter")
    response = me.post(f"/expeditions/{ex.id}/board/advance", {"card": f"{card}:1"}, htmx=True)
    assert response.status_code == 200
    assert fresh(app, card).column == "sprint"
    plain = me.post(f"/expeditions/{ex.id}/board/advance", {"card": f"{card}:2"})
    assert plain.status_code == 302 and fresh(app, card).column == "doing"


def test_stale_version_gets_409_and_the_fresh_board(setup):
    """Phone and laptop both saw version 1; the phone wins, the laptop gets the fresh board."""
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Umkämpft")
    url = f"/expeditions/{ex.id}/cards/{card}/move"
    phone = me.post(url, {"column": "doing", "version": 1}, htmx=True)
    laptop = me.post(url, {"column": "done", "version": 1}, htmx=True)
    assert phone.status_code == 200
    assert laptop.status_code == 409
    html = laptop.get_data(as_text=True)
    assert 'id="board"' in html and "inzwischen geändert" in html
    assert "inzwischen geändert" in json.loads(laptop.headers["HX-Trigger"])["announce"]
    assert fresh(app, card).column == "doing"
    plain = me.post(url, {"column": "done", "version": 1})
    assert plain.status_code == 409 and "<html" in plain.get_data(as_text=True)


def test_stale_advance_gets_409(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Doppelt getippt")
    url = f"/expeditions/{ex.id}/board/advance"
    assert me.post(url, {"card": f"{card}:1"}, htmx=True).status_code == 200
    assert me.post(url, {"card": f"{card}:1"}, htmx=True).status_code == 409
    assert fresh(app, card).column == "sprint"


@pytest.mark.parametrize(
    "data,message",
    [
        ({"column": "archive", "version": 1}, "Bitte wähle eine der Möglichkeiten"),
        ({"column": "doing", "position": -1, "version": 1}, "Platz"),
        ({"column": "doing", "position": 10**12, "version": 1}, "Platz"),
        ({"column": "doing", "position": "abc", "version": 1}, ""),
        ({"column": "doing"}, "neu"),
        ({"column": "doing", "version": "x"}, "neu"),
    ],
)
def test_bad_move_input_is_422_and_changes_nothing(setup, data, message):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Bleibt")
    for htmx in (False, True):
        response = me.post(f"/expeditions/{ex.id}/cards/{card}/move", data, htmx=htmx)
        assert response.status_code == 422, response.get_data(as_text=True)[:500]
        html = response.get_data(as_text=True)
        assert message in html
        # HTMX: the message shows above the unchanged board (the sheet has closed).
        assert ('id="board"' in html) == htmx and ("<html" in html) != htmx
    assert fresh(app, card).column == "ideas" and fresh(app, card).version == 1


def test_huge_position_within_limit_goes_to_the_end(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Ans Ende")
    make_card(app, ex, ada, "Schon da", column="doing")
    me.post(
        f"/expeditions/{ex.id}/cards/{card}/move",
        {"column": "doing", "position": 9999, "version": 1},
    )
    assert positions(app, ex.id, "doing") == [("Schon da", 0), ("Ans Ende", 1)]


@pytest.mark.parametrize("value", ["", "abc", "1", "1:x", "999999:1"])
def test_bad_advance_input(setup, value):
    _app, ex, _ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    response = me.post(f"/expeditions/{ex.id}/board/advance", {"card": value})
    assert response.status_code in (400, 404)


def test_advance_from_done_is_400(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Fertig", column="done")
    assert me.post(f"/expeditions/{ex.id}/board/advance", {"card": f"{card}:1"}).status_code == 400


def test_move_into_learning_keeps_the_answer(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Interview", column="doing")
    me.post(
        f"/expeditions/{ex.id}/cards/{card}/move",
        {"column": "learning", "version": 1, "learning": "Zuhören lohnt sich."},
        htmx=True,
    )
    assert fresh(app, card).learning == "Zuhören lohnt sich."


def test_move_form_page_without_javascript(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    card = make_card(app, ex, ada, "Ohne JS")
    html = me.get(f"/expeditions/{ex.id}/cards/{card}/move").get_data(as_text=True)
    assert (
        "„Ohne JS“ verschieben" in html
        and 'name="column"' in html
        and 'name="version" value="1"' in html
    )


def count_queries(app, fn):
    """How many SQL statements fn() runs."""
    statements = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def bulk_cards(app, ex, user, count):
    from alex.demo.build import bulk_insert_cards

    with app.app_context():
        bulk_insert_cards(db.session, ex.id, user.id, count, sprint=1)
        db.session.commit()


def test_board_query_count_is_constant(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    bulk_cards(app, ex, ada, 10)
    url = f"/expeditions/{ex.id}/board"
    small = count_queries(app, lambda: me.get(url))
    bulk_cards(app, ex, ada, 490)
    big = count_queries(app, lambda: me.get(url))
    assert small == big, (small, big)
    assert small <= 12


def test_card_html_stays_small(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    url = f"/expeditions/{ex.id}/board"
    empty = len(me.get(url, htmx=True).get_data())
    bulk_cards(app, ex, ada, 100)
    full = len(me.get(url, htmx=True).get_data())
    assert (full - empty) / 100 <= 700, (full - empty) / 100


def test_move_query_count_is_constant(setup):
    app, ex, ada, me = setup["app"], setup["ex"], setup["ada"], setup["me"]
    bulk_cards(app, ex, ada, 10)
    token = me.token()

    def move_first_idea():
        with app.app_context():
            card = db.session.scalars(
                select(Card).where(Card.column == "ideas").order_by(Card.position).limit(1)
            ).one()
            url, version = f"/expeditions/{ex.id}/cards/{card.id}/move", card.version
        data = {"column": "doing", "position": 0, "version": version, "csrf_token": token}
        return count_queries(
            app, lambda: me.client.post(url, data=data, headers={"HX-Request": "true"})
        )

    small = move_first_idea()
    bulk_cards(app, ex, ada, 490)
    big = move_first_idea()
    assert small == big, (small, big)
    assert small <= 16
