"""What a person plans and notes beside the board: Vorhaben, the sprint, the Logbuch."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from alex.boards import forms, service
from alex.boards.labels import COLUMN_LABELS
from alex.boards.models import CheckIn
from alex.boards.views.common import bp, current_sprint_number
from alex.expeditions.access import get_in_expedition_or_404, get_membership_or_404
from alex.expeditions.models import Membership
from alex.expeditions.service import members, sprint_calendar
from alex.extensions import db
from alex.forms import ConfirmForm, bounded_int
from alex.web import render


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


@bp.post("/board/wip")
@login_required
def set_wip_limit(expedition_id: int):
    """Set my soft limit for "In Arbeit"."""
    membership = get_membership_or_404(expedition_id)
    form = forms.WipForm()
    if not form.validate_on_submit():
        flash(form.wip_limit.errors[0], "error")
        return redirect(url_for("boards.sprint", expedition_id=expedition_id), 303)
    service.set_wip_limit(db.session, membership, form.wip_limit.data)
    db.session.commit()
    flash(_("Your limit for “In progress” is now %(n)d.", n=form.wip_limit.data), "success")
    return redirect(url_for("boards.board", expedition_id=expedition_id))


@bp.post("/sprint/carry-over")
@login_required
def carry_over(expedition_id: int):
    """Decide for each unfinished card: keep for the next sprint, back to Ideen, or drop."""
    membership = get_membership_or_404(expedition_id)
    ConfirmForm().validate_on_submit() or abort(400)
    # One radio group per offered card, named card-<id>: their number is the board's.
    decisions = {
        card_id: value
        for key, value in request.form.items()
        if key.startswith("card-") and (card_id := bounded_int(key[5:])) is not None
    }
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
            link=url_for("boards.logbook", expedition_id=expedition_id),
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
    membership = get_membership_or_404(expedition_id)
    ConfirmForm().validate_on_submit() or abort(400)
    entry = get_in_expedition_or_404(CheckIn, check_in_id, membership, own=True)
    service.clear_support(db.session, entry)
    db.session.commit()
    flash(_("Support request cleared. Glad it worked out!"), "success")
    return redirect(url_for("boards.logbook", expedition_id=expedition_id))
