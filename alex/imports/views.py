"""Import into my board: upload a file, choose columns and sharing, look at the preview, import."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from alex.boards.labels import COLUMN_LABELS
from alex.boards.models import COLUMNS
from alex.errors import error_response
from alex.expeditions.access import get_membership_or_404
from alex.expeditions.models import Membership
from alex.expeditions.service import expedition_standing, today_in
from alex.extensions import db
from alex.imports import forms, service
from alex.imports.formats import FORMAT_NAMES, LEFT_OUT, ImportRefused, read_board
from alex.web import render

bp = Blueprint("imports", __name__, url_prefix="/expeditions/<int:expedition_id>/board/import")


def _previews() -> str:
    """The folder of pending previews (ALEX_IMPORT_FOLDER, or instance/imports)."""
    return current_app.config["ALEX_IMPORT_FOLDER"] or str(
        Path(current_app.instance_path) / "imports"
    )


def _own_board_or_403(expedition_id: int) -> Membership:
    """The member's own board: a facilitator without a board of their own has none to import into."""
    membership = get_membership_or_404(expedition_id)
    if not membership.is_participant:
        abort(403)
    return membership


def _upload_page(membership: Membership, form: forms.UploadForm, status: int = 200):
    """The upload form with the limits it states."""
    limit = current_app.config["ALEX_IMPORT_MAX_BYTES"]
    return render(
        "imports/upload.html",
        status=status,
        expedition=membership.expedition,
        form=form,
        max_megabytes=f"{limit / (1024 * 1024):g}",
        max_cards=current_app.config["ALEX_IMPORT_MAX_CARDS"],
        active_nav="board",
    )


@bp.get("")
@login_required
def start(expedition_id: int):
    """The upload form."""
    membership = _own_board_or_403(expedition_id)
    return _upload_page(membership, forms.UploadForm(formdata=None))


@bp.post("")
@login_required
def upload(expedition_id: int):
    """Read the file; if it is a board, keep it as a pending preview and show the mapping."""
    membership = _own_board_or_403(expedition_id)
    form = forms.UploadForm()
    if not form.validate_on_submit():
        return _upload_page(membership, form, 422)
    limit = current_app.config["ALEX_IMPORT_MAX_BYTES"]
    try:
        board = read_board(
            form.file.data.read(limit + 1),
            form.format.data,
            max_bytes=limit,
            max_cards=current_app.config["ALEX_IMPORT_MAX_CARDS"],
        )
    except ImportRefused as refused:
        form.file.errors = [_("Nothing was imported: %(reason)s", reason=str(refused))]
        return _upload_page(membership, form, 422)
    token = service.store_pending(_previews(), membership.user_id, expedition_id, board)
    return redirect(url_for("imports.preview", expedition_id=expedition_id, preview=token))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A file past the allowance: the upload form with the reason, not the general 413 page.

    Whoever may not import here (or is not logged in) gets the general page: an error handler
    must not raise a 403 or 404 of its own.
    """
    if not current_user.is_authenticated:
        return error_response(413)
    try:
        membership = _own_board_or_403((request.view_args or {}).get("expedition_id", 0))
    except HTTPException:
        return error_response(413)
    form = forms.UploadForm(formdata=None)
    limit = current_app.config["ALEX_IMPORT_MAX_BYTES"]
    reason = _("The file is larger than %(size)s MB.", size=f"{limit / (1024 * 1024):g}")
    form.file.errors = [_("Nothing was imported: %(reason)s", reason=reason)]
    return _upload_page(membership, form, 413)


def _gone():
    """Say that the preview is gone (expired, used, replaced by a newer upload, or not one's own)."""
    flash(
        _("This import preview has expired or was already used. Please upload the file again."),
        "error",
    )


def _preview_page(membership, pending, form, plan, status: int = 200):
    """The mapping form with the preview of what the plan would import."""
    expedition = membership.expedition
    return render(
        "imports/preview.html",
        status=status,
        expedition=expedition,
        pending=pending,
        board=pending.board,
        tool=FORMAT_NAMES[pending.board.format],
        form=form,
        summary=service.preview(pending.board, plan),
        columns=COLUMNS,
        column_labels=COLUMN_LABELS,
        left_out=LEFT_OUT,
        active_nav="board",
    )


@bp.get("/preview")
@login_required
def preview(expedition_id: int):
    """The lists with their default columns (by name), every card private, and the preview."""
    membership = _own_board_or_403(expedition_id)
    pending = service.load_pending(
        _previews(),
        request.args.get("preview", ""),
        membership.user_id,
        expedition_id,
    )
    if pending is None:
        _gone()
        return redirect(url_for("imports.start", expedition_id=expedition_id))
    plan = service.Plan.default(pending.board)
    form = forms.mapping_form(len(pending.board.lists), plan)
    form.preview.data = pending.token
    return _preview_page(membership, pending, form, plan)


@bp.post("/preview")
@login_required
def confirm(expedition_id: int):
    """Update the preview with the choices made, or import in one transaction."""
    membership = _own_board_or_403(expedition_id)
    token = forms.MappingForm().preview.data or ""
    pending = service.load_pending(_previews(), token, membership.user_id, expedition_id)
    if pending is None:
        _gone()
        return redirect(url_for("imports.start", expedition_id=expedition_id))
    count = len(pending.board.lists)
    form = forms.mapping_form(count)
    if not form.validate_on_submit():
        return _preview_page(membership, pending, form, service.Plan.default(pending.board), 422)
    plan = forms.plan_of(form, count)
    if not form.confirm.data:
        return _preview_page(membership, pending, form, plan)
    claimed = service.claim_pending(pending, _previews())
    if claimed is None:
        _gone()
        return redirect(url_for("boards.board", expedition_id=expedition_id))
    try:
        imported = service.import_board(
            db.session,
            expedition_id,
            membership.user_id,
            pending.board,
            plan,
            sprint_number=_current_sprint(membership),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        service.release_pending(pending, _previews(), claimed)
        raise
    service.discard(claimed)
    flash(
        ngettext(
            "%(num)d card imported onto your board.",
            "%(num)d cards imported onto your board.",
            imported.total,
        ),
        "success",
    )
    return redirect(url_for("boards.board", expedition_id=expedition_id))


def _current_sprint(membership: Membership) -> int:
    """The running sprint; before the start the first, after the end the last.

    As the board's views reckon it (alex.boards.views.common, which an area may not import).
    """
    expedition = membership.expedition
    standing = expedition_standing(expedition, today_in(expedition))
    if standing.current_sprint:
        return standing.current_sprint.number
    return 1 if standing.phase == "upcoming" else expedition.sprint_count
