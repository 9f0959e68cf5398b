"""One card: its page, its fields, its checklist, deleting it."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from alex.boards import forms, service
from alex.boards.labels import COLUMN_LABELS
from alex.boards.models import Card
from alex.boards.views.common import (
    announce,
    bp,
    get_own_card_or_404,
    get_visible_card_or_404,
)
from alex.expeditions.access import get_expedition_member_or_404, get_membership_or_404
from alex.expeditions.models import Membership
from alex.expeditions.service import sprint_calendar
from alex.extensions import db, htmx
from alex.forms import ConfirmForm
from alex.web import render, render_fragment, wants_fragment


def _card_page(
    membership: Membership,
    card: Card,
    form=None,
    status: int = 200,
    notice=None,
    checklist_form=None,
    trigger: dict | None = None,
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
        trigger=trigger,
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
        return _card_page(membership, card, status=409, notice=message, trigger=announce(message))
    flash(_("Card saved."), "success")
    return redirect(url_for("boards.card", expedition_id=expedition_id, card_id=card.id))


@bp.post("/cards/<int:card_id>/delete")
@login_required
def delete_card(expedition_id: int, card_id: int):
    """Delete my card (after the browser asked for confirmation)."""
    membership = get_membership_or_404(expedition_id)
    card = get_own_card_or_404(membership, card_id)
    ConfirmForm().validate_on_submit() or abort(400)
    title = card.title
    try:
        service.delete_card(db.session, card)
        db.session.commit()
    except (service.StaleCard, StaleDataError):
        db.session.rollback()  # another device deleted or changed it first: nothing to undo
        flash(_("This card was changed in the meantime. Here is the latest state."), "error")
        return redirect(url_for("boards.board", expedition_id=expedition_id))
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


def _checklist_changed(membership: Membership, card: Card):
    """After a change: the checklist (HTMX) or back to the card page."""
    if htmx:
        return _checklist_response(membership, card)
    return redirect(url_for("boards.card", expedition_id=membership.expedition_id, card_id=card.id))


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
    return _checklist_changed(membership, card)


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
    form = forms.TickForm()
    form.validate_on_submit() or abort(400)
    service.set_checklist_item(db.session, item, form.done.data)
    db.session.commit()
    return _checklist_changed(membership, card)


@bp.post("/cards/<int:card_id>/checklist/<int:item_id>/delete")
@login_required
def delete_checklist_item(expedition_id: int, card_id: int, item_id: int):
    """Remove a checklist line."""
    membership = get_membership_or_404(expedition_id)
    card, item = _own_item_or_404(membership, card_id, item_id)
    ConfirmForm().validate_on_submit() or abort(400)
    service.delete_checklist_item(db.session, item)
    db.session.commit()
    return _checklist_changed(membership, card)
