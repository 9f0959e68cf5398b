"""Anonymous retro notes: nothing stored or sent lets anyone tell who wrote a note.

The author still changes their own note from any of their devices: the server knows "mine"
through a keyed link that the database alone cannot turn into a name.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from alex.extensions import db
from alex.meetings.models import RetroItem
from tests.support.accounts import csrf_token, login
from tests.support.meetings import make_zirkel, run_to, swapped_targets, version_of


@pytest.fixture
def z(app, world):
    return make_zirkel(app, world)


def _anonymous_retro(actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    setup = {"format": "start_stop_continue", "vote_limit": "3", "anonymous": "1"}
    assert mona.post(z.url("/retro"), setup, htmx=True).status_code == 200
    return mona


def _write(person, z, text: str, prompt: int = 0):
    response = person.post(z.url("/retro/items"), {"prompt": str(prompt), "text": text}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _id_of(app, text: str) -> int:
    with app.app_context():
        return db.session.scalar(select(RetroItem.id).where(RetroItem.text == text))


def _session_of(app, client) -> dict:
    """The session cookie as anyone holding it can read it (signed, not encrypted)."""
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_the_session_cookie_holds_no_note_ids(app, actor, z):
    _anonymous_retro(actor, z)
    ada = actor(z.ada)
    _write(ada, z, "Adas anonymous worry")
    note_id = _id_of(app, "Adas anonymous worry")
    readable = _session_of(app, ada.client)
    assert note_id not in _values(readable) and str(note_id) not in _values(readable), readable


def _values(data) -> list:
    """Every value in a decoded session, lists and dicts opened up."""
    if isinstance(data, dict):
        return [v for value in data.values() for v in _values(value)]
    if isinstance(data, list | tuple):
        return [v for value in data for v in _values(value)]
    return [data]


def test_note_ids_say_nothing_about_the_order_of_writing(app, actor, z):
    _anonymous_retro(actor, z)
    ada, ben = actor(z.ada), actor(z.ben)
    ids = []
    for n in range(6):
        _write(ada if n % 2 else ben, z, f"Note {n}", prompt=n % 3)
        ids.append(_id_of(app, f"Note {n}"))
    steps = [later - earlier for earlier, later in zip(ids, ids[1:], strict=False)]
    assert all(abs(step) != 1 for step in steps), f"ids in writing order: {ids}"


def test_a_stored_note_keeps_no_time(app, actor, z):
    _anonymous_retro(actor, z)
    _write(actor(z.ada), z, "When did I write this?")
    with app.app_context():
        row = db.session.execute(select(RetroItem.__table__)).mappings().one()
    times = {name: value for name, value in row.items() if isinstance(value, date | datetime)}
    assert times == {}, f"a note stores when it was written: {times}"


def test_the_author_changes_an_anonymous_note_from_another_device(app, actor, z):
    mona = _anonymous_retro(actor, z)
    ada = actor(z.ada)
    _write(ada, z, "Written on the laptop")
    note_id = _id_of(app, "Written on the laptop")

    phone = app.test_client()
    assert login(phone, z.ada.email).status_code == 302
    page = phone.get(z.url()).get_data(as_text=True)
    assert "Written on the laptop" in page  # her own note, before the reveal
    changed = phone.post(
        z.url(f"/retro/items/{note_id}"),
        data={"text": "Sharpened on the phone", "csrf_token": csrf_token(phone, "/")},
        headers={"HX-Request": "true"},
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)[:300]
    assert swapped_targets(changed) == {"meeting-live"}

    ben = actor(z.ben)
    hijack = ben.post(z.url(f"/retro/items/{note_id}"), {"text": "Bens now"}, htmx=True)
    assert hijack.status_code == 404
    version = version_of(mona.get(z.url()))
    revealed = mona.post(z.url("/retro/phase"), {"phase": "reveal", "version": version}, htmx=True)
    body = revealed.get_data(as_text=True)
    assert "Sharpened on the phone" in body and "Ada Lorenz</span>" not in body
