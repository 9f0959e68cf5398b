"""The facilitator's control holds: commands are idempotent targets, never refused because
participants write, vote or check in; a retro that suits a public-sector circle.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from alex.extensions import db
from alex.meetings.models import Meeting, Retro, RetroGroup, RetroItem
from alex.meetings.state import PHASE_LABELS, STEP_LABELS
from tests.support.meetings import errors_shown, make_zirkel, run_to, swapped_targets


@pytest.fixture
def z(app, world):
    return make_zirkel(app, world)


def _stage(response) -> str:
    """The meeting state an answer shows: status, step, retro phase, whose turn."""
    match = re.search(r'data-stage="([^"]*)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:300]
    return match.group(1)


def _meeting(app, z) -> Meeting:
    with app.app_context():
        meeting = db.session.get(Meeting, z.meeting_id)
        db.session.expunge(meeting)
        return meeting


def _retro(app, z) -> Retro:
    with app.app_context():
        retro = db.session.scalar(select(Retro).where(Retro.meeting_id == z.meeting_id))
        db.session.expunge(retro)
        return retro


def _note_id(app, text: str) -> int:
    with app.app_context():
        return db.session.scalar(select(RetroItem.id).where(RetroItem.text == text))


def _write(who, z, text: str, prompt: int = 0) -> None:
    response = who.post(z.url("/retro/items"), {"prompt": str(prompt), "text": text}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def _ok(response) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert errors_shown(response) == set()


def _busy_participants(z, ada, ben, cem, round_: int) -> None:
    """Everything participants do while the facilitator steers: check-ins, notes, votes, done."""
    _ok(ada.post(z.url("/check-in"), {"mood": "4", "word": f"wach{round_}"}, htmx=True))
    _ok(ben.post(z.url("/check-in"), {"mood": "3", "word": "müde"}, htmx=True))
    _ok(cem.post(z.url("/focus"), {"focus": f"Fokus {round_}"}, htmx=True))


# -- Every command is an idempotent target --------------------------------------------------


def test_a_step_sent_twice_is_one_move_and_a_success(app, actor, z):
    mona = actor(z.facilitator)
    first = mona.post(z.url("/step"), {"step": "checkin", "seen": ""}, htmx=True)
    _ok(first)
    assert _stage(first).startswith("running:checkin:")  # the answer carries the new state
    version = _meeting(app, z).version
    again = mona.post(z.url("/step"), {"step": "checkin", "seen": ""}, htmx=True)
    _ok(again)
    assert _stage(again).startswith("running:checkin:")
    _ok(mona.post(z.url("/step"), {"step": "retro", "seen": "checkin", "skip": "1"}, htmx=True))
    twice = mona.post(z.url("/step"), {"step": "retro", "seen": "checkin", "skip": "1"}, htmx=True)
    _ok(twice)
    meeting = _meeting(app, z)
    assert meeting.step == "retro" and meeting.skipped_steps == "checkin"
    assert meeting.version >= version


def test_a_phase_double_click_never_moves_backwards(app, actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    for phase, seen in (("reveal", "write"), ("vote", "reveal"), ("discuss", "vote")):
        first = mona.post(z.url("/retro/phase"), {"phase": phase, "seen": seen}, htmx=True)
        second = mona.post(z.url("/retro/phase"), {"phase": phase, "seen": seen}, htmx=True)
        _ok(first)
        _ok(second)
        assert _stage(first).endswith(f":{phase}:") and _stage(second).endswith(f":{phase}:")
        assert _retro(app, z).phase == phase


def test_timer_start_and_stop_are_targets(app, actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "checkin")
    _ok(mona.post(z.url("/timer"), {"minutes": "5", "seen": ""}, htmx=True))
    ends = _meeting(app, z).timer_ends_at
    assert ends is not None
    _ok(mona.post(z.url("/timer"), {"minutes": "5", "seen": ""}, htmx=True))  # double-click
    assert _meeting(app, z).timer_ends_at == ends
    # Restarting deliberately, from a page that shows the running timer, restarts it.
    _ok(mona.post(z.url("/timer"), {"minutes": "7", "seen": ends.isoformat()}, htmx=True))
    restarted = _meeting(app, z)
    assert restarted.timer_ends_at > ends and restarted.timer_minutes == 7
    shown = restarted.timer_ends_at.isoformat()
    _ok(mona.post(z.url("/timer"), {"minutes": "0", "seen": shown}, htmx=True))
    _ok(mona.post(z.url("/timer"), {"minutes": "0", "seen": shown}, htmx=True))
    assert _meeting(app, z).timer_ends_at is None


def test_whose_turn_twice_keeps_the_running_timer(app, actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "review_round")
    data = {"user_id": str(z.ada.id), "minutes": "5", "seen": "0"}
    _ok(mona.post(z.url("/review"), data, htmx=True))
    ends = _meeting(app, z).timer_ends_at
    _ok(mona.post(z.url("/review"), data, htmx=True))
    meeting = _meeting(app, z)
    assert meeting.review_user_id == z.ada.id and meeting.timer_ends_at == ends


def test_finish_twice_is_a_success(app, actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "checkout")
    _ok(mona.post(z.url("/finish"), {}, htmx=True))
    finished_at = _meeting(app, z).finished_at
    again = mona.post(z.url("/finish"), {}, htmx=True)
    _ok(again)
    assert _stage(again).startswith("finished:")
    assert _meeting(app, z).finished_at == finished_at


def test_participant_commands_are_targets_too(app, actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "retro")
    for _ in range(2):
        _ok(ada.post(z.url("/retro/done"), {"done": "1"}, htmx=True))
    assert "1 von 3 fertig" in mona.get(z.url()).get_data(as_text=True)
    for _ in range(2):
        _ok(ada.post(z.url("/retro/done"), {"done": "0"}, htmx=True))
    assert "0 von 3 fertig" in mona.get(z.url()).get_data(as_text=True)


# -- Participants never make the facilitator's command fail -----------------------------------


def test_notes_votes_and_check_ins_never_conflict_with_the_facilitator(app, actor, z):
    """Each command carries the state the facilitator's page showed *before* the participants
    acted; not one is refused."""
    mona, ada, ben, cem = actor(z.facilitator), actor(z.ada), actor(z.ben), actor(z.moderator)
    seen_step = ""
    for round_, step in enumerate(("checkin", "actions_review", "review_round", "retro")):
        if step in ("checkin",) or round_:
            _busy_participants(z, ada, ben, cem, round_) if step != "checkin" else None
        answer = mona.post(z.url("/step"), {"step": step, "seen": seen_step}, htmx=True)
        _ok(answer)
        assert _stage(answer).startswith(f"running:{step}:")
        seen_step = step
        if step == "checkin":
            _busy_participants(z, ada, ben, cem, round_)
    seen_phase = "write"
    _write(ada, z, "Mehr Pausen")
    _write(ben, z, "Weniger Mails", 1)
    for phase in ("reveal", "vote", "discuss", "actions"):
        if phase == "reveal":
            _write(cem, z, "Kurz vor dem Aufdecken")
            _ok(ada.post(z.url("/retro/done"), {"done": "1"}, htmx=True))
        if phase == "discuss":
            note = _note_id(app, "Weniger Mails")
            _ok(ada.post(z.url(f"/retro/items/{note}/vote"), htmx=True))
            _ok(ben.post(z.url(f"/retro/items/{note}/vote"), htmx=True))
        timer = mona.post(z.url("/timer"), {"minutes": "3", "seen": ""}, htmx=True)
        _ok(timer)
        _write(ada, z, f"Noch eine Notiz vor {phase}") if phase == "reveal" else None
        answer = mona.post(z.url("/retro/phase"), {"phase": phase, "seen": seen_phase}, htmx=True)
        _ok(answer)
        assert _stage(answer) == f"running:retro:{phase}:"
        seen_phase = phase
    _ok(ada.post(z.url("/check-in"), {"mood": "5", "word": "gut"}, htmx=True))
    _ok(mona.post(z.url("/step"), {"step": "planning", "seen": "retro"}, htmx=True))
    _ok(cem.post(z.url("/focus"), {"focus": "Neuer Fokus"}, htmx=True))
    _ok(mona.post(z.url("/step"), {"step": "checkout", "seen": "planning"}, htmx=True))
    _ok(ben.post(z.url("/check-in"), {"mood": "2", "word": "satt"}, htmx=True))
    _ok(mona.post(z.url("/finish"), {}, htmx=True))
    assert _meeting(app, z).status == "finished"


def test_only_another_facilitators_command_on_the_same_thing_conflicts(app, actor, z):
    mona, cem = actor(z.facilitator), actor(z.moderator)
    run_to(z, mona, "retro")
    _ok(cem.post(z.url("/retro/phase"), {"phase": "reveal", "seen": "write"}, htmx=True))
    # Mona's page still shows "write"; she sends another phase: a conflict, with the fresh state.
    late = mona.post(z.url("/retro/phase"), {"phase": "vote", "seen": "write"}, htmx=True)
    assert late.status_code == 409
    assert swapped_targets(late) == {"meeting-live"} and errors_shown(late) == {"error-phase"}
    assert _stage(late) == "running:retro:reveal:"
    # The timer is another thing: it is not held up by the phase change.
    _ok(mona.post(z.url("/timer"), {"minutes": "4", "seen": ""}, htmx=True))
    clash = cem.post(z.url("/timer"), {"minutes": "9", "seen": ""}, htmx=True)
    assert clash.status_code == 409 and errors_shown(clash) == {"error-timer"}
    assert _meeting(app, z).timer_minutes == 4


# -- A retro that suits a public-sector circle -------------------------------------------------


def test_anonymous_with_three_dots_by_default_and_fixed_after_the_first_note(app, actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "retro")
    retro = _retro(app, z)
    assert retro.anonymous and retro.votes_enabled and retro.vote_limit == 3
    _write(ada, z, "Eine anonyme Notiz")
    with app.app_context():
        assert db.session.scalar(select(RetroItem.author_id)) is None
    setup = {"format": "start_stop_continue", "vote_limit": "3", "votes_enabled": "1"}
    refused = mona.post(z.url("/retro"), setup, htmx=True)
    assert refused.status_code == 422 and errors_shown(refused) == {"error-retro"}
    assert _retro(app, z).anonymous


def test_votes_stay_hidden_until_voting_ends(app, actor, z):
    mona, ada, ben = actor(z.facilitator), actor(z.ada), actor(z.ben)
    run_to(z, mona, "retro")
    _write(ada, z, "Stehtisch statt Sitzung")
    _write(ben, z, "Protokoll rotieren", 1)
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal"}, htmx=True))
    _ok(mona.post(z.url("/retro/phase"), {"phase": "vote"}, htmx=True))
    note = _note_id(app, "Stehtisch statt Sitzung")
    for _ in range(2):
        _ok(ada.post(z.url(f"/retro/items/{note}/vote"), htmx=True))
    for viewer in (ben, mona):
        body = viewer.get(z.url()).get_data(as_text=True)
        assert 'class="votes"' not in body
    own = ada.get(z.url()).get_data(as_text=True)
    assert 'class="my-votes"' in own and 'class="votes"' not in own
    _ok(mona.post(z.url("/retro/phase"), {"phase": "discuss"}, htmx=True))
    assert re.search(r'class="votes">2\b', ben.get(z.url()).get_data(as_text=True))


def test_done_writing_shows_who_is_still_writing_to_the_facilitator(app, actor, z):
    mona, ada, ben = actor(z.facilitator), actor(z.ada), actor(z.ben)
    run_to(z, mona, "retro")
    _write(ada, z, "Nur für mich bis zum Aufdecken")
    _ok(ada.post(z.url("/retro/done"), {"done": "1"}, htmx=True))
    _ok(ben.post(z.url("/retro/done"), {"done": "1"}, htmx=True))
    body = mona.get(z.url()).get_data(as_text=True)
    assert "2 von 3 fertig" in body
    assert re.search(r"Schreiben noch:\s*Cem Yildiz", body)
    assert "Nur für mich" not in body  # who, not what
    assert "Ich schreibe doch noch" in ada.get(z.url()).get_data(as_text=True)


def test_the_next_phase_is_the_primary_button(actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    for current, following in (("write", "reveal"), ("reveal", "vote"), ("vote", "discuss")):
        if current != "write":
            _ok(mona.post(z.url("/retro/phase"), {"phase": current}, htmx=True))
        body = mona.get(z.url()).get_data(as_text=True)
        buttons = re.findall(
            r'<button type="submit" name="phase" value="([a-z]+)" class="([^"]*)"', body
        )
        assert current not in [phase for phase, _cls in buttons]  # the current phase is no button
        assert [phase for phase, cls in buttons if "button-primary" in cls] == [following]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_steps_and_phases_have_distinct_names(app, lang):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(lang):
        steps = {str(label) for label in STEP_LABELS.values()}
        phases = {str(label) for label in PHASE_LABELS.values()}
    assert not steps & phases, steps & phases


# -- Grouping ----------------------------------------------------------------------------------


def test_grouping_sums_votes_and_moves_a_group_together(app, actor, z):
    mona, ada, ben = actor(z.facilitator), actor(z.ada), actor(z.ben)
    run_to(z, mona, "retro")
    for text in ("Zu viele Mails", "Mailflut", "Kein Fokus", "Zu viele Termine"):
        _write(ada, z, text)
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal"}, htmx=True))
    mails, flood, focus, meetings = (
        _note_id(app, t) for t in ("Zu viele Mails", "Mailflut", "Kein Fokus", "Zu viele Termine")
    )
    _ok(mona.post(z.url(f"/retro/items/{flood}/group"), {"other_id": str(mails)}, htmx=True))
    _ok(mona.post(z.url(f"/retro/items/{flood}/group"), {"other_id": str(mails)}, htmx=True))
    _ok(mona.post(z.url(f"/retro/items/{meetings}/group"), {"other_id": str(focus)}, htmx=True))
    with app.app_context():
        group_id = db.session.scalar(select(RetroItem.group_id).where(RetroItem.id == mails))
        assert group_id is not None
        assert db.session.scalar(select(RetroItem.group_id).where(RetroItem.id == flood)) == (
            group_id
        )
    _ok(mona.post(z.url(f"/retro/groups/{group_id}"), {"title": "Kommunikation"}, htmx=True))
    # The whole "Kein Fokus" group joins "Kommunikation": grouped notes move together.
    _ok(
        mona.post(
            z.url(f"/retro/items/{focus}/group"),
            {"other_id": str(mails), "whole": "1"},
            htmx=True,
        )
    )
    with app.app_context():
        grouped = db.session.scalars(
            select(RetroItem.id).where(RetroItem.group_id == group_id)
        ).all()
        assert set(grouped) == {mails, flood, focus, meetings}
        assert db.session.scalar(select(RetroGroup.title).where(RetroGroup.id == group_id)) == (
            "Kommunikation"
        )
        assert db.session.scalar(select(func.count()).select_from(RetroGroup)) == 1
    _ok(mona.post(z.url("/retro/phase"), {"phase": "vote"}, htmx=True))
    _ok(ada.post(z.url(f"/retro/items/{mails}/vote"), htmx=True))
    _ok(ben.post(z.url(f"/retro/items/{flood}/vote"), htmx=True))
    _ok(ben.post(z.url(f"/retro/items/{focus}/vote"), htmx=True))
    _ok(mona.post(z.url("/retro/phase"), {"phase": "discuss"}, htmx=True))
    body = ben.get(z.url()).get_data(as_text=True)
    assert "Kommunikation" in body and re.search(r'class="votes">3\b', body)
    # Taking one note out leaves the others together.
    _ok(mona.post(z.url(f"/retro/items/{meetings}/group"), {"other_id": ""}, htmx=True))
    with app.app_context():
        assert db.session.scalar(select(RetroItem.group_id).where(RetroItem.id == meetings)) is None


def test_a_group_title_is_the_facilitators_and_has_a_limit(app, actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "retro")
    _write(ada, z, "eins")
    _write(ada, z, "zwei")
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal"}, htmx=True))
    one, two = _note_id(app, "eins"), _note_id(app, "zwei")
    _ok(mona.post(z.url(f"/retro/items/{two}/group"), {"other_id": str(one)}, htmx=True))
    with app.app_context():
        group_id = db.session.scalar(select(RetroGroup.id))
    url = z.url(f"/retro/groups/{group_id}")
    assert ada.post(url, {"title": "meins"}, htmx=True).status_code == 403
    too_long = mona.post(url, {"title": "x" * 200}, htmx=True)
    assert too_long.status_code == 422 and errors_shown(too_long) == {f"error-group-{group_id}"}
    assert mona.post(z.url("/retro/groups/999999"), {"title": "x"}, htmx=True).status_code == 404


# -- Presenter view and writing before the meeting ----------------------------------------------


def test_presenter_view_has_large_state_a_qr_code_and_no_controls(app, actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "retro")
    _write(ada, z, "Geheim bis zum Aufdecken")
    page = mona.get(z.url("/presenter"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in body and "Mit dem Handy mitmachen" in body
    assert z.url() in body  # the address the QR code holds, written out too
    assert "<form" not in body and "Geheim" not in body
    assert "0 von 3 fertig" in body
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal"}, htmx=True))
    fragment = mona.get(z.url("/live?view=presenter&v=1"), htmx=True)
    assert fragment.status_code == 200 and swapped_targets(fragment) == {"presenter-live"}
    assert "Geheim bis zum Aufdecken" in fragment.get_data(as_text=True)
    assert "<form" not in fragment.get_data(as_text=True)
    assert actor(z.outsider).get(z.url("/presenter")).status_code == 404


def test_writing_opens_before_the_meeting_and_the_reveal_happens_in_it(app, actor, z):
    mona, ada, ben = actor(z.facilitator), actor(z.ada), actor(z.ben)
    assert ada.post(z.url("/retro/open"), {}, htmx=True).status_code == 403
    _ok(mona.post(z.url("/retro/open"), {}, htmx=True))
    _ok(mona.post(z.url("/retro/open"), {}, htmx=True))  # a target: open stays open
    assert _meeting(app, z).status == "scheduled"
    _write(ada, z, "Am Montag geschrieben")
    _ok(ada.post(z.url("/retro/done"), {"done": "1"}, htmx=True))
    for viewer in (mona, ben):
        assert "Am Montag geschrieben" not in viewer.get(z.url()).get_data(as_text=True)
    assert "Am Montag geschrieben" in ada.get(z.url()).get_data(as_text=True)
    assert "1 von 3 fertig" in mona.get(z.url()).get_data(as_text=True)
    run_to(z, mona, "retro")
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal", "seen": "write"}, htmx=True))
    assert "Am Montag geschrieben" in ben.get(z.url()).get_data(as_text=True)


def test_a_phase_change_answers_with_only_what_it_shows(app, actor, z):
    """Where the meeting is, the phase buttons and the stage, out of band; the steps and the
    tools follow with the next poll (whose version the answer leaves as it was)."""
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    page = mona.get(z.url()).get_data(as_text=True)
    shown = re.search(r'id="meeting-live"[^>]*data-version="(\d+)"', page, re.S)
    answer = mona.post(z.url("/retro/phase"), {"phase": "reveal", "seen": "write"}, htmx=True)
    _ok(answer)
    assert answer.headers["HX-Reswap"] == "none"
    assert swapped_targets(answer) == {
        "meeting-command",
        "meeting-status",
        "runner-retro",
        "meeting-stage",
    }
    assert _stage(answer) == "running:retro:reveal:"
    body = answer.get_data(as_text=True)
    assert 'id="runsheet-steps"' not in body and 'id="meeting-live"' not in body
    poll = mona.get(z.url(f"/live?v={shown.group(1)}"), htmx=True)
    assert poll.status_code == 200 and 'id="runsheet-steps"' in poll.get_data(as_text=True)


def test_a_phase_command_raises_the_version_once_and_a_refusal_leaves_no_trace(app, actor, z):
    """The phase command loads, locks and bumps the meeting in one statement: a change raises the
    version live clients poll by one; a participant's try (403), a foreign meeting (404) and an
    input the form refuses (422) keep it, and the 422's answer names the version it shows."""
    mona, ada, olga = actor(z.facilitator), actor(z.ada), actor(z.outsider)
    run_to(z, mona, "retro")
    before = _meeting(app, z).version
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal", "seen": "write"}, htmx=True))
    assert _meeting(app, z).version == before + 1
    changed = _meeting(app, z).version
    assert ada.post(z.url("/retro/phase"), {"phase": "vote"}, htmx=True).status_code == 403
    assert olga.post(z.url("/retro/phase"), {"phase": "vote"}, htmx=True).status_code == 404
    for phase in ("", "nonsense"):  # refused by the form, then by the service
        wrong = mona.post(z.url("/retro/phase"), {"phase": phase, "seen": "reveal"}, htmx=True)
        assert wrong.status_code == 422 and errors_shown(wrong) == {"error-phase"}
        assert wrong.headers["X-Meeting-Version"] == str(changed)
    assert _meeting(app, z).version == changed and _retro(app, z).phase == "reveal"
    # The same target again changes nothing but still answers (and raises the version once).
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal", "seen": "write"}, htmx=True))
    assert _meeting(app, z).version == changed + 1 and _retro(app, z).phase == "reveal"


def test_a_phase_change_clears_the_countdown(app, actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    _ok(mona.post(z.url("/timer"), {"minutes": "4", "seen": ""}, htmx=True))
    assert _meeting(app, z).timer_minutes == 4
    _ok(mona.post(z.url("/retro/phase"), {"phase": "reveal", "seen": "write"}, htmx=True))
    meeting = _meeting(app, z)
    assert meeting.timer_minutes is None and meeting.timer_ends_at is None
