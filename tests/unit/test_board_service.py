"""Board domain functions without HTTP: moves, carry-over, Vorhaben history, Logbuch, Markdown."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import func, select

from alex.boards import service
from alex.boards.markdown import render_markdown
from alex.boards.models import Card, CardMove, CheckIn, SprintReflection
from alex.demo import seed_demo


@pytest.fixture
def board(world, session):
    ada = world.user("Ada Lorenz")
    ben = world.user("Ben Okafor")
    expedition = world.expedition(ada)
    world.join(expedition, ben)
    return {"ex": expedition, "ada": ada, "ben": ben, "session": session}


def cards(session, ex_id, user_id, column):
    return [
        c.title
        for c in session.scalars(
            select(Card)
            .where(Card.expedition_id == ex_id, Card.owner_id == user_id, Card.column == column)
            .order_by(Card.position)
        )
    ]


def make(board, *titles, column="ideas"):
    s, ex, ada = board["session"], board["ex"], board["ada"]
    made = [service.create_card(s, ex.id, ada.id, t, column=column) for t in titles]
    s.commit()
    return made


def test_move_across_columns_renumbers_both(board):
    s, ex, ada = board["session"], board["ex"], board["ada"]
    a, b, c = make(board, "A", "B", "C")
    (x,) = make(board, "X", column="doing")
    service.move_card(s, b, "doing", 0, b.version, sprint_number=2)
    s.commit()
    assert cards(s, ex.id, ada.id, "ideas") == ["A", "C"]
    assert cards(s, ex.id, ada.id, "doing") == ["B", "X"]
    assert [c.position for c in (a, c)] == [0, 1]
    assert b.sprint_number == 2 and b.version == 2
    moves = s.scalars(select(CardMove).where(CardMove.card_id == b.id).order_by(CardMove.id)).all()
    assert [(m.from_column, m.to_column, m.sprint_number) for m in moves] == [
        (None, "ideas", None),
        ("ideas", "doing", 2),
    ]


def test_move_clamps_position_and_leaves_other_versions_alone(board):
    s, ex, ada = board["session"], board["ex"], board["ada"]
    a, b, c = make(board, "A", "B", "C")
    service.move_card(s, a, "ideas", 99, a.version, sprint_number=1)
    s.commit()
    assert cards(s, ex.id, ada.id, "ideas") == ["B", "C", "A"]
    # Neighbours shift in bulk without a version bump: another device's move of B stays valid.
    s.refresh(b)
    assert b.version == 1


def test_neighbours_that_only_shift_keep_their_last_change(board):
    """The Zirkel's "recent learnings" go by updated_at: a shift is no change of the card."""
    s = board["session"]
    a, b, c = make(board, "A", "B", "C")
    (x,) = make(board, "X", column="doing")
    before = {card.title: card.updated_at for card in (a, b, c, x)}
    service.move_card(s, c, "doing", 0, c.version, sprint_number=1)  # X shifts down
    service.move_card(s, a, "ideas", 5, a.version, sprint_number=1)  # B shifts up
    s.commit()
    for card in (b, x):
        s.refresh(card)
        assert card.updated_at == before[card.title], card.title
    s.refresh(c)
    assert c.updated_at > before["C"]


def test_stale_version_raises_and_changes_nothing(board):
    s = board["session"]
    (a,) = make(board, "A")
    with pytest.raises(service.StaleCard):
        service.move_card(s, a, "done", 0, a.version + 1, sprint_number=1)
    s.rollback()
    assert s.get(Card, a.id).column == "ideas"


def test_concurrent_update_is_caught_by_the_version_column(board, app):
    """Both devices loaded version 1; the later conditional UPDATE matches no row (StaleCard)."""
    from sqlalchemy.orm import Session

    from alex.extensions import db

    s = board["session"]
    (a,) = make(board, "A")
    s.refresh(a)
    s.expire_on_commit = False
    s.commit()  # the first device holds version 1 in memory, no open transaction
    with Session(db.engine) as other:
        twin = other.get(Card, a.id)
        service.move_card(other, twin, "doing", 0, 1, sprint_number=1)
        other.commit()
    assert a.version == 1
    with pytest.raises(service.StaleCard):
        service.move_card(s, a, "done", 0, 1, sprint_number=1)
    s.rollback()
    assert s.get(Card, a.id).column == "doing"


def test_deleting_a_card_another_device_deleted_is_stale_not_an_error(board):
    from sqlalchemy.orm import Session

    from alex.extensions import db

    s = board["session"]
    a, b = make(board, "A", "B")
    s.refresh(a)
    s.expire_on_commit = False
    s.commit()  # this device holds A in memory, no open transaction
    with Session(db.engine) as other:
        service.delete_card(other, other.get(Card, a.id))
        other.commit()
    with pytest.raises(service.StaleCard):
        service.delete_card(s, a)
    s.rollback()
    assert cards(s, board["ex"].id, board["ada"].id, "ideas") == ["B"]
    assert_dense(s, board["ex"].id, board["ada"].id)


def test_unknown_column_is_refused(board):
    s = board["session"]
    (a,) = make(board, "A")
    with pytest.raises(service.BoardError):
        service.move_card(s, a, "archive", 0, a.version, sprint_number=1)


def test_carry_over(board):
    s, ex, ada = board["session"], board["ex"], board["ada"]
    keep, back, drop = make(board, "Weiter", "Zurück", "Weg", column="doing")
    for card in (keep, back, drop):
        card.sprint_number = 1
    (finished,) = make(board, "Fertig", column="done")
    s.commit()
    offered = service.unfinished_cards(s, ex.id, ada.id, 1)
    assert {c.title for c in offered} == {"Weiter", "Zurück", "Weg"}
    tally = service.carry_over(
        s, ex.id, ada.id, {keep.id: "keep", back.id: "ideas", drop.id: "drop"}, 2
    )
    s.commit()
    assert tally == {"keep": 1, "ideas": 1, "drop": 1}
    assert keep.sprint_number == 2 and keep.column == "doing"
    assert s.get(Card, back.id).column == "ideas" and s.get(Card, back.id).sprint_number is None
    assert s.get(Card, drop.id) is None
    with pytest.raises(service.BoardError):
        service.carry_over(s, ex.id, ada.id, {keep.id: "burn"}, 2)


def positions(session, ex_id, user_id) -> dict[str, list[int]]:
    """Every column's positions, as stored, in order."""
    found: dict[str, list[int]] = {}
    for column, position in session.execute(
        select(Card.column, Card.position)
        .where(Card.expedition_id == ex_id, Card.owner_id == user_id)
        .order_by(Card.column, Card.position)
    ):
        found.setdefault(column, []).append(position)
    return found


def assert_dense(session, ex_id, user_id):
    """The board's invariant: every column's positions are exactly 0..n-1."""
    for column, found in positions(session, ex_id, user_id).items():
        assert found == list(range(len(found))), f"{column}: positions {found}"


@pytest.mark.parametrize("choice", ["drop", "ideas"])
def test_carry_over_of_neighbours_keeps_positions_dense(board, choice):
    """Carrying A and B out of [A0, B1, C2, D3]: C and D end at 0 and 1."""
    s, ex, ada = board["session"], board["ex"], board["ada"]
    a, b, c, d = make(board, "A", "B", "C", "D", column="doing")
    for card in (a, b, c, d):
        card.sprint_number = 1
    s.commit()
    service.carry_over(s, ex.id, ada.id, {a.id: choice, b.id: choice}, 2)
    s.commit()
    assert cards(s, ex.id, ada.id, "doing") == ["C", "D"]
    assert_dense(s, ex.id, ada.id)


def test_carry_over_ignores_other_peoples_cards(board):
    s, ex, ben = board["session"], board["ex"], board["ben"]
    theirs = service.create_card(s, ex.id, ben.id, "Bens Karte", column="doing")
    s.commit()
    service.carry_over(s, ex.id, board["ada"].id, {theirs.id: "drop"}, 2)
    s.commit()
    assert s.get(Card, theirs.id) is not None


def test_vorhaben_history_keeps_every_version(board):
    s, ex, ada = board["session"], board["ex"], board["ada"]
    first = service.save_vorhaben(s, ex.id, ada.id, {"what": "Agil werden"}, version=None)
    s.commit()
    service.save_vorhaben(
        s, ex.id, ada.id, {"what": "Kanban im Team"}, version=first.version, reason="konkreter"
    )
    s.commit()
    same = service.save_vorhaben(s, ex.id, ada.id, {"what": "Kanban im Team"}, version=2)
    s.commit()
    assert same.what == "Kanban im Team" and len(same.versions) == 1
    assert (same.versions[0].what, same.versions[0].reason) == ("Agil werden", "konkreter")
    with pytest.raises(service.StaleCard):
        service.save_vorhaben(s, ex.id, ada.id, {"what": "Alt"}, version=1)


def test_sprint_focus_and_assessment(board):
    s, ex, ada = board["session"], board["ex"], board["ada"]
    service.set_sprint_focus(s, ex.id, ada.id, 1, "  Zuhören lernen. ")
    service.assess_sprint(s, ex.id, ada.id, 1, 7, "Gut gelaufen.")
    s.commit()
    (r,) = service.reflections(s, ex.id, ada.id)
    assert (r.focus, r.confidence, r.assessment) == ("Zuhören lernen.", 7, "Gut gelaufen.")
    with pytest.raises(service.BoardError):
        service.assess_sprint(s, ex.id, ada.id, 1, 11, "")


def test_check_ins_private_stay_private(board):
    s, ex, ada, ben = board["session"], board["ex"], board["ada"], board["ben"]
    service.add_check_in(s, ex.id, ada.id, done="Öffentlich", needs_support=True)
    service.add_check_in(s, ex.id, ada.id, learned="Geheim", visibility="private")
    s.commit()
    assert [c.done or c.learned for c in service.check_ins(s, ex.id, ben.id)] == ["Öffentlich"]
    assert len(service.check_ins(s, ex.id, ada.id)) == 2
    (open_request,) = service.open_support_requests(s, ex.id)
    service.clear_support(s, open_request)
    s.commit()
    assert service.open_support_requests(s, ex.id) == []
    with pytest.raises(service.BoardError):
        service.add_check_in(s, ex.id, ada.id, done="  ")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "[klick](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "[x](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "![bild](javascript:alert(1))",
    ],
)
def test_markdown_never_executes(text):
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(str(render_markdown(text)))
    for tag, attrs in found:
        assert tag not in {"script", "img", "iframe"}
        assert not any(name.startswith("on") for name in attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript")


def test_markdown_keeps_formatting_and_safe_links():
    html = str(render_markdown("**fett** und [Link](https://example.org)\n- eins"))
    assert "<strong>fett</strong>" in html and 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html and "<li>eins</li>" in html


def _not_from_retro():
    """The board's own demo cards; the meetings demo adds retro actions as cards on top."""
    from alex.meetings.models import RetroAction

    return Card.id.not_in(select(RetroAction.card_id).where(RetroAction.card_id.is_not(None)))


def test_demo_seed_has_boards_and_is_quick_with_many_cards(session):
    started = time.perf_counter()
    demo = seed_demo(session, date.today(), cards_per_board=1000)
    session.commit()
    elapsed = time.perf_counter() - started
    for user in demo.participants:
        n = session.scalar(
            select(func.count())
            .select_from(Card)
            .where(Card.owner_id == user.id, _not_from_retro())
        )
        assert n == 1000
    assert (
        session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.needs_support)) >= 1
    )
    assert session.scalar(select(func.count()).select_from(SprintReflection)) == 9
    assert (
        session.scalar(select(func.count()).select_from(Card).where(Card.visibility == "private"))
        > 3
    )
    assert elapsed < 30, elapsed


def test_demo_seed_default_has_twelve_cards_and_move_history(session):
    demo = seed_demo(session, date.today())
    session.commit()
    ada = demo.participants[0]
    titles = session.scalars(
        select(Card.title).where(Card.owner_id == ada.id, _not_from_retro())
    ).all()
    assert (
        len(titles) == 12 and "Drei Bürger:innen am Schalter nach ihrem Anliegen fragen" in titles
    )
    moved = session.scalar(
        select(func.count())
        .select_from(CardMove)
        .join(Card)
        .where(Card.owner_id == ada.id, CardMove.from_column.is_not(None))
    )
    assert moved > 12
