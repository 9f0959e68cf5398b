"""CSV downloads: escaping and encoding for LibreOffice and Excel, the separator per language, who
may download what (one's own board and Logbuch only; meetings for facilitators), anonymity kept."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from alex.auth.models import User
from alex.boards.service import add_check_in, create_card
from alex.db import utcnow
from alex.exports import csv_export
from alex.extensions import db
from alex.meetings.models import Meeting, Retro, RetroAction, RetroItem, RetroVote
from tests.support.accounts import make_cast


def rows_of(data: bytes, delimiter: str) -> list[list[str]]:
    """What a spreadsheet reads: UTF-8 after the BOM, split on the separator."""
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


# ------------------------------------------------------------------ the format


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_could_be_a_formula_is_neutralised(start):
    assert csv_export.neutralise(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["Summe", "1+1", "a=b", "", "Ärger", 3])
def test_other_cells_stay_as_they_are(value):
    assert csv_export.neutralise(value) == str(value)


def test_german_gets_semicolons_english_commas_both_crlf_and_a_bom():
    header, rows = ["Titel", "Notiz"], [["Größe", "ä;ö"]]
    german = csv_export.write_csv(header, rows, "de")
    english = csv_export.write_csv(header, rows, "en")
    assert german == '\ufeffTitel;Notiz\r\nGröße;"ä;ö"\r\n'.encode()
    assert english == "\ufeffTitel,Notiz\r\nGröße,ä;ö\r\n".encode()


def test_separators_quotes_and_line_breaks_are_quoted_and_come_back_whole():
    tricky = ['Er sagte "Hallo"', "zwei\r\nZeilen", "a;b,c", '=HYPERLINK("http://x")', "-5"]
    data = csv_export.write_csv(["x"] * len(tricky), [tricky], "de")
    header, row = rows_of(data, ";")
    assert row[:3] == tricky[:3]
    assert row[3] == '\'=HYPERLINK("http://x")'
    assert row[4] == "'-5"
    assert b'"Er sagte ""Hallo"""' in data


def test_the_download_name_has_an_ascii_fallback_and_the_exact_name():
    header = csv_export.content_disposition('Board-Jürgen "Ö"\r\n/Straße.csv')
    assert header.startswith("attachment; ")
    fallback = header.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and "\r" not in fallback and "/" not in fallback
    assert fallback == "Board-Juergen-Oe-Strasse.csv"
    assert "filename*=UTF-8''Board-J%C3%BCrgen%20-%C3%96-Stra%C3%9Fe.csv" in header


# ------------------------------------------------------------------ downloads


@pytest.fixture
def cast(world):
    return make_cast(world)


def set_locale(app, user, locale):
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(locale=locale))
        db.session.commit()


def test_my_board_as_csv_in_german(app, actor, cast):
    with app.app_context():
        create_card(db.session, cast.expedition.id, cast.ada.id, "Bürgerbrief, einfach")
        create_card(
            db.session,
            cast.expedition.id,
            cast.ada.id,
            "=1+2 privat",
            visibility="private",
            kind="experiment",
            column="sprint",
            sprint_number=2,
        )
        create_card(db.session, cast.expedition.id, cast.ben.id, "Bens Karte")
        db.session.commit()
    set_locale(app, cast.ada, "de")
    answer = actor(cast.ada).get(f"/expeditions/{cast.expedition.id}/board.csv")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in answer.headers["Cache-Control"]
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Board-Ada-Lorenz-Lern-Expedition.csv"')
    header, *rows = rows_of(answer.data, ";")
    assert header[:5] == ["Titel", "Spalte", "Sprint", "Art", "Sichtbarkeit"]
    by_title = {row[0]: row for row in rows}
    assert set(by_title) == {"Bürgerbrief, einfach", "'=1+2 privat"}
    secret = by_title["'=1+2 privat"]
    assert secret[1:5] == ["Diesen Sprint", "2", "Experiment", "Privat"]


def test_english_readers_get_commas(app, actor, cast):
    with app.app_context():
        create_card(db.session, cast.expedition.id, cast.ada.id, "Plain; language")
        db.session.commit()
    set_locale(app, cast.ada, "en")
    answer = actor(cast.ada).get(f"/expeditions/{cast.expedition.id}/board.csv")
    header, row = rows_of(answer.data, ",")
    assert header[:3] == ["Title", "Column", "Sprint"]
    assert row[:2] == ["Plain; language", "Ideas"]


def test_a_facilitator_gets_only_her_own_board_never_a_participants_cards(app, actor, cast):
    with app.app_context():
        create_card(
            db.session, cast.expedition.id, cast.ada.id, "Adas Geheimnis", visibility="private"
        )
        create_card(db.session, cast.expedition.id, cast.ada.id, "Adas Zirkelkarte")
        db.session.commit()
    mona = actor(cast.facilitator)
    board = mona.get(f"/expeditions/{cast.expedition.id}/board.csv")
    assert board.status_code == 200
    assert "Adas" not in board.data.decode()
    assert len(rows_of(board.data, ";")) == 1  # the header alone
    # The URL names nobody: a user id in the query changes nothing.
    other = mona.get(f"/expeditions/{cast.expedition.id}/board.csv?user_id={cast.ada.id}")
    assert "Adas" not in other.data.decode()
    assert (
        actor(cast.outsider).get(f"/expeditions/{cast.expedition.id}/board.csv").status_code == 404
    )


def test_my_logbook_as_csv(app, actor, cast):
    with app.app_context():
        add_check_in(
            db.session, cast.expedition.id, cast.ada.id, done="Entwurf fertig", stuck="-Zeit"
        )
        add_check_in(db.session, cast.expedition.id, cast.ben.id, done="Bens Eintrag")
        db.session.commit()
    answer = actor(cast.ada).get(f"/expeditions/{cast.expedition.id}/logbook.csv")
    assert answer.status_code == 200
    header, row = rows_of(answer.data, ";")
    assert header[1] == "Erledigt"
    assert row[1] == "Entwurf fertig"
    assert row[4] == "'-Zeit"
    assert "Bens Eintrag" not in answer.data.decode()


def meeting_with_retro(app, cast, *, anonymous, phase):
    with app.app_context():
        meeting = Meeting(expedition_id=cast.expedition.id, starts_at=utcnow() - timedelta(days=1))
        db.session.add(meeting)
        db.session.flush()
        retro = Retro(meeting_id=meeting.id, anonymous=anonymous, phase=phase)
        db.session.add(retro)
        db.session.flush()
        note = RetroItem(
            retro_id=retro.id,
            author_id=None if anonymous else cast.ben.id,
            author_key="k" * 16 if anonymous else None,
            text="+Mehr Pausen",
            prompt=0,
        )
        db.session.add(note)
        db.session.flush()
        db.session.add(RetroVote(item_id=note.id, user_id=cast.ada.id))
        db.session.add(
            RetroAction(
                meeting_id=meeting.id, owner_id=cast.ada.id, title="Pausen planen", kind="task"
            )
        )
        db.session.commit()
        return meeting.id


def test_meeting_exports_are_for_facilitators(app, actor, cast, world):
    meeting_id = meeting_with_retro(app, cast, anonymous=True, phase="closed")
    base = f"/expeditions/{cast.expedition.id}/meetings/{meeting_id}"
    mona, ada, olga = actor(cast.facilitator), actor(cast.ada), actor(cast.outsider)
    for name in ("actions.csv", "retro.csv"):
        assert mona.get(f"{base}/{name}").status_code == 200
        assert ada.get(f"{base}/{name}").status_code == 403
        assert olga.get(f"{base}/{name}").status_code == 404
    # Olga facilitates her own expedition: this meeting is not in it.
    own = world.expedition(cast.outsider, title="Olgas Expedition")
    assert olga.get(f"/expeditions/{own.id}/meetings/{meeting_id}/actions.csv").status_code == 404


def test_the_actions_of_a_meeting(app, actor, cast):
    meeting_id = meeting_with_retro(app, cast, anonymous=True, phase="closed")
    answer = actor(cast.facilitator).get(
        f"/expeditions/{cast.expedition.id}/meetings/{meeting_id}/actions.csv"
    )
    header, row = rows_of(answer.data, ";")
    assert header[:3] == ["Maßnahme", "Art", "Verantwortlich"]
    assert row[:3] == ["Pausen planen", "Aufgabe", cast.ada.name]


def test_an_anonymous_retro_stays_anonymous(app, actor, cast):
    meeting_id = meeting_with_retro(app, cast, anonymous=True, phase="closed")
    answer = actor(cast.facilitator).get(
        f"/expeditions/{cast.expedition.id}/meetings/{meeting_id}/retro.csv"
    )
    header, row = rows_of(answer.data, ";")
    assert len(header) == 4 and "Geschrieben von" not in header
    assert row[1:] == ["'+Mehr Pausen", "", "1"]
    assert cast.ben.name not in answer.data.decode()


def test_a_named_retro_shows_its_authors(app, actor, cast):
    meeting_id = meeting_with_retro(app, cast, anonymous=False, phase="discuss")
    answer = actor(cast.facilitator).get(
        f"/expeditions/{cast.expedition.id}/meetings/{meeting_id}/retro.csv"
    )
    header, row = rows_of(answer.data, ";")
    assert header[-1] == "Geschrieben von"
    assert row[-1] == cast.ben.name


def test_notes_not_yet_revealed_are_not_exported_and_votes_hide_while_voting(app, actor, cast):
    writing = meeting_with_retro(app, cast, anonymous=False, phase="write")
    mona = actor(cast.facilitator)
    answer = mona.get(f"/expeditions/{cast.expedition.id}/meetings/{writing}/retro.csv")
    assert len(rows_of(answer.data, ";")) == 1
    assert "Pausen" not in answer.data.decode()
    voting = meeting_with_retro(app, cast, anonymous=True, phase="vote")
    answer = mona.get(f"/expeditions/{cast.expedition.id}/meetings/{voting}/retro.csv")
    _header, row = rows_of(answer.data, ";")
    assert row[3] == ""


def test_the_links_are_where_people_look(app, actor, cast):
    meeting_id = meeting_with_retro(app, cast, anonymous=True, phase="closed")
    expedition_id = cast.expedition.id
    ada, mona = actor(cast.ada), actor(cast.facilitator)
    assert f"/expeditions/{expedition_id}/board.csv" in ada.get(
        f"/expeditions/{expedition_id}/board"
    ).get_data(as_text=True)
    assert f"/expeditions/{expedition_id}/logbook.csv" in ada.get(
        f"/expeditions/{expedition_id}/logbook"
    ).get_data(as_text=True)
    meeting_page = f"/expeditions/{expedition_id}/meetings/{meeting_id}"
    assert "actions.csv" in mona.get(meeting_page).get_data(as_text=True)
    assert "retro.csv" not in ada.get(meeting_page).get_data(as_text=True)
