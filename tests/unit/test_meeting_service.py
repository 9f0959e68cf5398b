"""Meeting domain functions directly: versions, privacy, votes, anonymity, constant queries."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from alex.auth.models import User
from alex.db import utcnow
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from alex.meetings import service
from alex.meetings.models import Meeting, RetroAction, RetroItem
from alex.meetings.state import live_state
from tests.support.meetings import make_zirkel, version_of


@contextmanager
def counted(engine):
    """Count the SQL statements run inside the block."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def z(app, world):
    return make_zirkel(app, world)


SECRET = "test-secret"


def writer(user) -> service.Writer:
    """A person writing notes, with the app's secret that keys their anonymous notes."""
    return service.Writer(user.id, SECRET)


def _running_retro(session, z, **rules):
    meeting = session.get(Meeting, z.meeting_id)
    service.go_to_step(session, meeting, "retro")
    if rules:
        service.configure_retro(session, meeting, format="start_stop_continue", **rules)
    session.commit()
    return meeting, service.retro_of(session, meeting)


def test_every_change_bumps_the_version_and_only_a_moved_target_conflicts(session, z):
    meeting = session.get(Meeting, z.meeting_id)
    start = meeting.version
    service.go_to_step(session, meeting, "checkin", "")
    assert meeting.version == start + 1 and meeting.status == "running"
    service.go_to_step(session, meeting, "checkin", "")  # already there: a no-op success
    assert meeting.step == "checkin"
    with pytest.raises(service.StaleMeeting):
        service.go_to_step(session, meeting, "retro", "")  # someone moved it from "" meanwhile


def test_skipping_marks_the_step(session, z):
    meeting = session.get(Meeting, z.meeting_id)
    service.go_to_step(session, meeting, "checkin")
    service.go_to_step(session, meeting, "actions_review", skip_current=True)
    assert service.skipped(meeting) == {"checkin"}
    service.go_to_step(session, meeting, "checkin")
    assert service.skipped(meeting) == set()


def test_notes_are_hidden_from_others_until_the_reveal(session, z):
    meeting, retro = _running_retro(session, z)
    ada, ben = session.get(User, z.ada.id), session.get(User, z.ben.id)
    service.add_item(session, meeting, retro, writer(ada), 0, "Ada only")
    session.commit()
    ben_membership = session.scalar(select(Membership).where(Membership.user_id == ben.id))
    hidden = live_state(session, ben_membership, meeting, writer(ben), {})
    assert hidden.items == [] and hidden.hidden_count == 1
    service.set_phase(session, meeting, "reveal")
    shown = live_state(session, ben_membership, meeting, writer(ben), {})
    assert [v.item.text for v in shown.items] == ["Ada only"]


def test_vote_limit_holds(session, z):
    meeting, retro = _running_retro(session, z, votes_enabled=True, vote_limit=1)
    ada = session.get(User, z.ada.id)
    item = service.add_item(session, meeting, retro, writer(ada), 0, "Vote me")
    service.set_phase(session, meeting, "vote")
    service.vote(session, meeting, retro, item, ada.id)
    with pytest.raises(service.MeetingError):
        service.vote(session, meeting, retro, item, ada.id)
    assert service.votes_used(session, retro, ada.id) == 1


def test_anonymous_items_have_no_author_and_deleted_accounts_keep_their_items(session, z):
    meeting, retro = _running_retro(session, z, anonymous=True)
    ada, ben = session.get(User, z.ada.id), session.get(User, z.ben.id)
    anonymous = service.add_item(session, meeting, retro, writer(ada), 0, "Who wrote me?")
    assert anonymous.author_id is None
    session.commit()
    meeting2_retro = retro
    meeting2_retro.anonymous = False
    named = service.add_item(session, meeting, retro, writer(ben), 1, "Ben wrote me")
    session.commit()
    session.delete(ben)
    session.commit()
    session.expire_all()
    kept = session.get(RetroItem, named.id)
    assert kept is not None and kept.author_id is None and kept.text == "Ben wrote me"


def test_action_becomes_a_next_sprint_card_and_refuses_outsiders(session, z):
    meeting, _retro = _running_retro(session, z)
    expedition = session.get(Expedition, z.expedition.id)
    action = service.add_action(
        session, meeting, expedition, title="Try it", owner_id=z.ben.id, kind="task"
    )
    from alex.boards.models import Card

    card = session.get(Card, action.card_id)
    assert (card.owner_id, card.column, card.sprint_number, card.kind) == (
        z.ben.id,
        "sprint",
        2,
        "task",
    )
    with pytest.raises(service.MeetingError):
        service.add_action(
            session, meeting, expedition, title="No", owner_id=z.outsider.id, kind="task"
        )


def test_previous_meeting_is_the_latest_with_actions(session, z):
    meeting, _retro = _running_retro(session, z)
    expedition = session.get(Expedition, z.expedition.id)
    service.add_action(session, meeting, expedition, title="A", owner_id=z.ada.id, kind="task")
    later = service.schedule_meeting(
        session,
        expedition,
        service.Schedule("zirkeltreffen", meeting.starts_at + timedelta(weeks=4), 90, "", 2, None),
    )
    assert service.previous_meeting(session, later).id == meeting.id
    assert service.previous_meeting(session, meeting) is None
    assert [a.title for a in service.actions_of(session, [meeting.id])] == ["A"]
    session.commit()
    assert session.scalar(select(RetroAction.outcome)) is None


def test_live_page_costs_the_same_queries_for_few_and_many_notes(app, session, z):
    meeting, retro = _running_retro(session, z, votes_enabled=True)
    ada = session.get(User, z.ada.id)
    membership = session.scalar(select(Membership).where(Membership.user_id == ada.id))

    def add(count: int) -> None:
        for n in range(count):
            item = service.add_item(session, meeting, retro, writer(ada), n % 3, f"Note {n}")
            session.add(
                RetroAction(meeting_id=meeting.id, owner_id=ada.id, title="A", item_id=item.id)
            )
        session.commit()

    def cost() -> int:
        session.expire_all()
        with counted(db.engine) as statements:
            state = live_state(session, membership, meeting, writer(ada), {})
            _ = [a.owner.name for a in state.actions] + [m.user.name for m in state.members]
            _ = [v.item.author.name for v in state.items]
        return len(statements)

    add(2)
    few = cost()
    add(30)
    assert cost() == few


def _poll_statements(app, person, url) -> list[str]:
    with app.app_context(), counted(db.engine) as statements:
        response = person.get(url, htmx=True)
    assert response.status_code == 204
    return [q for q in statements if q not in ("BEGIN", "COMMIT", "ROLLBACK")]


def test_unchanged_poll_goes_through_the_loaders_then_reads_only_the_version(app, actor, z):
    """The first poll: the user loader (which reads the membership too), then the version; then,
    within the grant, the version alone (alex.meetings.poll_grants)."""
    ada = actor(z.ada)
    url = z.url(f"/live?v={version_of(ada.get(z.url()))}")
    user_and_membership, meeting = _poll_statements(app, ada, url)
    assert "JOIN login_session" in user_and_membership
    assert "LEFT OUTER JOIN membership" in user_and_membership
    assert "LEFT OUTER JOIN expedition" in user_and_membership
    assert meeting.startswith("SELECT meeting.version \nFROM meeting")  # no row object
    for _ in range(3):
        assert _poll_statements(app, ada, url) == [meeting]


def test_demo_seed_has_meetings_with_records_and_the_next_one(app):
    from alex.demo import seed_demo

    with app.app_context():
        demo = seed_demo(db.session, date.today(), cards_per_board=3)
        db.session.commit()
        meetings = service.meetings_of(db.session, demo.expedition)
        assert [m.kind for m in meetings] == [
            "kickoff",
            "zirkeltreffen",
            "zirkeltreffen",
            "zirkeltreffen",
        ]
        assert [m.status for m in meetings] == ["finished", "finished", "finished", "scheduled"]
        assert meetings[-1].starts_at > utcnow()
        actions = service.actions_of(db.session, [m.id for m in meetings])
        assert len(actions) == 4 and all(a.card_id for a in actions)
        assert {a.outcome for a in actions[:2]} == {"done", "learned"}


def test_poll_honours_the_expeditions_two_factor_requirement(app, actor, z):
    """The poll skips the app-wide guard hook, so it must refuse a session without 2FA itself.

    What counts is the login session having passed the second factor, not the account's setting.
    """
    from sqlalchemy import update

    from alex.auth.models import LoginSession
    from alex.twofactor.models import TwoFactor, TwoFactorRequirement

    ada = actor(z.ada)
    version = version_of(ada.get(z.url()))
    with app.app_context():
        db.session.add(TwoFactorRequirement(expedition_id=z.expedition.id))
        db.session.commit()
    assert ada.get(z.url(f"/live?v={version}"), htmx=True).status_code == 403
    with app.app_context():
        db.session.add(TwoFactor(user_id=z.ada.id, secret="JBSWY3DPEHPK3PXP", enabled_at=utcnow()))
        db.session.commit()
    # Turned on elsewhere: this password-only session is still held back.
    assert ada.get(z.url(f"/live?v={version}"), htmx=True).status_code == 403
    with app.app_context():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == z.ada.id)
            .values(passed_second_factor=True)
        )
        db.session.commit()
    assert ada.get(z.url(f"/live?v={version}"), htmx=True).status_code == 204


def test_a_random_note_id_that_is_taken_is_drawn_again(session, z, monkeypatch):
    meeting, retro = _running_retro(session, z, anonymous=True)
    ada = session.get(User, z.ada.id)
    first = service.add_item(session, meeting, retro, writer(ada), 0, "First")
    session.commit()
    draws = iter([first.id, first.id, 4242])
    monkeypatch.setattr("alex.meetings.models.new_note_id", lambda: next(draws))
    second = service.add_item(session, meeting, retro, writer(ada), 1, "Second")
    session.commit()
    assert second.id == 4242
    assert {i.text for i in session.scalars(select(RetroItem))} == {"First", "Second"}


def test_an_anonymous_note_is_only_its_authors_and_stores_no_author(session, z):
    meeting, retro = _running_retro(session, z, anonymous=True)
    ada, ben = session.get(User, z.ada.id), session.get(User, z.ben.id)
    note = service.add_item(session, meeting, retro, writer(ada), 0, "Mine")
    assert note.author_id is None and note.author_key
    assert service.is_mine(note, writer(ada)) and not service.is_mine(note, writer(ben))
    # Without the app's secret, the stored key cannot be matched to a person.
    assert not service.is_mine(note, service.Writer(ada.id, "another-secret"))
    assert ada.name not in note.author_key and str(ada.id) != note.author_key


def test_meetings_do_not_reach_into_the_progress_area():
    """Meetings send notifications through the core module; progress may read meetings."""
    import ast
    from pathlib import Path

    import alex.meetings

    package = Path(alex.meetings.__file__).parent
    imported = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert not {name for name in imported if name.startswith("alex.progress")}
