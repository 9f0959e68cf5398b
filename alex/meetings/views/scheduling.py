"""The expedition's meetings: the calendar, scheduling and moving a meeting, and its record."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from alex.expeditions.access import get_facilitation_or_403, get_membership_or_404
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import members, today_in
from alex.extensions import db
from alex.meetings import series, service
from alex.meetings.forms import ScheduleForm
from alex.meetings.models import Meeting
from alex.meetings.state import meeting_list
from alex.meetings.views.common import bp, load_meeting
from alex.web import render


@bp.get("")
@login_required
def index(expedition_id: int):
    """The expedition's meetings; the facilitator schedules new ones here."""
    membership = get_membership_or_404(expedition_id)
    return _index_page(membership, _schedule_form(membership))


def _index_page(membership: Membership, form: ScheduleForm, status: int = 200) -> Response:
    expedition = membership.expedition
    upcoming, past = meeting_list(db.session, expedition)
    return render(
        "meetings/index.html",
        status=status,
        expedition=expedition,
        membership=membership,
        upcoming=upcoming,
        past=past,
        form=form,
        active_nav="meetings",
    )


def _schedule_form(membership: Membership, meeting: Meeting | None = None) -> ScheduleForm:
    """The schedule form with the expedition's sprints and members as choices.

    A GET of an existing meeting fills it from the meeting; a POST from what was sent.
    """
    expedition = membership.expedition
    if meeting is not None:
        local = meeting.starts_at.astimezone(ZoneInfo(expedition.timezone))
        form = ScheduleForm(
            data={
                "kind": meeting.kind,
                "day": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": meeting.duration_minutes,
                "location": meeting.location,
                "sprint_number": str(meeting.sprint_number or ""),
                "moderator_id": str(meeting.moderator_id or ""),
            }
        )
    elif request.method == "POST":
        form = ScheduleForm()
    else:  # a new meeting starts as the next one the calendar lacks, at the rhythm so far
        hint = series.suggest_next(
            expedition, service.meetings_of(db.session, expedition), today_in(expedition)
        )
        form = ScheduleForm(
            data={
                "kind": hint.kind,
                "day": hint.day,
                "time": hint.time,
                "duration_minutes": hint.duration_minutes,
                "location": hint.location,
                "sprint_number": str(hint.sprint_number or ""),
            }
        )
    form.sprint_number.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(str(n), _("Sprint %(num)d", num=n))
        for n in range(1, expedition.sprint_count + 1)
    ]
    form.moderator_id.choices = [SelectChoice("", _("The expedition's facilitators"))] + [
        SelectChoice(str(m.user_id), m.user.name) for m in members(db.session, expedition)
    ]
    return form


def _plan_from(expedition: Expedition, form: ScheduleForm) -> service.Schedule:
    zone = ZoneInfo(expedition.timezone)
    return service.Schedule(
        kind=form.kind.data,
        starts_at=datetime.combine(form.day.data, form.time.data, tzinfo=zone),
        duration_minutes=form.duration_minutes.data,
        location=form.location.data or "",
        sprint_number=int(form.sprint_number.data) if form.sprint_number.data else None,
        moderator_id=int(form.moderator_id.data) if form.moderator_id.data else None,
    )


@bp.post("")
@login_required
def schedule(expedition_id: int):
    """Put a new meeting on the calendar."""
    membership = get_facilitation_or_403(expedition_id)
    form = _schedule_form(membership)
    if not form.validate_on_submit():
        return _index_page(membership, form, 422)
    try:
        meeting = service.schedule_meeting(
            db.session,
            membership.expedition,
            _plan_from(membership.expedition, form),
            actor_id=current_user.id,
        )
    except service.MeetingError as error:
        db.session.rollback()
        form.kind.errors = [str(error)]
        return _index_page(membership, form, 422)
    db.session.commit()
    flash(_("The meeting is on the calendar."), "success")
    # Back to the list, where the new meeting shows and the form offers the next one.
    return redirect(
        url_for("meetings.index", expedition_id=expedition_id, _anchor=f"meeting-{meeting.id}")
    )


@bp.get("/<int:meeting_id>/edit")
@login_required
def edit(expedition_id: int, meeting_id: int):
    """Move a meeting or change who moderates."""
    live = _load_for_facilitation(expedition_id, meeting_id)
    return _edit_page(live.membership, live.meeting, _schedule_form(live.membership, live.meeting))


def _edit_page(membership: Membership, meeting: Meeting, form, status: int = 200) -> Response:
    return render(
        "meetings/edit.html",
        status=status,
        expedition=membership.expedition,
        meeting=meeting,
        form=form,
        active_nav="meetings",
    )


def _load_for_facilitation(expedition_id: int, meeting_id: int):
    """Only the expedition's facilitators schedule: 404 for outsiders, 403 for others."""
    get_facilitation_or_403(expedition_id)
    return load_meeting(expedition_id, meeting_id)


@bp.post("/<int:meeting_id>/edit")
@login_required
def update(expedition_id: int, meeting_id: int):
    """Save the new date, place or moderation."""
    live = _load_for_facilitation(expedition_id, meeting_id)
    membership, meeting = live.membership, live.meeting
    form = _schedule_form(membership)
    if form.validate_on_submit():
        try:
            changed = series.reschedule(
                db.session,
                membership.expedition,
                meeting,
                _plan_from(membership.expedition, form),
                actor_id=current_user.id,
                with_following=form.scope.data == "following",
            )
        except service.MeetingError as error:
            db.session.rollback()
            form.kind.errors = [str(error)]
        else:
            db.session.commit()
            if len(changed) > 1:
                flash(
                    _("This meeting and %(num)d following ones are saved.", num=len(changed) - 1),
                    "success",
                )
            else:
                flash(_("The meeting is saved."), "success")
            return redirect(
                url_for("meetings.show", expedition_id=expedition_id, meeting_id=meeting_id)
            )
    return _edit_page(membership, meeting, form, 422)


@bp.post("/<int:meeting_id>/delete")
@login_required
def delete(expedition_id: int, meeting_id: int):
    """Take a meeting that has not started off the calendar."""
    live = _load_for_facilitation(expedition_id, meeting_id)
    try:
        service.delete_meeting(
            db.session,
            live.meeting,
            expedition=live.membership.expedition,
            actor_id=current_user.id,
        )
    except service.MeetingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(
            url_for("meetings.edit", expedition_id=expedition_id, meeting_id=meeting_id)
        )
    db.session.commit()
    flash(_("The meeting is off the calendar."), "success")
    return redirect(url_for("meetings.index", expedition_id=expedition_id))
