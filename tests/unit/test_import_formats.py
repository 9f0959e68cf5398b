"""Reading Trello, Nextcloud Deck, Planka and Kanboard exports (alex/imports/formats.py) and the
column defaults; the fixtures in tests/fixtures/imports/ follow each tool's documented format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alex.imports.formats import ImportRefused, SourceBoard, read_board
from alex.imports.service import Plan, default_column, preview

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


@pytest.fixture
def read(app):
    """read_board inside a request (messages in German, the default language)."""

    def run(raw: bytes, chosen: str = "auto", *, max_bytes=2 << 20, max_cards=2000):
        with app.test_request_context():
            return read_board(raw, chosen, max_bytes=max_bytes, max_cards=max_cards)

    return run


def refusal(app, read, raw: bytes, chosen: str = "auto", **limits) -> str:
    with pytest.raises(ImportRefused) as refused:
        read(raw, chosen, **limits)
    with app.test_request_context():
        return str(refused.value)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "tool", "lists", "cards", "archived"),
    [
        ("trello.json", "trello", ["To Do", "Doing", "Done"], 4, 2),
        ("deck.json", "deck", ["Backlog", "In Arbeit", "Erledigt"], 3, 1),
        ("planka.json", "planka", ["Ideen", "Nächste Schritte", "Abgeschlossen"], 3, 1),
        ("kanboard.csv", "kanboard", ["Backlog", "Work in progress", "Done"], 4, 1),
    ],
)
def test_each_format_is_recognised_and_read(read, name, tool, lists, cards, archived):
    board = read(fixture(name))
    assert board.format == tool
    assert [source.name for source in board.lists] == lists
    assert board.card_count == cards
    assert board.archived == archived  # archived lists and cards stay behind
    # The chosen format reads the same file the same way.
    assert read(fixture(name), tool).card_count == cards


def test_trello_keeps_order_checklists_descriptions_and_due_dates(read):
    board = read(fixture("trello.json"))
    first = board.lists[0].cards[0]
    assert first.title == "Aktenplan lesen"
    assert first.notes.startswith("Den **Aktenplan**")
    assert first.due == "2026-03-12"
    assert first.checklist == [("Teil A lesen", True), ("Teil B lesen", False)]  # by pos
    assert board.left_out == {"attachments": 1, "members": 1, "comments": 2, "labels": 1}


def test_deck_task_lines_become_a_checklist(read):
    card = read(fixture("deck.json")).lists[0].cards[0]
    assert card.checklist == [("Gliederung", True), ("Einleitung schreiben", False)]
    assert "[ ]" not in card.notes and card.notes == "Erste Fassung für das Team."
    assert card.due == "2026-04-30"


def test_planka_v2_tasks_through_task_lists(read):
    board = read(fixture("planka.json"))
    assert board.lists[2].kind == "closed"
    assert board.lists[0].cards[0].checklist == [
        ("Liste der Kommunen", True),
        ("Anbieter vergleichen", False),
    ]
    assert board.left_out["comments"] == 3


def test_kanboard_orders_by_position_and_keeps_formula_cells_as_text(read):
    board = read(fixture("kanboard.csv"))
    assert [c.title for c in board.lists[0].cards] == ["Netzwerk aufbauen", "Fachartikel lesen"]
    assert board.lists[0].cards[0].due == "2026-02-20"
    assert board.lists[1].cards[0].title == '=HYPERLINK("http://example.org","Klick")'


def test_kanboard_with_german_headers_semicolons_and_a_bom(read):
    text = (
        "Aufgaben-ID;Spalte;Titel;Fälligkeitsdatum;Status\n1;In Arbeit;Bericht;31.01.2026;Offen\n"
    )
    board = read(b"\xef\xbb\xbf" + text.encode())
    assert board.lists[0].name == "In Arbeit"
    assert board.lists[0].cards[0].due == "2026-01-31"


@pytest.mark.parametrize(
    ("raw", "chosen", "message"),
    [
        (b"", "auto", "leer"),
        (b"   \n", "trello", "leer"),
        (b'{"lists": [1, 2], "cards": []}', "trello", "sieht nicht wie ein Trello"),
        (b'{"lists": "nein", "cards": []}', "auto", "sieht nicht wie ein Trello"),
        (b'{"hello": "world"}', "auto", "nicht erkennen"),
        (b'{"included": {"lists": {}}, "item": {}}', "auto", "sieht nicht wie ein Planka"),
        (b'[{"title": "A", "cards": "x"}]', "deck", "sieht nicht wie ein Nextcloud Deck"),
        (b'{"name": "x", "lists": [', "trello", "kein gültiges JSON"),
        (b"Name,Wert\nA,1\n", "kanboard", "sieht nicht wie ein Kanboard"),
        (b"Name,Wert\nA,1\n", "auto", "sieht nicht wie ein Kanboard"),
        (b'{"lists": [], "cards": []}', "auto", "keine offene Karte"),
        (b'{"lists": [], "cards": [], "x": NaN}', "trello", "kein gültiges JSON"),
    ],
)
def test_bad_files_are_refused_with_a_reason(app, read, raw, chosen, message):
    assert message in refusal(app, read, raw, chosen)


def test_wrong_encoding_is_refused(app, read):
    latin1 = "Title,Column\nÄnderung,Backlog\n".encode("latin-1")
    assert "UTF-8" in refusal(app, read, latin1)


def test_archives_are_refused_not_unpacked(app, read):
    zipped = b"PK\x03\x04" + b"\x00" * 100
    assert "entpackt" in refusal(app, read, zipped)
    assert "entpackt" in refusal(app, read, b"\x1f\x8b\x08\x00" + b"\x00" * 20)


def test_deeply_nested_json_is_refused(app, read):
    assert "verschachtelt" in refusal(app, read, b"[" * 100_000 + b"]" * 100_000)
    shallow_but_deep = json.dumps({"lists": [], "cards": [{"a": [[[[[[[[[[[[[1]]]]]]]]]]]]]}]})
    assert "verschachtelt" in refusal(app, read, shallow_but_deep.encode())


def test_limits_on_size_and_cards(app, read):
    assert "größer als" in refusal(app, read, fixture("trello.json"), max_bytes=1000)
    assert "höchstens 3" in refusal(app, read, fixture("trello.json"), max_cards=3)
    assert read(fixture("trello.json"), max_cards=4).card_count == 4


def test_hostile_strings_are_cut_cleaned_and_kept_as_text(read):
    huge = "A" * 50_000
    data = {
        "name": "Board",
        "lists": [{"id": "l", "name": "To Do\u202e", "closed": False, "pos": 1}],
        "cards": [
            {"id": "c", "idList": "l", "name": huge, "desc": huge, "closed": False, "pos": 1},
            {"id": "d", "idList": "l", "name": "<img src=x onerror=alert(1)>", "pos": 2},
            {"id": "e", "idList": "l", "name": "\u0000\u0007 ", "pos": 3},
        ],
        "checklists": [
            {"idCard": "c", "checkItems": [{"name": f"x{i}", "pos": i} for i in range(80)]}
        ],
    }
    board = read(json.dumps(data).encode())
    long_card, script_card, blank_card = board.lists[0].cards
    assert board.lists[0].name == "To Do"  # the right-to-left override is gone
    assert len(long_card.title) == 200 and len(long_card.notes) < 10_000
    assert len(long_card.checklist) == 50
    assert board.shortened == 3
    assert script_card.title == "<img src=x onerror=alert(1)>"  # text; escaped when shown
    assert blank_card.title == "Karte ohne Titel"


def test_a_stored_board_reads_back_the_same(read):
    board = read(fixture("planka.json"))
    assert SourceBoard.from_json(json.loads(json.dumps(board.to_json()))) == board


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("To Do", "ideas"),
        ("Backlog", "ideas"),
        ("Ideen", "ideas"),
        ("Nächste Schritte", "sprint"),
        ("Diesen Sprint", "sprint"),
        ("Doing", "doing"),
        ("In Arbeit", "doing"),
        ("Work in progress", "doing"),
        ("Review", "learning"),
        ("Done", "done"),
        ("Erledigt ✅", "done"),
        ("Irgendwas", "ideas"),
    ],
)
def test_default_column_by_name(name, column):
    assert default_column(name) == column


def test_planka_closed_list_goes_to_done_and_preview_counts(read):
    board = read(fixture("planka.json"))
    plan = Plan.default(board)
    assert plan.columns == ("ideas", "sprint", "done") and plan.shared == frozenset()
    summary = preview(board, plan)
    assert summary.counts == {"ideas": 1, "sprint": 1, "doing": 0, "learning": 0, "done": 1}
    assert (summary.private, summary.shared, summary.checklist_items, summary.with_due) == (
        3,
        0,
        2,
        1,
    )
    skipped = preview(board, Plan(("skip", "doing", "done"), frozenset({2})))
    assert skipped.counts["ideas"] == 0 and (skipped.private, skipped.shared) == (1, 1)
