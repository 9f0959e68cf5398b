"""Board pages: own and peers' boards, cards and their moves, Vorhaben, sprint notes, Logbuch."""

from __future__ import annotations

import json
from functools import lru_cache

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from alex.boards import forms, service
from alex.boards.cards_html import CardTexts, card_list
from alex.boards.labels import COLUMN_HINTS, COLUMN_LABELS
from alex.boards.markdown import render_markdown
from alex.boards.models import COLUMNS, Card, CheckIn
from alex.boards.revision import RevisionCache
from alex.errors import OWN_ENTRY_ONLY, OWNER_ONLY, refuse
from alex.expeditions.access import get_expedition_member_or_404, get_membership_or_404
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import expedition_standing, members, sprint_calendar, today_in
from alex.expeditions.service import peers as expedition_peers
from alex.extensions import db, htmx
from alex.forms import bounded_int
from alex.web import render, render_fragment, static_url, wants_fragment

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


def _card_query(expedition_id: int):
    return select(Card).where(Card.expedition_id == expedition_id)


def get_own_card_or_404(membership: Membership, card_id: int, *, checklist: bool = True) -> Card:
    """A card on the current user's board in this expedition.

    A peer's Zirkel card is visible to them, so changing it is 403; anything else is 404.
    """
    query = _card_query(membership.expedition_id).where(Card.id == card_id)
    if checklist:
        query = query.options(selectinload(Card.checklist))  # the card view shows the checklist
    card = db.session.scalar(query)
    if card is None:
        abort(404)
    if card.owner_id != current_user.id and card.visibility == "zirkel":
        refuse(OWNER_ONLY)
    if card.owner_id != current_user.id:
        abort(404)
    return card


def get_visible_card_or_404(membership: Membership, card_id: int) -> Card:
    """A card the current user may look at: their own, or a peer's Zirkel card."""
    card = db.session.scalar(_card_query(membership.expedition_id).where(Card.id == card_id))
    if card is None or (card.owner_id != current_user.id and card.visibility != "zirkel"):
        abort(404)
    return card


def _board_context(membership: Membership, owner: Membership | None = None, **extra) -> dict:
    """Everything the board templates need, loaded in a constant number of queries."""
    expedition = membership.expedition
    owner = owner or membership
    readonly = owner.user_id != current_user.id
    board = _board(expedition.id, owner, readonly)
    sprint = current_sprint_number(expedition)
    return {
        "expedition": expedition,
        "membership": membership,
        "owner": owner,
        "readonly": readonly,
        "board": board,
        "counts": {c: board.count(c) for c in COLUMNS},
        **_labels(expedition, owner, sprint),
        **extra,
    }


def _board(expedition_id: int, owner: Membership, only_zirkel: bool) -> service.Board:
    """The owner's board; a GET reuses the one loaded at the same board revision."""

    def load() -> service.Board:
        return service.load_board(db.session, expedition_id, owner.user_id, only_zirkel=only_zirkel)

    if request.method != "GET":  # a request that writes reads its own changes
        return load()
    cache = current_app.extensions.setdefault("alex_boards", RevisionCache())
    # The membership's id and join time too: someone who leaves and joins again starts a new
    # membership at revision 0, whose board must not be the old membership's (SQLite may even
    # hand out the same id again).
    board = (expedition_id, owner.user_id, owner.id, owner.joined_at, only_zirkel)
    return cache.get_or_load(board, owner.board_revision, load, size=lambda b: b.size)


def _labels(expedition: Expedition, owner: Membership, sprint: int) -> dict:
    """Shared template values: column names, URL prefixes computed once, not once per card."""
    card_prefix = url_for("boards.card", expedition_id=expedition.id, card_id=0)[:-1]
    column_labels, card_texts = _translated_labels(
        str(get_locale()), static_url("icons/sprite.svg"), card_prefix
    )
    return {
        "columns": COLUMNS,
        "column_labels": column_labels,
        "column_hints": COLUMN_HINTS,
        "next_column": NEXT_COLUMN,
        "wip_limit": owner.wip_limit,
        "sprint_number": sprint,
        "card_prefix": card_prefix,
        "card_texts": card_texts,
        "card_list": card_list,
    }


NEXT_COLUMN = {c: service.next_column(c) for c in COLUMNS}


@lru_cache(maxsize=1024)
def _translated_labels(
    locale: str, sprite: str, card_prefix: str
) -> tuple[dict[str, str], CardTexts]:
    """Column names and card texts, translated once per language (and expedition's URLs).

    Resolved here, not in the template: lazy strings would be translated again for every card.
    The locale is part of the key; gettext reads the request's, which is the same.
    """
    labels = {key: str(label) for key, label in COLUMN_LABELS.items()}
    return labels, CardTexts.current(sprite, card_prefix)


def _announce(response, message: str):
    """Screen readers hear what changed (static/js/app.js reads the trigger)."""
    response.headers["HX-Trigger"] = json.dumps({"announce": message})
    return response


def _stale_board(membership: Membership, message: str):
    """409 with the fresh board: the client's view was out of date."""
    db.session.rollback()
    membership = get_membership_or_404(membership.expedition_id)
    context = _own_board_context(membership, notice=message)
    response = render("boards/board.html", "boards/_board.html", status=409, **context)
    return _announce(response, message)


@bp.get("/board")
@login_required
def board(expedition_id: int):
    """My kanban board."""
    membership = get_membership_or_404(expedition_id)
    return render("boards/board.html", "boards/_board.html", **_own_board_context(membership))


def _own_board_context(membership: Membership, **extra) -> dict:
    """The own board page: the board plus this sprint's focus and the add-card form."""
    expedition = membership.expedition
    sprint = current_sprint_number(expedition)
    return _board_context(
        membership,
        focus=service.sprint_focus(db.session, expedition.id, current_user.id, sprint),
        new_card_form=None,  # blank: see blank_new_card_form
        peers=_peers(expedition),
        **extra,
    )


def _peers(expedition: Expedition) -> list:
    """The other participants, whose boards one can open."""
    return expedition_peers(db.session, expedition.id, current_user.id)


@bp.get("/board/<int:user_id>")
@login_required
def member_board(expedition_id: int, user_id: int):
    """A peer's board, read-only, with only the cards they share with the Zirkel."""
    membership = get_membership_or_404(expedition_id)
    if user_id == current_user.id:
        return redirect(url_for("boards.board", expedition_id=expedition_id))
    owner = get_expedition_member_or_404(membership.expedition, user_id)
    context = _board_context(membership, owner, peers=_peers(membership.expedition))
    return render("boards/member_board.html", "boards/_board.html", **context)


def _changed_columns_response(membership: Membership, columns: tuple[str, ...], message: str):
    """The columns a new card changed, and the tab counts (swapped out of band)."""
    expedition = membership.expedition
    board = service.load_board(db.session, expedition.id, current_user.id, columns=columns)
    counts = service.column_counts(db.session, expedition.id, current_user.id)
    response = render_fragment(
        "boards/_added.html",
        expedition=expedition,
        owner=membership,
        readonly=False,
        board=board,
        counts=counts,
        changed=columns,
        **_labels(expedition, membership, current_sprint_number(expedition)),
    )
    response.headers["HX-Reswap"] = "none"
    return _announce(response, message)


def _moved_card_response(membership: Membership, card: Card, moved: service.Moved, message: str):
    """The moved card at its new place, the changed column heads and tab counts (out of band)."""
    expedition = membership.expedition
    row, tally = service.card_on_board(db.session, card)
    labels = _labels(expedition, membership, current_sprint_number(expedition))
    next_key = NEXT_COLUMN[card.column]
    card_html = card_list(
        [row],
        texts=labels["card_texts"],
        tallies={card.id: tally} if tally else {},
        next_label=labels["column_labels"][next_key] if next_key else None,
        sprint_number=labels["sprint_number"],
        readonly=False,
    )
    response = render_fragment(
        "boards/_moved.html",
        expedition=expedition,
        owner=membership,
        readonly=False,
        counts=moved.counts,
        changed=tuple(c for c in COLUMNS if c in {moved.origin, card.column}),
        origin=moved.origin,
        target=card.column,
        card_id=card.id,
        card_html=card_html,
        successor=service.card_below(db.session, card),
        **labels,
    )
    response.headers["HX-Reswap"] = "none"
    return _announce(response, message)


def _move(membership: Membership, card: Card, column: str, position: int | None, version: int):
    """Run a move and answer it: changed fragments, a redirect, or 409 with the fresh board."""
    title = card.title
    try:
        moved = service.move_card(
            db.session,
            card,
            column,
            position,
            version,
            sprint_number=current_sprint_number(membership.expedition),
            learning=request.form.get("learning"),
        )
    except (service.StaleCard, StaleDataError):
        return _stale_board(
            membership, _("This card was changed in the meantime. Here is the latest state.")
        )
    message = _(
        "“%(title)s” moved to “%(column)s”, place %(place)d.",
        title=title,
        column=COLUMN_LABELS[column],
        place=card.position + 1,
    )
    if htmx:
        # The answer is read inside the move's own transaction, then committed: a second
        # transaction would take SQLite's write lock again only to read.
        response = _moved_card_response(membership, card, moved, message)
        db.session.commit()
        return response
    flash(message, "success")
    db.session.commit()
    return redirect(
        url_for("boards.board", expedition_id=membership.expedition_id) + f"#card-{card.id}"
    )


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
    """Move my card to a column and position (form fields column, position, version)."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id, checklist=False)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        if "version" not in form.errors and form.version.data != card.version:
            return _stale_board(
                membership, _("This card was changed in the meantime. Here is the latest state.")
            )
        if wants_fragment():
            # The sheet has closed; the message shows above the unchanged board.
            message = next(iter(form.errors.values()))[0]
            context = _own_board_context(membership, notice=message)
            response = render_fragment("boards/_board.html", status=422, **context)
            return _announce(response, str(message))
        return render(
            "boards/move.html", status=422, expedition=membership.expedition, card=card, form=form
        )
    position = form.position.data
    if position is None and form.place.data is not None:
        position = form.place.data - 1
    return _move(membership, card, form.column.data, position, form.version.data)


@bp.post("/board/advance")
@login_required
def advance_card(expedition_id: int):
    """One tap: move a card to the end of the next column (button value "<card id>:<version>")."""
    membership = get_membership_or_404(expedition_id)
    forms.ConfirmForm().validate_on_submit() or abort(400)
    card_id, _, version = request.form.get("card", "").partition(":")
    card_id, version = bounded_int(card_id), bounded_int(version, minimum=0)
    if card_id is None or version is None:
        abort(400)
    card = get_own_card_or_404(membership, card_id, checklist=False)
    target = service.next_column(card.column)
    if target is None:
        abort(400)
    return _move(membership, card, target, None, version)


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
    if htmx:
        response = _changed_columns_response(membership, (card.column,), message)
        del response.headers["HX-Reswap"]
        fresh = render_fragment(
            "boards/_new_card.html",
            expedition=expedition,
            new_card_form=None,
        )
        response.set_data(fresh.get_data() + response.get_data())
        return response
    flash(message, "success")
    return redirect(url_for("boards.board", expedition_id=expedition.id) + f"#card-{card.id}")


def _card_page(
    membership: Membership,
    card: Card,
    form=None,
    status: int = 200,
    notice=None,
    checklist_form=None,
):
    expedition = membership.expedition
    editable = card.owner_id == current_user.id
    if form is None and editable:
        form = forms.CardForm(
            obj=card,
            data={"version": card.version, "sprint_number": str(card.sprint_number or "")},
        )
    if form is not None:
        form.sprint_number.choices = [SelectChoice("", _("No sprint"))] + [
            SelectChoice(str(s.number), _("Sprint %(num)d", num=s.number))
            for s in sprint_calendar(expedition)
        ]
    owner = membership if editable else get_expedition_member_or_404(expedition, card.owner_id)
    return render(
        "boards/card.html",
        "boards/_card_detail.html",
        status=status,
        expedition=expedition,
        card=card,
        owner=owner,
        editable=editable,
        form=form,
        checklist_form=checklist_form or forms.ChecklistItemForm(formdata=None),
        column_labels=COLUMN_LABELS,
        notice=notice,
    )


@bp.get("/cards/<int:card_id>")
@login_required
def card(expedition_id: int, card_id: int):
    """A card with its notes, checklist and history; editable for its owner."""
    membership = get_membership_or_404(expedition_id)
    card = get_visible_card_or_404(membership, card_id)
    return _card_page(membership, card)


@bp.post("/cards/<int:card_id>")
@login_required
def update_card(expedition_id: int, card_id: int):
    """Save my card's fields; a stale version gets 409 and the latest card."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id)
    form = forms.CardForm()
    form.sprint_number.choices = [SelectChoice("", "")] + [
        SelectChoice(str(s.number), str(s.number)) for s in sprint_calendar(membership.expedition)
    ]
    if not form.validate_on_submit():
        return _card_page(membership, card, form, status=422)
    changes = service.CardChanges(
        title=form.title.data,
        notes=form.notes.data or "",
        kind=form.kind.data,
        visibility=form.visibility.data,
        sprint_number=int(form.sprint_number.data) if form.sprint_number.data else None,
        hypothesis=form.hypothesis.data or "",
        result=form.result.data or "",
        learning=form.learning.data or "",
    )
    try:
        service.update_card(db.session, card, changes, int(form.version.data))
        db.session.commit()
    except (service.StaleCard, StaleDataError, ValueError):
        db.session.rollback()
        card = get_own_card_or_404(get_membership_or_404(expedition_id), card_id)
        message = _(
            "This card was changed in the meantime (maybe on another device). "
            "Here is the latest state; please make your change again."
        )
        return _announce(_card_page(membership, card, status=409, notice=message), message)
    flash(_("Card saved."), "success")
    return redirect(url_for("boards.card", expedition_id=expedition_id, card_id=card.id))


@bp.post("/cards/<int:card_id>/delete")
@login_required
def delete_card(expedition_id: int, card_id: int):
    """Delete my card (after the browser asked for confirmation)."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id)
    forms.ConfirmForm().validate_on_submit() or abort(400)
    title = card.title
    service.delete_card(db.session, card)
    db.session.commit()
    flash(_("Card “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("boards.board", expedition_id=expedition_id))


def _checklist_response(membership: Membership, card: Card, status: int = 200, form=None):
    """The checklist fragment for HTMX; otherwise the whole card page (with its edit form)."""
    checklist_form = form or forms.ChecklistItemForm(formdata=None)
    if not wants_fragment():
        return _card_page(membership, card, status=status, checklist_form=checklist_form)
    return render_fragment(
        "boards/_checklist.html",
        status=status,
        expedition=membership.expedition,
        card=card,
        editable=True,
        checklist_form=checklist_form,
        column_labels=COLUMN_LABELS,
        owner=membership,
    )


@bp.post("/cards/<int:card_id>/checklist")
@login_required
def add_checklist_item(expedition_id: int, card_id: int):
    """Add a line to my card's checklist."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id)
    form = forms.ChecklistItemForm()
    if not form.validate_on_submit():
        return _checklist_response(membership, card, 422, form)
    try:
        service.add_checklist_item(db.session, card, form.text.data)
    except service.BoardError as error:
        form.text.errors = [str(error)]
        return _checklist_response(membership, card, 422, form)
    db.session.commit()
    if htmx:
        return _checklist_response(membership, card)
    return redirect(url_for("boards.card", expedition_id=expedition_id, card_id=card_id))


def _own_item_or_404(membership: Membership, card_id: int, item_id: int):
    card = get_own_card_or_404(membership, card_id)
    item = next((i for i in card.checklist if i.id == item_id), None)
    if item is None:
        abort(404)
    return card, item


@bp.post("/cards/<int:card_id>/checklist/<int:item_id>")
@login_required
def set_checklist_item(expedition_id: int, card_id: int, item_id: int):
    """Tick or untick a checklist line (field done=1 or absent)."""
    membership = get_membership_or_404(expedition_id)
    card, item = _own_item_or_404(membership, card_id, item_id)
    forms.ConfirmForm().validate_on_submit() or abort(400)
    service.set_checklist_item(db.session, item, request.form.get("done") == "1")
    db.session.commit()
    if htmx:
        return _checklist_response(membership, card)
    return redirect(url_for("boards.card", expedition_id=expedition_id, card_id=card_id))


@bp.post("/cards/<int:card_id>/checklist/<int:item_id>/delete")
@login_required
def delete_checklist_item(expedition_id: int, card_id: int, item_id: int):
    """Remove a checklist line."""
    membership = get_membership_or_404(expedition_id)
    card, item = _own_item_or_404(membership, card_id, item_id)
    forms.ConfirmForm().validate_on_submit() or abort(400)
    card.checklist.remove(item)
    db.session.commit()
    if htmx:
        return _checklist_response(membership, card)
    return redirect(url_for("boards.card", expedition_id=expedition_id, card_id=card_id))


@bp.post("/board/wip")
@login_required
def set_wip_limit(expedition_id: int):
    """Set my soft limit for "In Arbeit"."""
    membership = get_membership_or_404(expedition_id)
    form = forms.WipForm()
    if not form.validate_on_submit():
        flash(form.wip_limit.errors[0], "error")
        return redirect(url_for("boards.sprint", expedition_id=expedition_id), 303)
    membership.wip_limit = form.wip_limit.data
    db.session.commit()
    flash(_("Your limit for “In progress” is now %(n)d.", n=form.wip_limit.data), "success")
    return redirect(url_for("boards.board", expedition_id=expedition_id))


def _vorhaben_page(membership: Membership, form=None, status: int = 200, notice=None):
    expedition = membership.expedition
    vorhaben = service.get_vorhaben(db.session, expedition.id, current_user.id)
    if form is None:
        form = forms.VorhabenForm(obj=vorhaben, data={"version": vorhaben and vorhaben.version})
        form.reason.data = ""
    return render(
        "boards/vorhaben.html",
        status=status,
        expedition=expedition,
        vorhaben=vorhaben,
        form=form,
        notice=notice,
        active_nav="board",
    )


@bp.get("/vorhaben")
@login_required
def vorhaben(expedition_id: int):
    """My Vorhaben canvas and how it changed."""
    return _vorhaben_page(get_membership_or_404(expedition_id))


@bp.post("/vorhaben")
@login_required
def save_vorhaben(expedition_id: int):
    """Save my Vorhaben; the previous text is kept."""
    membership = get_membership_or_404(expedition_id)
    form = forms.VorhabenForm()
    if not form.validate_on_submit():
        return _vorhaben_page(membership, form, 422)
    try:
        version = int(form.version.data) if form.version.data else None
        service.save_vorhaben(
            db.session,
            expedition_id,
            current_user.id,
            {key: getattr(form, key).data for key in service.VORHABEN_FIELDS},
            version=version,
            reason=form.reason.data or "",
        )
        db.session.commit()
    except (service.StaleCard, StaleDataError, ValueError):
        db.session.rollback()
        message = _(
            "Your Vorhaben was changed in the meantime (maybe on another device). "
            "Here is the latest state; please make your change again."
        )
        return _vorhaben_page(get_membership_or_404(expedition_id), status=409, notice=message)
    flash(_("Your Vorhaben is saved."), "success")
    return redirect(url_for("boards.vorhaben", expedition_id=expedition_id))


def _sprint_page(membership: Membership, status: int = 200, **forms_given):
    expedition = membership.expedition
    number = current_sprint_number(expedition)
    reflection = service.reflection(db.session, expedition.id, current_user.id, number)
    focus_form = forms_given.get("focus_form") or forms.FocusForm(data={"focus": reflection.focus})
    assessment_form = forms_given.get("assessment_form") or forms.AssessmentForm(
        data={"confidence": reflection.confidence, "assessment": reflection.assessment}
    )
    return render(
        "boards/sprint.html",
        status=status,
        expedition=expedition,
        sprint_number=number,
        sprint=next((s for s in sprint_calendar(expedition) if s.number == number), None),
        last_sprint=number >= expedition.sprint_count,
        reflection=reflection,
        history=service.reflections(db.session, expedition.id, current_user.id),
        focus_form=focus_form,
        assessment_form=assessment_form,
        wip_form=forms_given.get("wip_form")
        or forms.WipForm(data={"wip_limit": membership.wip_limit}),
        carry_form=forms.ConfirmForm(),
        unfinished=service.unfinished_cards(db.session, expedition.id, current_user.id, number),
        column_labels=COLUMN_LABELS,
        active_nav="board",
    )


@bp.get("/sprint")
@login_required
def sprint(expedition_id: int):
    """This sprint: focus, self-assessment, carry-over, WIP limit."""
    return _sprint_page(get_membership_or_404(expedition_id))


@bp.post("/sprint/focus")
@login_required
def set_focus(expedition_id: int):
    """Set my focus for the running sprint."""
    membership = get_membership_or_404(expedition_id)
    form = forms.FocusForm()
    if not form.validate_on_submit():
        return _sprint_page(membership, 422, focus_form=form)
    number = current_sprint_number(membership.expedition)
    service.set_sprint_focus(db.session, expedition_id, current_user.id, number, form.focus.data)
    db.session.commit()
    flash(_("Your sprint focus is set."), "success")
    return redirect(url_for("boards.board", expedition_id=expedition_id))


@bp.post("/sprint/assessment")
@login_required
def assess(expedition_id: int):
    """Record my self-assessment for the running sprint."""
    membership = get_membership_or_404(expedition_id)
    form = forms.AssessmentForm()
    if not form.validate_on_submit():
        return _sprint_page(membership, 422, assessment_form=form)
    number = current_sprint_number(membership.expedition)
    service.assess_sprint(
        db.session,
        expedition_id,
        current_user.id,
        number,
        form.confidence.data,
        form.assessment.data or "",
    )
    db.session.commit()
    flash(_("Thank you – your self-assessment is saved."), "success")
    return redirect(url_for("boards.sprint", expedition_id=expedition_id))


@bp.post("/sprint/carry-over")
@login_required
def carry_over(expedition_id: int):
    """Decide for each unfinished card: keep for the next sprint, back to Ideen, or drop."""
    membership = get_membership_or_404(expedition_id)
    forms.ConfirmForm().validate_on_submit() or abort(400)
    decisions: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("card-") and (card_id := bounded_int(key[5:])) is not None:
            decisions[card_id] = value
    number = current_sprint_number(membership.expedition)
    next_sprint = min(number + 1, membership.expedition.sprint_count)
    try:
        tally = service.carry_over(
            db.session, expedition_id, current_user.id, decisions, next_sprint
        )
        db.session.commit()
    except service.BoardError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _sprint_page(get_membership_or_404(expedition_id), 422)
    except StaleDataError:
        db.session.rollback()
        flash(_("Some cards were changed in the meantime. Please check again."), "error")
        return _sprint_page(get_membership_or_404(expedition_id), 409)
    flash(
        _(
            "Carry-over done: %(keep)d kept, %(ideas)d back to ideas, %(drop)d dropped.",
            keep=tally["keep"],
            ideas=tally["ideas"],
            drop=tally["drop"],
        ),
        "success",
    )
    return redirect(url_for("boards.board", expedition_id=expedition_id))


def _logbook_page(membership: Membership, form=None, status: int = 200):
    expedition = membership.expedition
    everyone = members(db.session, expedition)
    return render(
        "boards/logbook.html",
        status=status,
        expedition=expedition,
        form=form or forms.CheckInForm(formdata=None),
        entries=service.check_ins(db.session, expedition.id, current_user.id),
        support=service.open_support_requests(db.session, expedition.id),
        names={m.user_id: m.user.name for m in everyone},
        clear_form=forms.ConfirmForm(),
        active_nav="logbook",
    )


@bp.get("/logbook")
@login_required
def logbook(expedition_id: int):
    """The Logbuch: my check-ins and the Zirkel's, open support requests first."""
    return _logbook_page(get_membership_or_404(expedition_id))


@bp.post("/logbook")
@login_required
def add_check_in(expedition_id: int):
    """Write a check-in."""
    membership = get_membership_or_404(expedition_id)
    form = forms.CheckInForm()
    if not form.validate_on_submit():
        return _logbook_page(membership, form, 422)
    try:
        service.add_check_in(
            db.session,
            expedition_id,
            current_user.id,
            done=form.done.data or "",
            learned=form.learned.data or "",
            next_steps=form.next_steps.data or "",
            stuck=form.stuck.data or "",
            needs_support=form.needs_support.data,
            visibility="private" if form.private.data else "zirkel",
        )
    except service.BoardError as error:
        form.done.errors = [str(error)]
        return _logbook_page(membership, form, 422)
    db.session.commit()
    flash(_("Your check-in is in the Logbuch."), "success")
    return redirect(url_for("boards.logbook", expedition_id=expedition_id))


@bp.post("/logbook/<int:check_in_id>/clear")
@login_required
def clear_support(expedition_id: int, check_in_id: int):
    """Mark my support request as settled."""
    get_membership_or_404(expedition_id)
    forms.ConfirmForm().validate_on_submit() or abort(400)
    entry = db.session.scalar(
        select(CheckIn).where(CheckIn.id == check_in_id, CheckIn.expedition_id == expedition_id)
    )
    if entry is None or (entry.user_id != current_user.id and entry.visibility != "zirkel"):
        abort(404)
    if entry.user_id != current_user.id:
        refuse(OWN_ENTRY_ONLY)
    service.clear_support(db.session, entry)
    db.session.commit()
    flash(_("Support request cleared. Glad it worked out!"), "success")
    return redirect(url_for("boards.logbook", expedition_id=expedition_id))
