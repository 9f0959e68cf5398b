"""What the board views share: the blueprint, the card loaders and the board's context."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from alex.boards import forms, service
from alex.boards.markdown import render_markdown
from alex.boards.models import Card
from alex.boards.present import BoardHtml, board_labels
from alex.caching import revision_cache
from alex.errors import OWNER_ONLY
from alex.expeditions.access import get_in_expedition_or_404, get_membership_or_404
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import expedition_standing, today_in
from alex.expeditions.service import peers as expedition_peers
from alex.extensions import db
from alex.web import htmx_response, wants_fragment

bp = Blueprint("boards", __name__, url_prefix="/expeditions/<int:expedition_id>")
bp.add_app_template_filter(render_markdown, "markdown")


def current_sprint_number(expedition: Expedition) -> int:
    """The running sprint; before the start the first, after the end the last."""
    standing = expedition_standing(expedition, today_in(expedition))
    if standing.current_sprint:
        return standing.current_sprint.number
    return 1 if standing.phase == "upcoming" else expedition.sprint_count


@bp.app_template_global()
def blank_new_card_form() -> dict:
    """Context of the blank new-card fields, built only when they render (once per language)."""
    return {"new_card_form": forms.NewCardForm(formdata=None)}


def get_own_card_or_404(membership: Membership, card_id: int, *, checklist: bool = True) -> Card:
    """A card on the member's own board (a peer's shared card is 403, anything else 404)."""
    options = (selectinload(Card.checklist),) if checklist else ()  # the card view shows it
    return get_in_expedition_or_404(
        Card, card_id, membership, own=True, options=options, refusal=OWNER_ONLY
    )


def get_visible_card_or_404(membership: Membership, card_id: int) -> Card:
    """A card the member may look at: their own, or a peer's Zirkel card."""
    return get_in_expedition_or_404(Card, card_id, membership)


def announce(message: str) -> dict:
    """The HX-Trigger event that static/js/app.js reads out through the live region."""
    return {"announce": str(message)}


def stale_message() -> str:
    """What a person reads when another device changed the card first."""
    return _("This card was changed in the meantime. Here is the latest state.")


def board_context(membership: Membership, owner: Membership | None = None, **extra) -> dict:
    """Everything the board templates need, loaded in a constant number of queries."""
    expedition = membership.expedition
    owner = owner or membership
    readonly = owner.user_id != current_user.id
    board = _board(expedition, owner, readonly)
    sprint = current_sprint_number(expedition)
    return {
        "expedition": expedition,
        "membership": membership,
        "owner": owner,
        "readonly": readonly,
        "board": board,
        "counts": {c: board.count(c) for c in board.columns},
        **board_labels(expedition.id, owner.wip_limit, sprint, readonly),
        **extra,
    }


def _board(expedition: Expedition, owner: Membership, only_zirkel: bool) -> BoardHtml:
    """The owner's board; a GET reuses the one loaded at the same board revision."""

    def load() -> BoardHtml:
        board = service.load_board(
            db.session, expedition.id, owner.user_id, only_zirkel=only_zirkel
        )
        return BoardHtml(board)

    if request.method != "GET":  # a request that writes reads its own changes
        return load()
    # The epoch moves with every restore from a backup, which takes revisions back. The
    # membership's id and join time: someone who leaves and joins again starts a new
    # membership at revision 0, whose board must not be the old one's (SQLite may even hand
    # out the same id again).
    key = (
        expedition.cache_epoch,
        expedition.id,
        owner.user_id,
        owner.id,
        owner.joined_at,
        only_zirkel,
    )
    return revision_cache("boards").get_or_load(
        key, owner.board_revision, load, size=lambda board: board.size
    )


def own_board_context(membership: Membership, **extra) -> dict:
    """The own board page: the board plus this sprint's focus and the add-card form."""
    expedition = membership.expedition
    sprint = current_sprint_number(expedition)
    return board_context(
        membership,
        focus=service.sprint_focus(db.session, expedition.id, current_user.id, sprint),
        standing=expedition_standing(expedition, today_in(expedition)),
        new_card_form=None,  # blank: see blank_new_card_form
        peers=peers(expedition),
        **extra,
    )


def peers(expedition: Expedition) -> list:
    """The other participants, whose boards one can open."""
    return expedition_peers(db.session, expedition.id, current_user.id)


def board_answer(membership: Membership, message: str, status: int) -> Response:
    """The whole own board with a message above it: after a refused or outdated change."""
    context = own_board_context(membership, notice=message)
    template = "boards/_board.html" if wants_fragment() else "boards/board.html"
    return htmx_response(template, status, trigger=announce(message), **context)


def stale_board(membership: Membership) -> Response:
    """409 with the fresh board: the client's view was out of date."""
    db.session.rollback()
    membership = get_membership_or_404(membership.expedition_id)
    return board_answer(membership, stale_message(), 409)
