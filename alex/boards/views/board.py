"""The board and what a person does on it: look, move a card, add a card."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from alex.boards import forms, service
from alex.boards.labels import COLUMN_LABELS
from alex.boards.models import Card
from alex.boards.present import BoardHtml, board_labels, moved_card_html
from alex.boards.views.common import (
    announce,
    board_answer,
    board_context,
    bp,
    current_sprint_number,
    get_own_card_or_404,
    own_board_context,
    peers,
    stale_board,
)
from alex.expeditions.access import get_expedition_member_or_404, get_membership_or_404
from alex.expeditions.models import Membership
from alex.extensions import db, htmx
from alex.web import htmx_response, render, wants_fragment


@bp.get("/board")
@login_required
def board(expedition_id: int):
    """My kanban board (a facilitator without a Vorhaben of their own has none)."""
    membership = get_membership_or_404(expedition_id)
    if not membership.is_participant:
        return redirect(url_for("expeditions.show", expedition_id=expedition_id))
    return render("boards/board.html", "boards/_board.html", **own_board_context(membership))


@bp.get("/board/<int:user_id>")
@login_required
def member_board(expedition_id: int, user_id: int):
    """A peer's board, read-only, with only the cards they share with the Zirkel."""
    membership = get_membership_or_404(expedition_id)
    if user_id == current_user.id:
        return redirect(url_for("boards.board", expedition_id=expedition_id))
    owner = get_expedition_member_or_404(membership.expedition, user_id)
    context = board_context(membership, owner, peers=peers(membership.expedition))
    return render("boards/member_board.html", "boards/_board.html", **context)


@bp.get("/cards/<int:card_id>/move")
@login_required
def move_form(expedition_id: int, card_id: int):
    """The "Verschieben nach…" form on its own page (works without JavaScript)."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id)
    form = forms.MoveForm(data={"column": card.column, "version": card.version})
    return render("boards/move.html", expedition=membership.expedition, card=card, form=form)


@bp.post("/cards/<int:card_id>/move")
@login_required
def move_card(expedition_id: int, card_id: int):
    """Move my card to a column and position (form fields column, position or place, version)."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id, checklist=False)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        if "version" not in form.errors and form.version.data != card.version:
            return stale_board(membership)
        message = next(iter(form.errors.values()))[0]
        if wants_fragment():  # the sheet has closed; the message shows above the board
            return board_answer(membership, str(message), 422)
        return render(
            "boards/move.html", status=422, expedition=membership.expedition, card=card, form=form
        )
    return _move(
        membership,
        card,
        form.column.data,
        form.zero_based_position(),
        form.version.data,
        learning=form.learning.data,
    )


@bp.post("/board/advance")
@login_required
def advance_card(expedition_id: int):
    """One tap: move a card to the end of the next column (button value "<card id>:<version>")."""
    membership = get_membership_or_404(expedition_id)
    form = forms.AdvanceForm()
    if not form.validate_on_submit():
        abort(400)
    card_id, version = form.card_and_version()
    card = get_own_card_or_404(membership, card_id, checklist=False)
    target = service.next_column(card.column)
    if target is None:
        abort(400)
    return _move(membership, card, target, None, version)


def _move(
    membership: Membership,
    card: Card,
    column: str,
    position: int | None,
    version: int,
    learning: str | None = None,
):
    """Run a move, commit, and answer: the changed fragments, a redirect, or 409."""
    expedition = membership.expedition
    sprint = current_sprint_number(expedition)
    try:
        moved = service.move_card(
            db.session, card, column, position, version, sprint_number=sprint, learning=learning
        )
    except (service.StaleCard, StaleDataError):
        return stale_board(membership)
    db.session.expire_on_commit = False  # the answer shows what was just written
    db.session.commit()
    message = _(
        "“%(title)s” moved to “%(column)s”, place %(place)d.",
        title=moved.card.title,
        column=COLUMN_LABELS[moved.card.column],
        place=moved.position + 1,
    )
    if not htmx:
        flash(message, "success")
        return redirect(
            url_for("boards.board", expedition_id=expedition.id) + f"#card-{moved.card.id}"
        )
    labels = board_labels(expedition.id, membership.wip_limit, sprint)
    return htmx_response(
        "boards/_moved.html",
        trigger=announce(message),
        reswap="none",  # every part of the answer swaps out of band
        expedition=expedition,
        readonly=False,
        moved=moved,
        counts=moved.counts,
        card_html=moved_card_html(moved.card, moved.tally, labels),
        **labels,
    )


@bp.post("/cards")
@login_required
def create_card(expedition_id: int):
    """Add a card to my board."""
    membership = get_membership_or_404(expedition_id)
    expedition = membership.expedition
    form = forms.NewCardForm()
    if not form.validate_on_submit():
        return render(
            "boards/new_card.html",
            "boards/_new_card.html",
            status=422,
            expedition=expedition,
            new_card_form=form,
        )
    sprint = current_sprint_number(expedition)
    card = service.create_card(
        db.session,
        expedition.id,
        current_user.id,
        form.title.data,
        column=form.column.data,
        kind=form.kind.data,
        visibility=form.visibility.data,
        sprint_number=sprint if form.column.data in service.UNFINISHED else None,
    )
    db.session.expire_on_commit = False  # the answer renders from what was just written
    db.session.commit()
    message = _(
        "Card “%(title)s” added to “%(column)s”.",
        title=card.title,
        column=COLUMN_LABELS[card.column],
    )
    if not htmx:
        flash(message, "success")
        return redirect(url_for("boards.board", expedition_id=expedition.id) + f"#card-{card.id}")
    changed = (card.column,)
    board = service.load_board(db.session, expedition.id, current_user.id, columns=changed)
    return htmx_response(
        "boards/_added.html",
        trigger=announce(message),
        expedition=expedition,
        new_card_form=None,  # blank again, for the next card
        readonly=False,
        board=BoardHtml(board),
        counts=service.column_counts(db.session, expedition.id, current_user.id),
        changed=changed,
        **board_labels(expedition.id, membership.wip_limit, sprint),
    )
