"""Meetings through HTTP: permissions, the live run-sheet, the retro, actions, bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from alex.boards.models import Card
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from alex.meetings.models import Meeting, RetroAction, RetroItem
from tests.support.meetings import (
    errors_shown,
    make_zirkel,
    run_to,
    swapped_targets,
    version_of,
)


@pytest.fixture
def z(app, world):
    return make_zirkel(app, world)


def _client(actor, z, who):
    """A client for one role of the permission table (anonymous: a plain test client)."""
    if who == "anonymous":
        return None
    person = {
        "outsider": z.outsider,
        "participant": z.ada,
        "facilitator": z.facilitator,
        "moderator": z.moderator,
    }[who]
    return actor(person)


READ = {"anonymous": 302, "outsider": 404, "participant": 200, "facilitator": 200, "moderator": 200}
RUN = {"anonymous": 302, "outsider": 404, "participant": 403, "facilitator": 200, "moderator": 200}


@pytest.mark.parametrize("who", list(READ))
@pytest.mark.parametrize("suffix", ["", "/record"])
def test_members_read_meeting_pages(client, actor, z, who, suffix):
    acting = _client(actor, z, who)
    response = (acting.client if acting else client).get(z.url(suffix))
    assert response.status_code == READ[who]


@pytest.mark.parametrize("who", list(READ))
def test_meeting_list_for_members(client, actor, z, who):
    acting = _client(actor, z, who)
    response = (acting.client if acting else client).get(f"/expeditions/{z.expedition.id}/meetings")
    assert response.status_code == READ[who]
    if READ[who] == 200:
        assert "Zirkeltreffen" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "who,status",
    [("outsider", 404), ("participant", 403), ("moderator", 403), ("facilitator", 302)],
)
def test_only_the_facilitator_schedules(actor, z, who, status):
    acting = _client(actor, z, who)
    response = acting.post(
        f"/expeditions/{z.expedition.id}/meetings",
        {
            "kind": "pit_stop",
            "day": "2030-01-15",
            "time": "14:00",
            "duration_minutes": "60",
            "location": "Video",
            "sprint_number": "2",
            "moderator_id": "",
        },
    )
    assert response.status_code == status


def test_scheduling_validates_next_to_the_field(actor, z):
    mona = actor(z.facilitator)
    response = mona.post(
        f"/expeditions/{z.expedition.id}/meetings",
        {
            "kind": "party",
            "day": "",
            "time": "25:00",
            "duration_minutes": "2",
            "location": "x" * 600,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please choose a date." in page or "Bitte wähle ein Datum." in page


def test_facilitator_moves_a_meeting(app, actor, z):
    mona = actor(z.facilitator)
    assert mona.get(z.url("/edit")).status_code == 200
    response = mona.post(
        z.url("/edit"),
        {
            "kind": "zirkeltreffen",
            "day": "2031-03-03",
            "time": "09:30",
            "duration_minutes": "120",
            "location": "https://video.example/zirkel",
            "sprint_number": "1",
            "moderator_id": str(z.ada.id),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, z.meeting_id)
        assert meeting.moderator_id == z.ada.id
        assert meeting.starts_at.year == 2031 and meeting.duration_minutes == 120


@pytest.mark.parametrize("who", list(RUN))
@pytest.mark.parametrize(
    "suffix,data",
    [
        ("/step", {"step": "checkin"}),
        ("/timer", {"minutes": "3"}),
        ("/finish", {}),
    ],
)
def test_only_the_facilitator_or_moderator_steers(client, actor, z, who, suffix, data):
    acting = _client(actor, z, who)
    if acting is None:
        response = client.post(z.url(suffix), data=data)
        assert response.status_code in (302, 400)  # CSRF or login first
        return
    payload = dict(data)
    if suffix == "/timer" and RUN[who] == 200:
        run_to(z, acting, "checkin")
    response = acting.post(z.url(suffix), payload, htmx=True)
    expected = RUN[who]
    assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_poll_answers_204_while_nothing_changed_and_the_fragment_after(actor, z):
    ada = actor(z.ada)
    mona = actor(z.facilitator)
    version = version_of(ada.get(z.url()))
    unchanged = ada.get(z.url(f"/live?v={version}"), htmx=True)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    run_to(z, mona, "checkin")
    changed = ada.get(z.url(f"/live?v={version}"), htmx=True)
    assert changed.status_code == 200
    assert swapped_targets(changed) == {"meeting-live"}
    assert version_of(changed) > version


@pytest.mark.parametrize("who,status", [("anonymous", 302), ("outsider", 404)])
def test_poll_refuses_strangers(client, actor, z, who, status):
    acting = _client(actor, z, who)
    response = (acting.client if acting else client).get(z.url("/live?v=1"))
    assert response.status_code == status


def test_a_removed_member_stops_polling(app, actor, z):
    """An unchanged poll may skip the loaders for a few seconds; new content never does."""
    ada, mona = actor(z.ada), actor(z.facilitator)
    version = version_of(ada.get(z.url()))
    assert ada.get(z.url(f"/live?v={version}"), htmx=True).status_code == 204
    with app.app_context():
        db.session.execute(
            delete(Membership).where(
                Membership.user_id == z.ada.id, Membership.expedition_id == z.expedition.id
            )
        )
        db.session.commit()
    assert ada.get(z.url(f"/live?v={version}"), htmx=True).status_code == 204  # no news
    run_to(z, mona, "checkin")
    assert ada.get(z.url(f"/live?v={version}"), htmx=True).status_code == 404
    new_version = version_of(mona.get(z.url()))
    app.extensions["alex_meeting_poll_grants"].clear()  # the grant ran out
    assert ada.get(z.url(f"/live?v={new_version}"), htmx=True).status_code == 404


def test_poll_of_a_meeting_in_another_expedition_is_404(app, world, actor, z):
    other = make_zirkel(app, world)
    ada = actor(z.ada)
    response = ada.get(f"/expeditions/{z.expedition.id}/meetings/{other.meeting_id}/live?v=1")
    assert response.status_code == 404


def test_two_facilitators_moving_the_same_thing_elsewhere_get_409_with_the_fresh_state(actor, z):
    mona = actor(z.facilitator)
    cem = actor(z.moderator)
    assert cem.post(z.url("/step"), {"step": "checkin", "seen": ""}, htmx=True).status_code == 200
    # The same target from a page that had not seen Cem's move: a no-op success.
    agreed = mona.post(z.url("/step"), {"step": "checkin", "seen": ""}, htmx=True)
    assert agreed.status_code == 200 and errors_shown(agreed) == set()
    late = mona.post(z.url("/step"), {"step": "retro", "seen": ""}, htmx=True)
    assert late.status_code == 409
    assert swapped_targets(late) == {"meeting-live"}
    assert errors_shown(late) == {"error-step"}


def test_unknown_step_and_phase_get_a_clear_message(actor, z):
    mona = actor(z.facilitator)
    response = mona.post(z.url("/step"), {"step": "party", "seen": ""}, htmx=True)
    assert response.status_code == 422
    assert "no such step" in response.get_data(
        as_text=True
    ) or "keinen solchen" in response.get_data(as_text=True)
    run_to(z, mona, "retro")
    response = mona.post(z.url("/retro/phase"), {"phase": "dance", "seen": "write"}, htmx=True)
    assert response.status_code == 422


def test_check_in_with_mood_and_word(actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "checkin")
    response = ada.post(z.url("/check-in"), {"mood": "4", "word": "neugierig"}, htmx=True)
    assert response.status_code == 200
    assert "neugierig" in mona.get(z.url()).get_data(as_text=True)
    bad = ada.post(z.url("/check-in"), {"mood": "9", "word": "x" * 41}, htmx=True)
    assert bad.status_code == 422
    assert swapped_targets(bad) == {"meeting-live"} and errors_shown(bad) == {"error-checkin"}


def _retro_with_notes(actor, z, **setup):
    mona, ada, ben = actor(z.facilitator), actor(z.ada), actor(z.ben)
    run_to(z, mona, "retro")
    if setup:
        data = {"format": "start_stop_continue", "vote_limit": "3", **setup}
        assert mona.post(z.url("/retro"), data, htmx=True).status_code == 200
    assert (
        ada.post(
            z.url("/retro/items"), {"prompt": "0", "text": "Adas secret idea"}, htmx=True
        ).status_code
        == 200
    )
    assert (
        ben.post(
            z.url("/retro/items"), {"prompt": "1", "text": "Bens quiet worry"}, htmx=True
        ).status_code
        == 200
    )
    return mona, ada, ben


def _phase(mona, z, phase):
    response = mona.post(z.url("/retro/phase"), {"phase": phase}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


def _item_id(app, text):
    with app.app_context():
        return db.session.scalar(select(RetroItem.id).where(RetroItem.text == text))


def test_notes_stay_private_until_the_reveal(app, actor, z):
    mona, ada, ben = _retro_with_notes(actor, z, votes_enabled="1")  # named notes
    version = 1
    for viewer, own, foreign in (
        (ada, "Adas secret idea", "Bens quiet worry"),
        (ben, "Bens quiet worry", "Adas secret idea"),
    ):
        for page in (
            viewer.get(z.url()),
            viewer.get(z.url(), htmx=True),
            viewer.get(z.url(f"/live?v={version}")),
            viewer.get(z.url("/record")),
        ):
            body = page.get_data(as_text=True)
            assert foreign not in body
        assert own in viewer.get(z.url()).get_data(as_text=True)
    for page in (mona.get(z.url()), mona.get(z.url("/record"))):
        body = page.get_data(as_text=True)
        assert "Adas secret idea" not in body and "Bens quiet worry" not in body
    hidden = _item_id(app, "Bens quiet worry")
    assert ada.post(z.url(f"/retro/items/{hidden}/vote"), htmx=True).status_code == 404
    assert (
        ada.post(z.url(f"/retro/items/{hidden}"), {"text": "mine now"}, htmx=True).status_code
        == 404
    )
    _phase(mona, z, "reveal")
    body = ada.get(z.url()).get_data(as_text=True)
    assert "Bens quiet worry" in body and "Ben Okafor" in body


def test_anonymous_notes_store_no_author_and_show_none(app, actor, z):
    mona, ada, ben = _retro_with_notes(actor, z, anonymous="1")
    with app.app_context():
        assert db.session.scalars(select(RetroItem.author_id)).all() == [None, None]
    # Ada can still change her own note from her browser.
    own = _item_id(app, "Adas secret idea")
    assert (
        ada.post(z.url(f"/retro/items/{own}"), {"text": "Adas better idea"}, htmx=True).status_code
        == 200
    )
    assert (
        ben.post(z.url(f"/retro/items/{own}"), {"text": "hijacked"}, htmx=True).status_code == 404
    )
    _phase(mona, z, "reveal")
    body = mona.get(z.url()).get_data(as_text=True)
    assert "Adas better idea" in body and "Ada Lorenz</span>" not in body


def test_votes_respect_the_limit(app, actor, z):
    mona, ada, ben = _retro_with_notes(actor, z, votes_enabled="1", vote_limit="2")
    item = _item_id(app, "Bens quiet worry")
    # Voting before the vote phase is refused with a message.
    _phase(mona, z, "reveal")
    assert ada.post(z.url(f"/retro/items/{item}/vote"), htmx=True).status_code == 422
    _phase(mona, z, "vote")
    assert ada.post(z.url(f"/retro/items/{item}/vote"), htmx=True).status_code == 200
    assert ada.post(z.url(f"/retro/items/{item}/vote"), htmx=True).status_code == 200
    over = ada.post(z.url(f"/retro/items/{item}/vote"), htmx=True)
    assert over.status_code == 422
    assert "2" in over.get_data(as_text=True) and errors_shown(over) == {"error-vote"}
    assert ada.post(z.url(f"/retro/items/{item}/unvote"), htmx=True).status_code == 200
    assert ada.post(z.url(f"/retro/items/{item}/vote"), htmx=True).status_code == 200


def test_vote_phase_needs_voting_switched_on(actor, z):
    mona, _ada, _ben = _retro_with_notes(actor, z, anonymous="1")  # dot voting switched off
    response = mona.post(z.url("/retro/phase"), {"phase": "vote", "seen": "write"}, htmx=True)
    assert response.status_code == 422


def test_editing_own_note_while_the_facilitator_reveals_loses_nothing(app, actor, z):
    mona, ada, _ben = _retro_with_notes(actor, z)
    own = _item_id(app, "Adas secret idea")
    stale_version = version_of(ada.get(z.url()))
    _phase(mona, z, "reveal")  # the facilitator reveals between Ada loading and saving
    response = ada.post(z.url(f"/retro/items/{own}"), {"text": "Adas idea, sharpened"}, htmx=True)
    assert response.status_code == 200
    assert version_of(response) > stale_version
    assert "Adas idea, sharpened" in mona.get(z.url()).get_data(as_text=True)


def test_over_long_and_empty_notes_are_refused(actor, z):
    mona, ada, _ben = _retro_with_notes(actor, z)
    too_long = ada.post(z.url("/retro/items"), {"prompt": "0", "text": "x" * 501}, htmx=True)
    assert too_long.status_code == 422 and errors_shown(too_long) == {"error-item"}
    assert (
        ada.post(z.url("/retro/items"), {"prompt": "0", "text": "   "}, htmx=True).status_code
        == 422
    )
    assert (
        ada.post(z.url("/retro/items"), {"prompt": "7", "text": "x"}, htmx=True).status_code == 422
    )
    assert (
        ada.post(z.url("/retro/items"), {"prompt": "nope", "text": "x"}, htmx=True).status_code
        == 422
    )


def test_custom_prompts_are_saved_as_template(app, actor, z):
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    response = mona.post(
        z.url("/retro"),
        {
            "format": "custom",
            "prompts": "Was trägt?\nWas bremst?",
            "template_name": "Unser Format",
            "vote_limit": "3",
        },
        htmx=True,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Was bremst?" in body and "Unser Format" in body
    too_many = mona.post(
        z.url("/retro"),
        {"format": "custom", "prompts": "\n".join("abcdefg"), "vote_limit": "3"},
        htmx=True,
    )
    assert too_many.status_code == 422


def test_participant_cannot_steer_the_retro(actor, z):
    mona, ada, _ben = _retro_with_notes(actor, z)
    version = version_of(ada.get(z.url()))
    assert (
        ada.post(
            z.url("/retro/phase"), {"phase": "reveal", "version": version}, htmx=True
        ).status_code
        == 403
    )
    assert ada.post(z.url("/retro"), {"format": "4l"}, htmx=True).status_code == 403
    assert (
        ada.post(
            z.url("/actions"), {"title": "x", "owner_id": z.ada.id, "kind": "task"}, htmx=True
        ).status_code
        == 403
    )
    assert ada.post(z.url("/retro/discuss"), {"item_id": ""}, htmx=True).status_code == 403


def test_grouping_and_discussing(app, actor, z):
    mona, ada, _ben = _retro_with_notes(actor, z)
    _phase(mona, z, "discuss")
    first, second = _item_id(app, "Adas secret idea"), _item_id(app, "Bens quiet worry")
    assert (
        mona.post(z.url(f"/retro/items/{first}/group"), {"other_id": second}, htmx=True).status_code
        == 200
    )
    response = mona.post(z.url("/retro/discuss"), {"item_id": first}, htmx=True)
    assert response.status_code == 200
    assert "item-discussing" in ada.get(z.url()).get_data(as_text=True)


def test_action_becomes_a_card_and_is_reviewed_at_the_next_meeting(app, world, actor, z):
    mona, ada, _ben = _retro_with_notes(actor, z)
    _phase(mona, z, "actions")
    response = mona.post(
        z.url("/actions"),
        {
            "title": "Daily 10-Minuten-Abstimmung ausprobieren",
            "owner_id": z.ada.id,
            "kind": "experiment",
        },
        htmx=True,
    )
    assert response.status_code == 200
    with app.app_context():
        action = db.session.scalar(select(RetroAction))
        card = db.session.get(Card, action.card_id)
        assert (card.owner_id, card.column, card.kind, card.sprint_number) == (
            z.ada.id,
            "sprint",
            "experiment",
            2,
        )
    finish_version = version_of(mona.get(z.url()))
    assert mona.post(z.url("/finish"), {"version": finish_version}, htmx=True).status_code == 200
    assert "Daily 10-Minuten-Abstimmung" in ada.get(z.url("/record")).get_data(as_text=True)

    # The next Zirkeltreffen opens by reviewing it.
    from datetime import timedelta

    from alex.meetings import service

    with app.app_context():
        earlier = db.session.get(Meeting, z.meeting_id)
        nxt = service.schedule_meeting(
            db.session,
            db.session.get(Expedition, z.expedition.id),
            service.Schedule(
                "zirkeltreffen", earlier.starts_at + timedelta(weeks=4), 90, "", 2, None
            ),
        )
        db.session.commit()
        next_url = f"/expeditions/{z.expedition.id}/meetings/{nxt.id}"
    version = version_of(mona.get(next_url))
    mona.post(f"{next_url}/step", {"step": "actions_review", "version": version}, htmx=True)
    page = ada.get(next_url).get_data(as_text=True)
    assert "Daily 10-Minuten-Abstimmung ausprobieren" in page
    with app.app_context():
        action_id = db.session.scalar(select(RetroAction.id))
    assert (
        actor(z.ben)
        .post(f"{next_url}/actions/{action_id}/review", {"outcome": "done"}, htmx=True)
        .status_code
        == 403
    )
    reviewed = ada.post(
        f"{next_url}/actions/{action_id}/review",
        {"outcome": "learned", "note": "Kurz hilft."},
        htmx=True,
    )
    assert reviewed.status_code == 200
    assert (
        ada.post(
            f"{next_url}/actions/{action_id}/review", {"outcome": "maybe"}, htmx=True
        ).status_code
        == 422
    )
    with app.app_context():
        assert db.session.get(RetroAction, action_id).outcome == "learned"


def test_action_for_a_non_member_is_refused(actor, z):
    mona, _ada, _ben = _retro_with_notes(actor, z)
    _phase(mona, z, "actions")
    response = mona.post(
        z.url("/actions"), {"title": "Sneak", "owner_id": z.outsider.id, "kind": "task"}, htmx=True
    )
    assert response.status_code == 422
    assert errors_shown(response) == {"error-action"}
    long = mona.post(
        z.url("/actions"), {"title": "x" * 201, "owner_id": z.ada.id, "kind": "task"}, htmx=True
    )
    assert long.status_code == 422


def test_review_round_shows_the_person_and_timer(actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "review_round")
    assert (
        mona.post(z.url("/review"), {"user_id": z.ada.id, "minutes": "5"}, htmx=True).status_code
        == 200
    )
    body = ada.get(z.url()).get_data(as_text=True)
    assert "Ada Lorenz" in body and "data-deadline" in body
    assert mona.post(z.url("/review"), {"user_id": z.outsider.id}, htmx=True).status_code == 422


def test_planning_focus(actor, z):
    mona, ada = actor(z.facilitator), actor(z.ada)
    run_to(z, mona, "planning")
    assert (
        ada.post(
            z.url("/focus"), {"focus": "Weniger Meetings, mehr Fokuszeit"}, htmx=True
        ).status_code
        == 200
    )
    assert "Weniger Meetings" in ada.get(z.url()).get_data(as_text=True)
    assert ada.post(z.url("/focus"), {"focus": "x" * 501}, htmx=True).status_code == 422


def test_plain_form_posts_redirect_back(actor, z):
    mona = actor(z.facilitator)
    version = version_of(mona.get(z.url()))
    response = mona.post(z.url("/step"), {"step": "checkin", "version": version})
    assert response.status_code == 302 and response.headers["Location"].endswith(z.url())


HUGE = str(10**20)


@pytest.mark.parametrize(
    "at,suffix,data",
    [
        ("retro", "/step", {"step": "checkin", "seen": "x" * 50}),
        ("retro", "/timer", {"minutes": HUGE}),
        ("review_round", "/review", {"user_id": HUGE, "minutes": "5"}),
        ("checkin", "/presence", {"user_id": HUGE, "present": "1"}),
        ("checkin", "/check-in", {"mood": HUGE, "word": "wach"}),
        ("retro", "/retro", {"format": "template:" + HUGE, "vote_limit": "3"}),
        ("retro", "/retro", {"format": "start_stop_continue", "vote_limit": HUGE}),
        ("retro", "/retro/phase", {"phase": "reveal", "seen": "x" * 50}),
        ("retro", "/retro/items", {"prompt": HUGE, "text": "x"}),
        ("retro", "/retro/discuss", {"item_id": HUGE}),
        ("retro:actions", "/actions", {"title": "x", "owner_id": HUGE, "kind": "task"}),
        (
            "retro:actions",
            "/actions",
            {"title": "x", "owner_id": "1", "kind": "task", "item_id": HUGE},
        ),
    ],
)
def test_numbers_out_of_range_get_a_message_not_an_error(actor, z, at, suffix, data):
    """A number no column can hold is refused next to its form (or is a missing thing: 404)."""
    mona = actor(z.facilitator)
    step, _, retro_phase = at.partition(":")
    run_to(z, mona, step)
    if retro_phase:
        _phase(mona, z, retro_phase)
    response = mona.post(z.url(suffix), data, htmx=True)
    assert response.status_code in (404, 422), response.get_data(as_text=True)[:300]
    if response.status_code == 422:
        assert swapped_targets(response) == {"meeting-live"}
        assert len(errors_shown(response)) == 1


def test_a_note_group_uses_the_other_notes_field(app, actor, z):
    mona, _ada, _ben = _retro_with_notes(actor, z)
    _phase(mona, z, "discuss")
    first, second = _item_id(app, "Adas secret idea"), _item_id(app, "Bens quiet worry")
    grouped = mona.post(z.url(f"/retro/items/{first}/group"), {"other_id": second}, htmx=True)
    assert grouped.status_code == 200
    assert swapped_targets(grouped) == {"meeting-live"}
    assert grouped.headers.get("HX-Trigger") is None  # grouping announces nothing
    ungrouped = mona.post(z.url(f"/retro/items/{first}/group"), {"other_id": ""}, htmx=True)
    assert ungrouped.status_code == 200
    with app.app_context():
        assert db.session.get(RetroItem, first).group_id is None


def test_a_command_announces_what_happened(actor, z):
    mona = actor(z.facilitator)
    version = version_of(mona.get(z.url()))
    response = mona.post(z.url("/step"), {"step": "checkin", "version": version}, htmx=True)
    assert response.status_code == 200
    assert "announce" in json.loads(response.headers["HX-Trigger"])


def test_a_saved_format_is_chosen_by_its_id_within_the_expedition(app, world, actor, z):
    from alex.meetings.models import RetroTemplate

    other = make_zirkel(app, world)
    with app.app_context():
        ours = RetroTemplate(expedition_id=z.expedition.id, name="Unser", prompts="Hell\nDunkel")
        theirs = RetroTemplate(expedition_id=other.expedition.id, name="Fremd", prompts="X")
        db.session.add_all([ours, theirs])
        db.session.commit()
        ours_id, theirs_id = ours.id, theirs.id
    mona = actor(z.facilitator)
    run_to(z, mona, "retro")
    chosen = mona.post(z.url("/retro"), {"format": f"template:{ours_id}"}, htmx=True)
    assert chosen.status_code == 200 and "Dunkel" in chosen.get_data(as_text=True)
    foreign = mona.post(z.url("/retro"), {"format": f"template:{theirs_id}"}, htmx=True)
    assert foreign.status_code == 404
