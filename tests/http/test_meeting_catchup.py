"""After the meeting: the record counts who ran it as present; the catch-up and notes on actions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from alex.extensions import db
from alex.meetings import service
from alex.meetings.models import ActionNote, Meeting, RetroAction
from tests.support.meetings import make_zirkel


@pytest.fixture
def z(app, world):
    return make_zirkel(app, world)


def _hold_meeting(app, z, moderator: bool = True) -> list[int]:
    """Ada checks in, the retro agrees two actions (Ada's and Ben's), the meeting ends.

    Nobody else checks in: not the moderation, not Ben.
    """
    with app.app_context():
        meeting = db.session.get(Meeting, z.meeting_id)
        expedition = db.session.merge(z.expedition)
        if not moderator:
            meeting.moderator_id = None
        service.go_to_step(db.session, meeting, "checkin")
        service.check_in(db.session, meeting, db.session.merge(z.ada), 4, "wach")
        service.go_to_step(db.session, meeting, "retro")
        retro = service.ensure_retro(db.session, meeting)
        note = service.add_item(
            db.session, meeting, retro, service.Writer(z.ada.id, app.secret_key), 0, "Öfter pairen"
        )
        service.set_phase(db.session, meeting, "reveal")
        ids = [
            service.add_action(
                db.session, meeting, expedition, title=title, owner_id=owner, kind="task", item=note
            ).id
            for title, owner in (
                ("Pairing-Termin finden", z.ada.id),
                ("Checkliste teilen", z.ben.id),
            )
        ]
        meeting.notes = "Wir treffen uns künftig donnerstags."
        service.finish_meeting(db.session, meeting)
        db.session.commit()
        return ids


def _not_there(html: str) -> str:
    match = re.search(r"Nicht dabei:([^<]*)<", html)
    return match.group(1) if match else ""


def test_record_counts_the_moderator_as_present(app, actor, z):
    _hold_meeting(app, z)
    html = actor(z.ben).get(z.url("/record")).get_data(as_text=True)
    assert 'Cem Yildiz <span class="meta">(Moderation)</span>' in html
    absent = _not_there(html)
    assert "Ben Okafor" in absent and "Cem Yildiz" not in absent and "Ada Lorenz" not in absent


def test_record_counts_the_facilitator_as_present_without_a_moderator(app, actor, z):
    _hold_meeting(app, z, moderator=False)
    html = actor(z.ada).get(z.url("/record")).get_data(as_text=True)
    assert 'Mona Moderation <span class="meta">(Moderation)</span>' in html
    assert "Mona Moderation" not in _not_there(html)


def test_someone_marked_absent_stays_absent(app, actor, z):
    _hold_meeting(app, z)
    with app.app_context():
        meeting = db.session.get(Meeting, z.meeting_id)
        service.set_presence(db.session, meeting, z.moderator.id, False)
        db.session.commit()
    html = actor(z.ada).get(z.url("/record")).get_data(as_text=True)
    assert "Cem Yildiz" in _not_there(html)


def test_before_the_meeting_nobody_is_listed_as_missing(actor, z):
    html = actor(z.ada).get(z.url("/record")).get_data(as_text=True)
    assert "Nicht dabei" not in html


def test_catch_up_tells_who_missed_it_what_happened(app, actor, z):
    _hold_meeting(app, z)
    response = actor(z.ben).get(z.url("/catch-up"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Du warst nicht dabei" in html
    assert "Öfter pairen" in html  # discussed
    assert "Wir treffen uns künftig donnerstags." in html  # decided
    assert "Pairing-Termin finden" in html and "Wer: Ada Lorenz" in html
    assert "Checkliste teilen" in html and "Wer: Ben Okafor" in html
    ada = actor(z.ada).get(z.url("/catch-up")).get_data(as_text=True)
    assert "Du warst nicht dabei" not in ada


def test_a_member_adds_a_note_to_an_action(app, actor, z):
    ada_action, _ben_action = _hold_meeting(app, z)
    ben = actor(z.ben)
    url = z.url(f"/actions/{ada_action}/notes")
    response = ben.post(url, {"text": "Ich kann dienstags, sag Bescheid."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/catch-up#action-{ada_action}")
    fragment = ben.post(url, {"text": "Oder donnerstags."}, htmx=True)
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li class="catchup-action" id="action-{ada_action}"')
    assert "Ich kann dienstags, sag Bescheid." in html and "Oder donnerstags." in html
    with app.app_context():
        notes = db.session.scalars(
            select(ActionNote).where(ActionNote.action_id == ada_action)
        ).all()
        assert [(n.author_id, n.text) for n in notes] == [
            (z.ben.id, "Ich kann dienstags, sag Bescheid."),
            (z.ben.id, "Oder donnerstags."),
        ]
    page = actor(z.ada).get(z.url("/catch-up")).get_data(as_text=True)
    assert "Ben Okafor:</span> Ich kann dienstags" in page


@pytest.mark.parametrize(
    "text,message", [("   ", "Bitte schreib zuerst etwas."), ("x" * 501, "unter 500 Zeichen")]
)
def test_an_empty_or_long_note_is_refused_in_place(app, actor, z, text, message):
    ada_action, _ = _hold_meeting(app, z)
    ben = actor(z.ben)
    url = z.url(f"/actions/{ada_action}/notes")
    for htmx in (False, True):
        response = ben.post(url, {"text": text}, htmx=htmx)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert f'id="note-{ada_action}-error"' in html and message in html
    with app.app_context():
        assert not db.session.scalars(select(ActionNote)).all()


NOTE_ACCESS = {
    "participant": 302,
    "moderator": 302,
    "facilitator": 302,
    "outsider": 404,
    "other_expedition": 404,
}


@pytest.mark.parametrize("who", list(NOTE_ACCESS))
def test_notes_and_catch_up_are_for_the_expedition_only(app, actor, world, z, who):
    ada_action, _ = _hold_meeting(app, z)
    if who == "other_expedition":
        world.expedition(z.outsider, title="Andere Expedition")
    person = {
        "participant": z.ben,
        "moderator": z.moderator,
        "facilitator": z.facilitator,
        "outsider": z.outsider,
        "other_expedition": z.outsider,
    }[who]
    acting = actor(person)
    assert acting.get(z.url("/catch-up")).status_code == (200 if NOTE_ACCESS[who] == 302 else 404)
    response = acting.post(z.url(f"/actions/{ada_action}/notes"), {"text": "Hallo"})
    assert response.status_code == NOTE_ACCESS[who]


def test_an_action_of_another_meeting_or_expedition_is_not_found(app, actor, world, z):
    ada_action, _ = _hold_meeting(app, z)
    other = make_zirkel(app, world)
    with app.app_context():
        meeting = db.session.get(Meeting, other.meeting_id)
        service.go_to_step(db.session, meeting, "retro")
        foreign = service.add_action(
            db.session,
            meeting,
            db.session.merge(other.expedition),
            title="Fremd",
            owner_id=other.ada.id,
            kind="task",
        ).id
        db.session.commit()
    ben = actor(z.ben)
    assert ben.post(z.url(f"/actions/{foreign}/notes"), {"text": "x"}).status_code == 404
    # Through the other expedition's URL the action of our meeting does not exist either.
    assert (
        actor(other.ada).post(other.url(f"/actions/{ada_action}/notes"), {"text": "x"}).status_code
        == 404
    )
    with app.app_context():
        assert not db.session.scalars(select(ActionNote)).all()
        assert db.session.get(RetroAction, foreign).title == "Fremd"
