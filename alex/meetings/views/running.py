"""The live run-sheet: the page, its poll, and the commands of the steps outside the retro."""

from __future__ import annotations

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex.errors import SECOND_FACTOR_NEEDED, refuse
from alex.expeditions.access import access_in_request
from alex.extensions import db, login_manager
from alex.forms import ConfirmForm
from alex.meetings import poll_grants, service
from alex.meetings.forms import (
    CheckInForm,
    FocusForm,
    NotesForm,
    OutcomeForm,
    PresenceForm,
    ReviewPersonForm,
    StepForm,
    TimerForm,
)
from alex.meetings.state import STEP_LABELS
from alex.meetings.views.common import (
    Live,
    answer,
    bp,
    load_meeting,
    meeting_action,
    meeting_in,
    reviewable_action,
)
from alex.meetings.views.presenter import presenter_answer


@bp.get("/<int:meeting_id>")
@login_required
def show(expedition_id: int, meeting_id: int):
    """The live run-sheet: facilitator controls beside the shared view; the participant's view."""
    return answer(load_meeting(expedition_id, meeting_id))


@bp.get("/<int:meeting_id>/live")
def poll(expedition_id: int, meeting_id: int):
    """204 while the client's version is current; the fresh fragment otherwise.

    Authorised like every meeting page, through the user and membership loaders; an unchanged
    poll then reads only the meeting's version (a prebuilt statement, no row object). Within a
    few seconds of passing them, an unchanged poll of the same session skips the loaders
    (alex.meetings.poll_grants): it runs every 1.5 s on every open meeting screen.
    """
    held = request.args.get("v") or request.headers.get("X-Meeting-Version")
    if held and poll_grants.granted(expedition_id, meeting_id):
        if held == str(service.meeting_version(db.session, expedition_id, meeting_id)):
            return Response(status=204)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    # The app-wide guard hook skips the poll (it would redirect a background request); the
    # same predicate as every page's loader decides here, answering a plain refusal instead.
    access = access_in_request(expedition_id)
    if access is None:
        abort(404)
    if not access.allowed:
        refuse(SECOND_FACTOR_NEEDED)
    membership = access.membership
    version = service.meeting_version(db.session, expedition_id, meeting_id)
    if version is None:
        abort(404)
    poll_grants.grant(expedition_id, meeting_id)
    if held == str(version):
        return Response(status=204)
    live = meeting_in(membership, meeting_id)
    if request.args.get("view") == "presenter":
        return presenter_answer(live)
    return answer(live)


@bp.post("/<int:meeting_id>/step")
@login_required
@meeting_action("step", StepForm, steer=True, lock=True)
def step(live: Live, form: StepForm) -> str | None:
    """Start the meeting or move the run-sheet to a step (optionally skipping the current one)."""
    target = form.step.data
    service.go_to_step(
        db.session, live.meeting, target, form.seen.data, skip_current=form.skip.data
    )
    return _("Now: %(step)s", step=str(STEP_LABELS.get(target, target)))


@bp.post("/<int:meeting_id>/finish")
@login_required
@meeting_action("step", ConfirmForm, steer=True)
def finish(live: Live, form: ConfirmForm) -> str | None:
    """End the meeting (a finished one stays finished: a second click is fine)."""
    service.finish_meeting(db.session, live.meeting)
    return _("The meeting is over.")


@bp.post("/<int:meeting_id>/timer")
@login_required
@meeting_action("timer", TimerForm, steer=True)
def timer(live: Live, form: TimerForm) -> str | None:
    """Start (or stop, with 0 minutes) the countdown on every screen."""
    service.start_timer(db.session, live.meeting, form.minutes.data, form.seen.data)
    return None


@bp.post("/<int:meeting_id>/review")
@login_required
@meeting_action("review", ReviewPersonForm, steer=True)
def review_person(live: Live, form: ReviewPersonForm) -> str | None:
    """Whose turn it is in the review round."""
    minutes = form.minutes.data if form.minutes.data is not None else 5
    seen = form.seen.data
    shown = int(seen) if seen is not None and seen.isdigit() else (None if seen is None else 0)
    service.set_review_person(db.session, live.meeting, form.user_id.data, minutes, shown)
    return None


@bp.post("/<int:meeting_id>/notes")
@login_required
@meeting_action("notes", NotesForm, steer=True)
def notes(live: Live, form: NotesForm) -> str | None:
    """Save the shared notes (agreements, planning)."""
    service.save_notes(db.session, live.meeting, form.notes.data)
    return None


@bp.post("/<int:meeting_id>/check-in")
@login_required
@meeting_action("checkin", CheckInForm)
def check_in(live: Live, form: CheckInForm) -> str | None:
    """Say how you arrive: mood and a word."""
    service.check_in(db.session, live.meeting, current_user, form.mood.data, form.word.data)
    return _("You are checked in.")


@bp.post("/<int:meeting_id>/presence")
@login_required
@meeting_action("presence", PresenceForm, steer=True)
def presence(live: Live, form: PresenceForm) -> str | None:
    """The facilitator notes who is there."""
    service.set_presence(db.session, live.meeting, form.user_id.data, form.present.data)
    return None


@bp.post("/<int:meeting_id>/actions/<int:action_id>/review")
@login_required
@meeting_action("outcome-{action_id}", OutcomeForm, load=reviewable_action)
def review_action(live: Live, form: OutcomeForm, action) -> str | None:
    """Say how an earlier action went (its owner or the facilitator)."""
    service.review_action(db.session, live.meeting, action, form.outcome.data, form.note.data)
    return None


@bp.post("/<int:meeting_id>/focus")
@login_required
@meeting_action("focus", FocusForm)
def focus(live: Live, form: FocusForm) -> str | None:
    """Set one's focus for the next sprint while planning."""
    service.set_focus(
        db.session, live.meeting, live.membership.expedition, current_user.id, form.focus.data
    )
    return _("Your focus is saved.")
