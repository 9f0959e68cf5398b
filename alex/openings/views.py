"""The Börse (open expeditions), a facilitator's listing and requests, and the instance library."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from alex.expeditions.access import get_facilitation_or_403
from alex.expeditions.service import memberships_of_user, today_in
from alex.extensions import db
from alex.forms import ConfirmForm
from alex.meetings.models import RetroTemplate
from alex.meetings.service import templates_of
from alex.openings import library, service
from alex.openings.forms import (
    AdoptFormatForm,
    JoinRequestForm,
    ListingForm,
    ShareFormatForm,
    ShareVorlageForm,
)
from alex.openings.models import JoinRequest, LibraryItem
from alex.web import render

bp = Blueprint("openings", __name__)


@bp.get("/boerse")
@login_required
def index():
    """Open expeditions on this instance the visitor could join."""
    return render("openings/index.html", listings=service.open_listings(db.session, current_user))


@bp.get("/boerse/<int:expedition_id>")
@login_required
def show(expedition_id: int):
    """One open expedition: what it is, places left, and the request (or its answer)."""
    listing = service.listing_for(db.session, expedition_id, current_user)
    if listing is None:
        return _not_listed(expedition_id)
    return _show_page(listing, JoinRequestForm(formdata=None))


def _show_page(listing: service.Listing, form: JoinRequestForm, status: int = 200):
    return render("openings/show.html", listing=listing, form=form, status=status)


def _not_listed(expedition_id: int):
    """Members go to their expedition; for anyone else an unlisted expedition does not exist."""
    if service.is_member(db.session, expedition_id, current_user.id):
        return redirect(url_for("expeditions.show", expedition_id=expedition_id))
    abort(404)


@bp.post("/boerse/<int:expedition_id>/request")
@login_required
def request_to_join(expedition_id: int):
    """Ask to join; the facilitators are told."""
    listing = service.listing_for(db.session, expedition_id, current_user)
    if listing is None:
        return _not_listed(expedition_id)
    form = JoinRequestForm()
    if not form.validate_on_submit():
        return _show_page(listing, form, 422)
    try:
        service.request_to_join(
            db.session,
            listing,
            current_user,
            form.message.data or "",
            link=url_for("openings.manage", expedition_id=expedition_id),
        )
    except service.OpeningError as error:
        db.session.rollback()
        form.message.errors = [str(error)]
        fresh = service.listing_for(db.session, expedition_id, current_user)
        return _show_page(fresh or listing, form, 422)
    db.session.commit()
    flash(_("Your request is sent. You will hear from the facilitator."), "success")
    return redirect(url_for("openings.show", expedition_id=expedition_id), code=303)


def _manage_page(membership, form: ListingForm | None = None, status: int = 200):
    expedition = membership.expedition
    opening = service.opening_of(db.session, expedition.id)
    if form is None:
        form = ListingForm(
            formdata=None,
            obj=opening,
            **({} if opening else {"seats": 2, "deadline": expedition.start_date}),
        )
    return render(
        "openings/manage.html",
        status=status,
        expedition=expedition,
        opening=opening,
        form=form,
        requests=service.requests_of(db.session, expedition.id),
        today=today_in(expedition),
    )


@bp.get("/expeditions/<int:expedition_id>/opening")
@login_required
def manage(expedition_id: int):
    """The facilitator's listing on the Börse and the requests to join."""
    return _manage_page(get_facilitation_or_403(expedition_id))


@bp.post("/expeditions/<int:expedition_id>/opening")
@login_required
def save_listing(expedition_id: int):
    """List the expedition (or change the listing)."""
    membership = get_facilitation_or_403(expedition_id)
    form = ListingForm()
    if not form.validate_on_submit():
        return _manage_page(membership, form, 422)
    try:
        service.list_expedition(
            db.session,
            membership.expedition,
            current_user,
            seats=form.seats.data,
            deadline=form.deadline.data,
            description=form.description.data,
        )
    except service.OpeningError as error:
        db.session.rollback()
        form.seats.errors = [str(error)]
        return _manage_page(get_facilitation_or_403(expedition_id), form, 422)
    db.session.commit()
    flash(_("Your expedition is listed on the Börse."), "success")
    return redirect(url_for("openings.manage", expedition_id=expedition_id), code=303)


@bp.post("/expeditions/<int:expedition_id>/opening/unlist")
@login_required
def unlist(expedition_id: int):
    """Take the expedition off the Börse."""
    membership = get_facilitation_or_403(expedition_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    opening = service.opening_of(db.session, membership.expedition_id)
    if opening is not None:
        service.unlist_expedition(db.session, opening)
        db.session.commit()
    flash(_("Your expedition is no longer on the Börse."), "success")
    return redirect(url_for("openings.manage", expedition_id=expedition_id), code=303)


def _request_of(membership, request_id: int) -> JoinRequest:
    request = db.session.scalar(
        select(JoinRequest).where(
            JoinRequest.id == request_id, JoinRequest.expedition_id == membership.expedition_id
        )
    )
    if request is None:
        abort(404)
    return request


@bp.post("/expeditions/<int:expedition_id>/opening/requests/<int:request_id>/accept")
@login_required
def accept(expedition_id: int, request_id: int):
    """Take the person in (one of the places)."""
    membership = get_facilitation_or_403(expedition_id)
    request = _request_of(membership, request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = request.user.name
    try:
        service.accept_request(
            db.session,
            request,
            current_user,
            link=url_for("expeditions.show", expedition_id=expedition_id),
        )
    except service.OpeningError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _manage_page(get_facilitation_or_403(expedition_id), status=409)
    db.session.commit()
    flash(_("%(name)s is now part of the expedition.", name=name), "success")
    return redirect(url_for("openings.manage", expedition_id=expedition_id), code=303)


@bp.post("/expeditions/<int:expedition_id>/opening/requests/<int:request_id>/decline")
@login_required
def decline(expedition_id: int, request_id: int):
    """Say no to a request; the person is told."""
    membership = get_facilitation_or_403(expedition_id)
    request = _request_of(membership, request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.decline_request(db.session, request, current_user, link=url_for("openings.index"))
    except service.OpeningError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _manage_page(get_facilitation_or_403(expedition_id), status=409)
    db.session.commit()
    flash(_("The request is declined; %(name)s is told.", name=request.user.name), "success")
    return redirect(url_for("openings.manage", expedition_id=expedition_id), code=303)


def _facilitated():
    """The expeditions the current user facilitates (to add a library format to)."""
    return [m.expedition for m in memberships_of_user(db.session, current_user) if m.is_facilitator]


@bp.get("/library")
@login_required
def library_page():
    """The instance library: retro formats and Expeditions-Vorlagen others shared."""
    return render(
        "openings/library.html",
        formats=library.visible_items(db.session, "retro_format"),
        vorlagen=library.visible_items(db.session, "vorlage"),
        facilitated=_facilitated(),
    )


@bp.post("/library/<int:entry_id>/adopt")
@login_required
def adopt_format(entry_id: int):
    """Copy a library format into the saved formats of an expedition one facilitates."""
    item = library.visible_item(db.session, entry_id, "retro_format")
    form = AdoptFormatForm()
    if item is None or not form.validate_on_submit():
        abort(404 if item is None else 400)
    membership = get_facilitation_or_403(form.expedition_id.data)
    library.adopt_retro_format(db.session, item, membership.expedition_id)
    db.session.commit()
    flash(
        _(
            "„%(name)s“ is among the saved formats of „%(title)s“: choose it when you set up "
            "the retro.",
            name=item.name,
            title=membership.expedition.title,
        ),
        "success",
    )
    return redirect(url_for("openings.library_page"), code=303)


@bp.post("/library/<int:entry_id>/hide")
@login_required
def hide(entry_id: int):
    """An operator takes an item out of the library (the console may call the same function)."""
    if not current_user.is_operator:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if db.session.get(LibraryItem, entry_id) is None:
        abort(404)
    library.hide_library_item(db.session, entry_id, current_user)
    db.session.commit()
    flash(_("The item is hidden from the library."), "success")
    return redirect(url_for("openings.library_page"), code=303)


def _share_page(membership, vorlage_form=None, format_form=None, status: int = 200):
    expedition = membership.expedition
    shared = library.shared_from_expedition(db.session, expedition.id)
    formats_shared = {i.source_template_id for i in shared}
    return render(
        "openings/share.html",
        status=status,
        expedition=expedition,
        shared=shared,
        vorlage_shared=any(i.kind == "vorlage" for i in shared),
        formats=[t for t in templates_of(db.session, expedition.id) if t.id not in formats_shared],
        vorlage_form=vorlage_form or ShareVorlageForm(formdata=None, name=expedition.title),
        format_form=format_form or ShareFormatForm(formdata=None),
    )


@bp.get("/expeditions/<int:expedition_id>/library")
@login_required
def share_page(expedition_id: int):
    """What of this expedition is in the library, and sharing more (facilitators)."""
    return _share_page(get_facilitation_or_403(expedition_id))


@bp.post("/expeditions/<int:expedition_id>/library/vorlage")
@login_required
def share_vorlage(expedition_id: int):
    """Share the expedition's settings as a Vorlage."""
    membership = get_facilitation_or_403(expedition_id)
    form = ShareVorlageForm()
    if not form.validate_on_submit():
        return _share_page(membership, vorlage_form=form, status=422)
    try:
        library.share_vorlage(
            db.session,
            membership.expedition,
            current_user,
            name=form.name.data,
            show_name=form.show_name.data,
            note=form.note.data or "",
        )
    except service.OpeningError as error:
        db.session.rollback()
        form.name.errors = [str(error)]
        return _share_page(get_facilitation_or_403(expedition_id), vorlage_form=form, status=422)
    db.session.commit()
    flash(_("The settings are in the library now."), "success")
    return redirect(url_for("openings.share_page", expedition_id=expedition_id), code=303)


@bp.post("/expeditions/<int:expedition_id>/library/formats")
@login_required
def share_format(expedition_id: int):
    """Share one of the expedition's saved retro formats."""
    membership = get_facilitation_or_403(expedition_id)
    form = ShareFormatForm()
    if not form.validate_on_submit():
        return _share_page(membership, format_form=form, status=422)
    template = db.session.scalar(
        select(RetroTemplate).where(
            RetroTemplate.id == form.template_id.data,
            RetroTemplate.expedition_id == membership.expedition_id,
        )
    )
    if template is None:
        abort(404)
    try:
        library.share_retro_format(
            db.session, template, current_user, show_name=form.show_name.data
        )
    except service.OpeningError as error:
        db.session.rollback()
        form.template_id.errors = [str(error)]
        return _share_page(get_facilitation_or_403(expedition_id), format_form=form, status=422)
    db.session.commit()
    flash(_("The retro format is in the library now."), "success")
    return redirect(url_for("openings.share_page", expedition_id=expedition_id), code=303)


@bp.post("/expeditions/<int:expedition_id>/library/<int:entry_id>/unpublish")
@login_required
def unpublish(expedition_id: int, entry_id: int):
    """Take something this expedition shared out of the library."""
    membership = get_facilitation_or_403(expedition_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    item = next(
        (
            i
            for i in library.shared_from_expedition(db.session, membership.expedition_id)
            if i.id == entry_id
        ),
        None,
    )
    if item is None:
        abort(404)
    library.unpublish(db.session, item)
    db.session.commit()
    flash(_("It is no longer in the library."), "success")
    return redirect(url_for("openings.share_page", expedition_id=expedition_id), code=303)
