"""The follow-up run: start it at the Abschluss, and say yes or no to coming along."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from alex.expeditions.access import get_facilitation_or_403, get_membership_or_404
from alex.expeditions.service import expedition_end, today_in
from alex.extensions import db
from alex.follow_up import service
from alex.follow_up.forms import FollowUpForm
from alex.forms import ConfirmForm
from alex.web import render

bp = Blueprint("follow_up", __name__)


def _page(membership, form: FollowUpForm | None = None, status: int = 200):
    expedition = membership.expedition
    follow_up = service.follow_up_of(db.session, expedition.id)
    if form is None:
        start = max(expedition_end(expedition), today_in(expedition)) + timedelta(days=1)
        start += timedelta(days=(7 - start.weekday()) % 7)  # the Monday after the Abschluss
        form = FollowUpForm(
            formdata=None,
            title=_("%(title)s – follow-up", title=expedition.title)[:120],
            start_date=start,
        )
    return render(
        "follow_up/page.html",
        status=status,
        membership=membership,
        expedition=expedition,
        follow_up=follow_up,
        at_closing=service.at_closing(expedition),
        invitation=service.invitation_of(db.session, follow_up, current_user.id)
        if follow_up
        else None,
        invitations=service.invitations_of(db.session, follow_up)
        if follow_up and membership.is_facilitator
        else [],
        form=form,
    )


@bp.get("/expeditions/<int:expedition_id>/follow-up")
@login_required
def page(expedition_id: int):
    """The follow-up run: start it (facilitators) or answer the invitation (members)."""
    return _page(get_membership_or_404(expedition_id))


@bp.post("/expeditions/<int:expedition_id>/follow-up")
@login_required
def start(expedition_id: int):
    """Start the follow-up expedition and invite the circle."""
    membership = get_facilitation_or_403(expedition_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _page(membership, form, 422)
    try:
        follow_up = service.start_follow_up(
            db.session,
            membership.expedition,
            current_user,
            title=form.title.data,
            start_date=form.start_date.data,
            link=lambda previous_id: url_for("follow_up.page", expedition_id=previous_id),
        )
    except service.FollowUpError as error:
        db.session.rollback()
        form.title.errors = [str(error)]
        return _page(get_facilitation_or_403(expedition_id), form, 422)
    following_id = follow_up.following_id
    db.session.commit()
    flash(
        _("The follow-up expedition is ready. Everyone in the Zirkel is asked to come along."),
        "success",
    )
    return redirect(url_for("expeditions.show", expedition_id=following_id), code=303)


def _invited_follow_up(expedition_id: int):
    get_membership_or_404(expedition_id)
    follow_up = service.follow_up_of(db.session, expedition_id)
    if follow_up is None or service.invitation_of(db.session, follow_up, current_user.id) is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return follow_up


@bp.post("/expeditions/<int:expedition_id>/follow-up/join")
@login_required
def join(expedition_id: int):
    """Say yes: join the follow-up run with the Vorhaben and open cards."""
    follow_up = _invited_follow_up(expedition_id)
    following_id = follow_up.following_id
    try:
        service.join_follow_up(db.session, follow_up, current_user)
        db.session.commit()
    except service.FollowUpError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("follow_up.page", expedition_id=expedition_id), code=303)
    except IntegrityError:
        db.session.rollback()  # the same yes twice at once: the other request let them in
    flash(
        _(
            "Welcome to the follow-up expedition! Your Vorhaben is there as a starting point, "
            "your open cards wait in „Ideen“."
        ),
        "success",
    )
    return redirect(url_for("expeditions.show", expedition_id=following_id), code=303)


@bp.post("/expeditions/<int:expedition_id>/follow-up/decline")
@login_required
def decline(expedition_id: int):
    """Say no: the follow-up run goes on without you."""
    follow_up = _invited_follow_up(expedition_id)
    try:
        service.decline_follow_up(db.session, follow_up, current_user)
    except service.FollowUpError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("follow_up.page", expedition_id=expedition_id), code=303)
    db.session.commit()
    flash(_("Thanks for letting us know. You stay part of this expedition."), "info")
    return redirect(url_for("follow_up.page", expedition_id=expedition_id), code=303)
