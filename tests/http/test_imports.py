"""Import into my board through the pages: upload, mapping and preview, one-transaction import."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from alex.boards.models import Card, CardMove, ChecklistItem
from alex.extensions import db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


@pytest.fixture
def app_config(app_config: dict, tmp_path) -> dict:
    """Previews in a folder of this test's own (not the shared instance folder)."""
    return {**app_config, "IMPORT_FOLDER": str(tmp_path / "imports")}


def base(zirkel) -> str:
    return f"/expeditions/{zirkel['expedition'].id}/board/import"


def upload(person, zirkel, raw: bytes, name: str = "board.json", chosen: str = "auto", **kwargs):
    return person.post(
        base(zirkel),
        {"file": (io.BytesIO(raw), name), "format": chosen},
        content_type="multipart/form-data",
        **kwargs,
    )


def preview_token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return re.search(r"preview=([\w-]+)", response.location).group(1)


def confirm(person, zirkel, token: str, lists: int, **choices):
    """Post the mapping: the default-free choices given (list_0="doing", share_1="y"), then import."""
    data = {"preview": token, "confirm": "1"}
    data |= {f"list_{i}": choices.pop(f"list_{i}", "ideas") for i in range(lists)}
    data |= choices
    return person.post(base(zirkel) + "/preview", data)


def cards_of(app, user) -> list[Card]:
    with app.app_context():
        cards = db.session.scalars(
            select(Card).where(Card.owner_id == user.id).order_by(Card.column, Card.position)
        ).all()
        for card in cards:
            _ = card.checklist, card.moves
        db.session.expunge_all()
        return list(cards)


def count_cards(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Card.id)))


def test_trello_import_with_default_columns_and_private_cards(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    board = ada.get(f"/expeditions/{zirkel['expedition'].id}/board").get_data(as_text=True)
    assert "Board importieren" in board and base(zirkel) in board

    token = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    page = ada.get(f"{base(zirkel)}/preview?preview={token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "„Digitale Akte“ importieren" in html
    assert "Privatsphäre zuerst" in html
    assert "Anhänge, Mitglieder, Kommentare und Labels" in html
    assert "2 archivierte oder gelöschte Karten" in html
    # Defaults by name: To Do → Ideen, Doing → In Arbeit, Done → Erledigt; none shared.
    assert re.search(r'name="list_0"[^>]*>.*?<option selected value="ideas"', html, re.S)
    assert re.search(r'name="list_1"[^>]*>.*?<option selected value="doing"', html, re.S)
    assert re.search(r'name="list_2"[^>]*>.*?<option selected value="done"', html, re.S)
    assert 'name="share_0" type="checkbox" value="y">' in html and "checked" not in html
    assert count_cards(app) == 0  # a preview writes nothing

    response = ada.post(
        base(zirkel) + "/preview",
        {"preview": token, "list_0": "ideas", "list_1": "doing", "list_2": "done", "confirm": "1"},
    )
    assert response.status_code == 302 and response.location.endswith("/board")
    assert "4 Karten sind jetzt auf deinem Board." in ada.get(response.location).get_data(
        as_text=True
    )
    cards = cards_of(app, zirkel["owner"])
    assert [(c.column, c.title) for c in cards] == [
        ("doing", "Scan-Workflow ausprobieren"),
        ("done", "Ablage aufräumen"),
        ("ideas", "Aktenplan lesen"),
        ("ideas", "E-Akte-Schulung buchen"),
    ]
    assert {c.visibility for c in cards} == {"private"}
    first = cards[2]
    assert first.notes.endswith("Fällig: 12. März 2026")
    assert [(i.text, i.done) for i in first.checklist] == [
        ("Teil A lesen", True),
        ("Teil B lesen", False),
    ]
    assert [(c.column, c.position) for c in cards if c.column == "ideas"] == [
        ("ideas", 0),
        ("ideas", 1),
    ]
    # Imported: one creation move each; into Erledigt without a sprint, so it does not count as
    # this sprint's progress on the Zirkel page; In Arbeit belongs to the current sprint.
    assert [[(m.from_column, m.to_column, m.sprint_number) for m in c.moves] for c in cards] == [
        [(None, "doing", cards[0].sprint_number)],
        [(None, "done", None)],
        [(None, "ideas", None)],
        [(None, "ideas", None)],
    ]
    assert cards[0].sprint_number is not None and cards[1].sprint_number is None


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("deck.json", {"ideas": 1, "doing": 1, "done": 1}),
        ("planka.json", {"ideas": 1, "sprint": 1, "done": 1}),
        ("kanboard.csv", {"ideas": 2, "doing": 1, "done": 1}),
    ],
)
def test_each_format_imports_with_its_default_columns(app, actor, zirkel, name, columns):
    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / name).read_bytes(), name))
    html = ada.get(f"{base(zirkel)}/preview?preview={token}").get_data(as_text=True)
    defaults = re.findall(r'<option selected value="(\w+)"', html)
    data = {"preview": token, "confirm": "1"}
    data |= {f"list_{i}": column for i, column in enumerate(defaults)}
    assert ada.post(base(zirkel) + "/preview", data).status_code == 302
    found: dict[str, int] = {}
    for card in cards_of(app, zirkel["owner"]):
        found[card.column] = found.get(card.column, 0) + 1
    assert found == columns


def test_mapping_choices_sharing_and_leaving_out(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    choices = {"preview": token, "list_0": "sprint", "list_1": "skip", "list_2": "learning"}
    # "Update preview" shows the counts for the choices and imports nothing.
    refreshed = ada.post(base(zirkel) + "/preview", {**choices, "share_2": "y", "refresh": "1"})
    html = refreshed.get_data(as_text=True)
    assert refreshed.status_code == 200 and count_cards(app) == 0
    assert "3 Karten kommen auf dein Board" in html
    assert "2 privat" in html and "1 für den Zirkel sichtbar" in html
    assert "Scan-Workflow" not in html  # its list is left out

    response = ada.post(base(zirkel) + "/preview", {**choices, "share_2": "y", "confirm": "1"})
    assert response.status_code == 302
    cards = cards_of(app, zirkel["owner"])
    assert sorted((c.column, c.visibility, c.title) for c in cards) == [
        ("learning", "zirkel", "Ablage aufräumen"),
        ("sprint", "private", "Aktenplan lesen"),
        ("sprint", "private", "E-Akte-Schulung buchen"),
    ]
    learning = next(c for c in cards if c.column == "learning")
    assert learning.sprint_number is not None  # it belongs to this sprint …
    assert [m.sprint_number for m in learning.moves] == [None]  # … but was not learned in it
    # Ben sees the shared card on Ada's board, not the private ones.
    ben = actor(zirkel["peer"])
    peer_view = ben.get(
        f"/expeditions/{zirkel['expedition'].id}/board/{zirkel['owner'].id}"
    ).get_data(as_text=True)
    assert "Ablage aufräumen" in peer_view and "Aktenplan lesen" not in peer_view


def test_an_unknown_column_choice_is_refused(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    response = confirm(ada, zirkel, token, 3, list_1="trash")
    assert response.status_code == 422
    assert "Bitte wähle eine der Optionen" in response.get_data(as_text=True) or "wähle" in (
        response.get_data(as_text=True)
    )
    assert count_cards(app) == 0


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        (b'{"lists": {"a": 1}, "cards": []}', "t.json", "sieht nicht wie ein Trello"),
        (b"PK\x03\x04zipzipzip", "board.zip", "entpackt keine Archive"),
        (b"[" * 50_000 + b"]" * 50_000, "deep.json", "zu tief verschachtelt"),
        ("Title,Column\nÄnderung,Backlog\n".encode("latin-1"), "k.csv", "nicht in UTF-8"),
        (b"", "empty.json", "Datei ist leer"),
    ],
)
def test_bad_and_hostile_files_import_nothing(app, actor, zirkel, raw, name, message):
    ada = actor(zirkel["owner"])
    response = upload(ada, zirkel, raw, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nichts wurde importiert" in html and message in html
    assert 'aria-describedby="file-hint file-error"' in html
    assert count_cards(app) == 0


def test_scripts_in_titles_are_shown_as_text(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    raw = (
        b'{"name": "<script>alert(1)</script>", "lists": [{"id": "l", "name": "<b>To Do</b>"}],'
        b' "cards": [{"id": "c", "idList": "l", "name": "<img src=x onerror=alert(1)>",'
        b' "desc": "<script>alert(2)</script> [x](javascript:alert(3))"}]}'
    )
    token = preview_token(upload(ada, zirkel, raw))
    html = ada.get(f"{base(zirkel)}/preview?preview={token}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert confirm(ada, zirkel, token, 1).status_code == 302
    board = ada.get(f"/expeditions/{zirkel['expedition'].id}/board").get_data(as_text=True)
    assert "<img src=x" not in board and "&lt;img src=x onerror=alert(1)&gt;" in board
    card = cards_of(app, zirkel["owner"])[0]
    detail = ada.get(f"/expeditions/{zirkel['expedition'].id}/cards/{card.id}").get_data(
        as_text=True
    )
    assert "<script>alert(2)" not in detail and "&lt;script&gt;alert(2)" in detail
    assert 'href="javascript:' not in detail


def test_formula_cells_and_a_bom_in_a_kanboard_csv(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    raw = b"\xef\xbb\xbf" + (FIXTURES / "kanboard.csv").read_bytes()
    token = preview_token(upload(ada, zirkel, raw, "export.csv"))
    assert confirm(ada, zirkel, token, 3).status_code == 302
    titles = {c.title for c in cards_of(app, zirkel["owner"])}
    assert '=HYPERLINK("http://example.org","Klick")' in titles  # plain text, never evaluated
    assert "Geschlossene Aufgabe" not in titles  # closed tasks stay behind


def test_the_card_limit(app, actor, zirkel):
    app.config["ALEX_IMPORT_MAX_CARDS"] = 3
    ada = actor(zirkel["owner"])
    response = upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes())
    assert response.status_code == 422
    assert "höchstens 3" in response.get_data(as_text=True)


def test_the_size_limit_and_the_per_route_allowance(app, actor, zirkel):
    # The app takes 1 MB bodies; the import's upload route takes its own allowance.
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    ada = actor(zirkel["owner"])
    big = (
        (FIXTURES / "trello.json")
        .read_bytes()
        .replace(b'"desc": ""', b'"desc": "' + b"x" * 1_500_000 + b'"', 1)
    )
    assert len(big) > 1024 * 1024
    # Encoded here in memory (the test client would spool it to a file it never closes).
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(big), "big.json"), "csrf_token": ada.token()}
    )
    response = ada.client.post(
        base(zirkel), data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302  # over the app's limit, under the import's
    # Over the import's limit: its message, and nothing stored.
    app.config["ALEX_IMPORT_MAX_BYTES"] = 1000
    response = upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes())
    assert response.status_code in (413, 422)
    assert "größer als" in response.get_data(as_text=True)
    # Far over it: refused before it is read, with the same message.
    response = upload(ada, zirkel, b"x" * 200_000)
    assert response.status_code == 413
    assert "größer als" in response.get_data(as_text=True)
    # Other routes keep the app's limit.
    assert (
        ada.post(
            f"/expeditions/{zirkel['expedition'].id}/cards", {"title": "x" * 1_100_000}
        ).status_code
        == 413
    )


def test_a_failure_halfway_imports_nothing_and_the_preview_stays(app, actor, zirkel, monkeypatch):
    from alex.boards import service as boards

    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    real, calls = boards.create_card, []

    def fail_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(boards, "create_card", fail_on_the_third)
    with pytest.raises(RuntimeError):
        confirm(ada, zirkel, token, 3)
    assert len(calls) == 3
    assert count_cards(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(ChecklistItem.id))) == 0
        assert db.session.scalar(select(func.count(CardMove.id))) == 0
    monkeypatch.setattr(boards, "create_card", real)
    assert confirm(ada, zirkel, token, 3).status_code == 302  # the preview was given back
    assert count_cards(app) == 4


def test_a_preview_imports_once(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / "deck.json").read_bytes()))
    assert confirm(ada, zirkel, token, 3).status_code == 302
    again = confirm(ada, zirkel, token, 3)
    assert again.status_code == 302 and again.location.endswith("/board/import")
    assert "abgelaufen oder wurde schon verwendet" in ada.get(again.location).get_data(as_text=True)
    assert count_cards(app) == 3


def test_only_the_board_owner_imports_with_their_own_preview(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    # Ben is a member too, but Ada's preview is not his: it is as good as missing.
    ben = actor(zirkel["peer"])
    assert ben.get(f"{base(zirkel)}/preview?preview={token}").status_code == 302
    assert confirm(ben, zirkel, token, 3).status_code == 302
    assert count_cards(app) == 0
    # The facilitator has no board of their own; an outsider does not see the expedition.
    mona = actor(zirkel["facilitator"])
    assert mona.get(base(zirkel)).status_code == 403
    assert upload(mona, zirkel, (FIXTURES / "trello.json").read_bytes()).status_code == 403
    olga = actor(zirkel["outsider"])
    assert olga.get(base(zirkel)).status_code == 404
    assert confirm(olga, zirkel, token, 3).status_code == 404
    anonymous = app.test_client().get(base(zirkel))
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    # Ada's preview still works for her.
    assert confirm(ada, zirkel, token, 3).status_code == 302
    assert count_cards(app) == 4


def test_posts_need_the_csrf_token(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    token = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    raw = io.BytesIO((FIXTURES / "trello.json").read_bytes())
    assert (
        ada.client.post(
            base(zirkel), data={"file": (raw, "t.json")}, content_type="multipart/form-data"
        ).status_code
        == 400
    )
    assert (
        ada.client.post(
            base(zirkel) + "/preview",
            data={
                "preview": token,
                "list_0": "ideas",
                "list_1": "ideas",
                "list_2": "ideas",
                "confirm": "1",
            },
        ).status_code
        == 400
    )
    assert count_cards(app) == 0


def test_english_messages(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    response = upload(
        ada, zirkel, b"\x1f\x8b\x08gzip", "board.json.gz", headers={"Accept-Language": "en"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported: ALEx does not unpack archives." in html


def test_a_new_upload_replaces_the_pending_preview(app, actor, zirkel):
    ada = actor(zirkel["owner"])
    first = preview_token(upload(ada, zirkel, (FIXTURES / "trello.json").read_bytes()))
    second = preview_token(upload(ada, zirkel, (FIXTURES / "deck.json").read_bytes()))
    folder = Path(app.config["ALEX_IMPORT_FOLDER"])
    assert [p.name for p in folder.glob(f"{zirkel['owner'].id}-*.json")] == [
        f"{zirkel['owner'].id}-{second}.json"
    ]
    assert ada.get(f"{base(zirkel)}/preview?preview={first}").status_code == 302
    assert ada.get(f"{base(zirkel)}/preview?preview={second}").status_code == 200


def test_two_tabs_confirming_at_once_import_once(app, actor, zirkel):
    """Two confirmations of one preview at the same moment: one imports, the other finds it used."""
    import threading

    first, second = actor(zirkel["owner"]), actor(zirkel["owner"])
    token = preview_token(upload(first, zirkel, (FIXTURES / "trello.json").read_bytes()))
    tokens = [first.token(), second.token()]  # read before the race: each tab's own session
    start, answers = threading.Barrier(2), []

    def run(person, csrf):
        start.wait()
        data = {"preview": token, "confirm": "1", "csrf_token": csrf}
        data |= {f"list_{i}": "ideas" for i in range(3)}
        answers.append(person.client.post(base(zirkel) + "/preview", data=data).location)

    threads = [
        threading.Thread(target=run, args=pair)
        for pair in zip((first, second), tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The loser is sent to the board (the preview was claimed) or to the upload form (already gone).
    ends = sorted(location.rsplit("/", 1)[-1] for location in answers)
    assert ends in (["board", "board"], ["board", "import"])
    assert count_cards(app) == 4


def test_a_huge_body_from_someone_without_a_board_is_a_plain_413(app, actor, zirkel):
    def post_huge(client, csrf=""):
        # Encoded in memory (the test client would spool it to a file it never closes).
        boundary, body = encode_multipart(
            {
                "file": FileStorage(io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.json"),
                "csrf_token": csrf,
            }
        )
        return client.post(
            base(zirkel), data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    for person in (actor(zirkel["outsider"]), actor(zirkel["facilitator"])):
        response = post_huge(person.client, person.token())
        assert response.status_code == 413  # not a 500 from the handler's own refusal
        assert "Nichts wurde importiert" not in response.get_data(as_text=True)
    assert post_huge(app.test_client()).status_code == 413
    assert count_cards(app) == 0
